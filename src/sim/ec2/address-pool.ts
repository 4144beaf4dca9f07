// IPv4 CIDR arithmetic and a subnet's address pool. AWS reserves the first four addresses of every
// subnet (network, VPC router, DNS, future use) and the last (broadcast), so a /24 offers 251.
import { invalidParameterValue } from './errors.js';

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
  size: number; // number of addresses
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function parseCidr(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  const base = m ? parseIpv4(m[1] ?? '') : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || base === undefined || prefix > 32) throw invalidParameterValue(`Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    throw invalidParameterValue(`Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  }
  return { base, prefix, size };
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** Hands out addresses lowest-first, reuses released ones first-released-first. O(1) per call. */
export class AddressPool {
  private readonly used = new Set<number>(); // offsets within the CIDR
  private readonly released: number[] = [];
  private releasedHead = 0;
  private highWater = 4; // first four offsets are reserved
  readonly capacity: number;

  constructor(readonly cidr: Cidr) {
    this.capacity = Math.max(0, cidr.size - 5);
  }

  get available(): number {
    return this.capacity - this.used.size;
  }

  /** Next free address, or undefined when the subnet is full. */
  allocate(): string | undefined {
    while (this.releasedHead < this.released.length) {
      const off = this.released[this.releasedHead++] as number;
      if (!this.used.has(off)) return this.take(off);
    }
    if (this.releasedHead > 0 && this.releasedHead === this.released.length) {
      this.released.length = 0;
      this.releasedHead = 0;
    }
    const last = this.cidr.size - 2; // size-1 is broadcast
    while (this.highWater <= last) {
      const off = this.highWater++;
      if (!this.used.has(off)) return this.take(off);
    }
    return undefined;
  }

  /** Reserves a specific address; explains why when it cannot. */
  allocateSpecific(ip: string): { ok: true } | { ok: false; reason: 'outside' | 'reserved' | 'in-use' } {
    const n = parseIpv4(ip);
    if (n === undefined || n < this.cidr.base || n >= this.cidr.base + this.cidr.size) return { ok: false, reason: 'outside' };
    const off = n - this.cidr.base;
    if (off < 4 || off === this.cidr.size - 1) return { ok: false, reason: 'reserved' };
    if (this.used.has(off)) return { ok: false, reason: 'in-use' };
    this.used.add(off);
    return { ok: true };
  }

  release(ip: string): void {
    const n = parseIpv4(ip);
    if (n === undefined) return;
    const off = n - this.cidr.base;
    if (this.used.delete(off)) this.released.push(off);
  }

  private take(off: number): string {
    this.used.add(off);
    return formatIpv4(this.cidr.base + off);
  }
}
