// Addresses for pods that do not get a branch ENI, from the node's pod range (spec.podCIDR), one
// per pod UID and stable for the pod's life. Pure bookkeeping.

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class PodIpPool {
  private readonly first: number;
  private readonly last: number;
  private readonly byPod = new Map<string, string>();
  private readonly used = new Set<string>();
  private next: number;

  constructor(cidr: string) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
    const bits = Number(m?.[2]);
    if (!m || bits < 8 || bits > 30) throw new Error(`invalid pod CIDR "${cidr}" (want an IPv4 /8../30)`);
    const size = 2 ** (32 - bits);
    const base = ipToInt(m[1] as string) - (ipToInt(m[1] as string) % size);
    // Skip the network address and the gateway-style .1; keep the broadcast address out.
    this.first = base + 2;
    this.last = base + size - 2;
    this.next = this.first;
  }

  /** The pod's address; the same on every call until released. Undefined when the range is exhausted. */
  assign(podUid: string): string | undefined {
    const have = this.byPod.get(podUid);
    if (have) return have;
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const candidate = intToIp(this.first + ((this.next - this.first + i) % span));
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        this.byPod.set(podUid, candidate);
        this.next = ipToInt(candidate) + 1 > this.last ? this.first : ipToInt(candidate) + 1;
        return candidate;
      }
    }
    return undefined;
  }

  release(podUid: string): void {
    const ip = this.byPod.get(podUid);
    if (ip === undefined) return;
    this.byPod.delete(podUid);
    this.used.delete(ip);
  }

  get size(): number {
    return this.byPod.size;
  }
}

/** The n-th /24 of 100.64.0.0/10, EKS's usual range for secondary pod CIDRs: node pod ranges that never overlap the VPC. */
export function podCidrForIndex(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 14) throw new Error(`pod CIDR index ${n} out of range 0..16383`);
  return `100.${64 + Math.floor(n / 256)}.${n % 256}.0/24`;
}
