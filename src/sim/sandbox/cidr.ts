// IPv4 CIDR arithmetic for carving the custom-networking subnets out of the sandbox VPC. Pure.

export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = Number(m?.[5]);
  if (!m || octets.some((o) => o > 255) || bits > 32) throw new Error(`invalid IPv4 CIDR "${text}"`);
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), bits };
}

export function formatCidr(c: Cidr): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(c.base / 2 ** s) % 256).join('.')}/${c.bits}`;
}

const size = (c: Cidr): number => 2 ** (32 - c.bits);
const overlaps = (a: Cidr, b: Cidr): boolean => a.base < b.base + size(b) && b.base < a.base + size(a);

/** The first `count` blocks of prefix length `bits` inside `within` that overlap none of `taken`. Throws when they do not fit. */
export function pickFreeBlocks(within: string, taken: readonly string[], bits: number, count: number): string[] {
  const outer = parseCidr(within);
  if (bits < outer.bits) throw new Error(`a /${bits} does not fit in ${within}`);
  const used = taken.map(parseCidr);
  const out: string[] = [];
  const step = 2 ** (32 - bits);
  for (let b = outer.base; b + step <= outer.base + size(outer) && out.length < count; b += step) {
    const candidate = { base: b, bits };
    if (!used.some((u) => overlaps(u, candidate))) {
      out.push(formatCidr(candidate));
      used.push(candidate);
    }
  }
  if (out.length < count) throw new Error(`only ${out.length} free /${bits} blocks left in ${within}, need ${count}`);
  return out;
}
