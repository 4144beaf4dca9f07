// What the pod side knows about one node's branch ENIs: the trunk, its VLANs, which branch ENI
// belongs to which pod, and which ones are cooling down before deletion. Pure (no I/O, time passed
// in), so the capacity and VLAN rules are tested with tables; the reconcilers do the EC2 calls and
// record the outcome here.
//
// Rules kept here:
// - capacity = the trunk's branch limit, counting cooling ENIs (they hold their VLAN until deleted);
// - a VLAN is handed out at most once at a time on a trunk, least recently freed first (VlanAllocator);
// - a VLAN comes back only when its ENI is gone from EC2 (`markGone`), or when the create that
//   reserved it never produced an ENI (`cancelReservation`).
import { VlanAllocator } from './vlan-allocator.js';

export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
}

export interface BranchRecord {
  eniId: string;
  vlanId: number;
  /** Trunk association, once AssociateTrunkInterface succeeded (or when rebuilt from EC2/annotation). */
  associationId?: string;
  /** The pod it was created for. */
  pod: PodRef;
  /** Position in the pod's request (0 for the first ENI). */
  index: number;
  macAddress?: string;
  privateIp?: string;
  /** 'active': serving (or about to serve) its pod; 'cooling': waiting for deletion. */
  phase: 'active' | 'cooling';
  /** When a cooling ENI may be deleted (ms since epoch). */
  releaseAt?: number;
}

export interface TrunkRef {
  trunkEniId: string;
  branchLimit: number;
}

export class NodeBranchState {
  readonly trunkEniId: string;
  readonly vlans: VlanAllocator;
  private readonly byEni = new Map<string, BranchRecord>();
  /** VLANs reserved for a create in flight (no ENI yet). */
  private readonly reserved = new Set<number>();

  constructor(
    readonly nodeName: string,
    trunk: TrunkRef,
  ) {
    this.trunkEniId = trunk.trunkEniId;
    // The allocator's capacity is capped at the VLAN range; the branch limit never exceeds it in practice.
    this.vlans = new VlanAllocator(Math.min(trunk.branchLimit, 120));
  }

  get branchLimit(): number {
    return this.vlans.capacity;
  }

  /** Branch ENIs that can still be created now (limit minus active, cooling and reserved). */
  get free(): number {
    return this.vlans.available;
  }

  /** Reserve a VLAN for a create about to be sent; undefined when the trunk is at capacity. */
  reserveVlan(): number | undefined {
    const v = this.vlans.allocate();
    if (v !== undefined) this.reserved.add(v);
    return v;
  }

  /** The create that reserved `vlanId` failed without leaving an ENI behind: the VLAN was never used in EC2. */
  cancelReservation(vlanId: number): void {
    if (this.reserved.delete(vlanId)) this.vlans.free(vlanId);
  }

  /**
   * Record an ENI that exists in EC2 (created now, adopted, or rebuilt after a restart). Returns
   * false, recording nothing, when another ENI already holds that VLAN on this trunk (a leftover
   * from a crash: the caller deletes it without touching the VLAN).
   */
  record(rec: BranchRecord): boolean {
    const prev = this.byEni.get(rec.eniId);
    if (prev && prev.vlanId !== rec.vlanId) return false;
    if (!prev && [...this.byEni.values()].some((r) => r.vlanId === rec.vlanId)) return false;
    if (this.reserved.delete(rec.vlanId)) {
      // The reservation becomes the record's hold on the VLAN.
    } else if (!prev) {
      this.vlans.markUsed(rec.vlanId);
    }
    this.byEni.set(rec.eniId, { ...rec, ...(prev ? { phase: prev.phase, releaseAt: prev.releaseAt } : {}) });
    return true;
  }

  /** Whether a VLAN is held by a recorded ENI or a reservation. */
  vlanHeld(vlanId: number): boolean {
    return this.vlans.isUsed(vlanId);
  }

  get(eniId: string): BranchRecord | undefined {
    const r = this.byEni.get(eniId);
    return r ? { ...r } : undefined;
  }

  /** Active ENIs of a pod incarnation, by index. */
  activeFor(uid: string): BranchRecord[] {
    return [...this.byEni.values()].filter((r) => r.pod.uid === uid && r.phase === 'active').sort((a, b) => a.index - b.index);
  }

  /** Every ENI (any phase) held for a pod identity, e.g. to find ENIs of a deleted pod by its key. */
  recordsFor(pred: (pod: PodRef) => boolean): BranchRecord[] {
    return [...this.byEni.values()].filter((r) => pred(r.pod)).map((r) => ({ ...r }));
  }

  all(): BranchRecord[] {
    return [...this.byEni.values()].map((r) => ({ ...r }));
  }

  /** Mark a pod's active ENIs for release at `releaseAt`; returns the ENIs that started cooling now. */
  startCooldown(uid: string, releaseAt: number): BranchRecord[] {
    const out: BranchRecord[] = [];
    for (const r of this.byEni.values()) {
      if (r.pod.uid !== uid || r.phase !== 'active') continue;
      r.phase = 'cooling';
      r.releaseAt = releaseAt;
      out.push({ ...r });
    }
    return out;
  }

  /** Mark one ENI for release (e.g. an unowned ENI found by a rebuild or GC). */
  coolOne(eniId: string, releaseAt: number): BranchRecord | undefined {
    const r = this.byEni.get(eniId);
    if (!r) return undefined;
    if (r.phase !== 'cooling' || (r.releaseAt ?? Infinity) > releaseAt) {
      r.phase = 'cooling';
      r.releaseAt = releaseAt;
    }
    return { ...r };
  }

  /** Record what the association produced. */
  setAssociation(eniId: string, associationId: string): void {
    const r = this.byEni.get(eniId);
    if (r) r.associationId = associationId;
  }

  /** The ENI is gone from EC2 (deleted, or NotFound): forget it and give its VLAN back. */
  markGone(eniId: string): BranchRecord | undefined {
    const r = this.byEni.get(eniId);
    if (!r) return undefined;
    this.byEni.delete(eniId);
    this.vlans.free(r.vlanId);
    return r;
  }

  /** Cooling ENIs whose time has come, soonest first. */
  due(now: number): BranchRecord[] {
    return [...this.byEni.values()]
      .filter((r) => r.phase === 'cooling' && (r.releaseAt ?? 0) <= now)
      .sort((a, b) => (a.releaseAt ?? 0) - (b.releaseAt ?? 0))
      .map((r) => ({ ...r }));
  }

  counts(): { active: number; cooling: number; reserved: number; free: number } {
    let active = 0;
    let cooling = 0;
    for (const r of this.byEni.values()) {
      if (r.phase === 'active') active++;
      else cooling++;
    }
    return { active, cooling, reserved: this.reserved.size, free: this.free };
  }
}
