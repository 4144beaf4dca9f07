// IPv4 CIDR arithmetic for carving the custom-networking subnets out of the sandbox VPC. Pure.
import { cidrOverlaps, formatIpv4, parseIpv4, type Cidr } from '../ec2/address-pool.js';

/** Parses "a.b.c.d/n"; the base is rounded down to the block (10.0.0.1/16 → 10.0.0.0/16). */
function parseBlock(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const addr = m ? parseIpv4(m[1] ?? '') : undefined;
  const prefix = Number(m?.[2]);
  if (addr === undefined || prefix > 32) throw new Error(`invalid IPv4 CIDR "${text}"`);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix, size };
}

/** The first `count` blocks of prefix length `bits` inside `within` that overlap none of `taken`. Throws when they do not fit. */
export function pickFreeBlocks(within: string, taken: readonly string[], bits: number, count: number): string[] {
  const outer = parseBlock(within);
  if (bits < outer.prefix) throw new Error(`a /${bits} does not fit in ${within}`);
  const used = taken.map(parseBlock);
  const out: string[] = [];
  const step = 2 ** (32 - bits);
  for (let b = outer.base; b + step <= outer.base + outer.size && out.length < count; b += step) {
    const candidate = { base: b, prefix: bits, size: step };
    if (!used.some((u) => cidrOverlaps(u, candidate))) {
      out.push(`${formatIpv4(b)}/${bits}`);
      used.push(candidate);
    }
  }
  if (out.length < count) throw new Error(`only ${out.length} free /${bits} blocks left in ${within}, need ${count}`);
  return out;
}
