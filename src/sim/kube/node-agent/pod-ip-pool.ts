// Addresses for pods that do not get a branch ENI, from the node's pod range (spec.podCIDR), one
// per pod UID and stable for the pod's life. Pure bookkeeping.
import { formatIpv4, parseIpv4 } from '../../ec2/address-pool.js';

export class PodIpPool {
  private readonly first: number;
  private readonly last: number;
  private readonly byPod = new Map<string, string>();
  private readonly used = new Set<string>();
  private next: number;

  constructor(cidr: string) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
    const addr = parseIpv4(m?.[1] ?? '');
    const bits = Number(m?.[2]);
    if (addr === undefined || bits < 8 || bits > 30) throw new Error(`invalid pod CIDR "${cidr}" (want an IPv4 /8../30)`);
    const size = 2 ** (32 - bits);
    const base = addr - (addr % size);
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
      const n = this.first + ((this.next - this.first + i) % span);
      const candidate = formatIpv4(n);
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        this.byPod.set(podUid, candidate);
        this.next = n + 1 > this.last ? this.first : n + 1;
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

/**
 * Hands out node pod ranges from 100.64.0.0/10 (EKS's usual range for secondary pod CIDRs, so they
 * never overlap the VPC): a /24 per node like kube-controller-manager, or a larger block when the
 * node's max pods do not fit in one (m5.24xlarge runs 737 pods).
 */
export class PodCidrAllocator {
  private static readonly BASE = 100 * 2 ** 24 + 64 * 2 ** 16;
  private static readonly SIZE = 2 ** 22;
  private cursor = 0;

  next(maxPods: number): string {
    // network, .1 and broadcast are not handed out
    let bits = 24;
    while (2 ** (32 - bits) - 3 < maxPods && bits > 16) bits--;
    const size = 2 ** (32 - bits);
    const start = Math.ceil(this.cursor / size) * size;
    if (start + size > PodCidrAllocator.SIZE) throw new Error('the sandbox ran out of pod ranges in 100.64.0.0/10');
    this.cursor = start + size;
    return `${formatIpv4(PodCidrAllocator.BASE + start)}/${bits}`;
  }
}
