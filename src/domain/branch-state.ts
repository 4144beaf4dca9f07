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
  /** The ENI's security groups as set in EC2 (at create, at a live update, or as described after a restart). */
  groups?: readonly string[];
  /**
   * 'active': serving (or about to serve) its pod; 'cooling': waiting for deletion (or to turn warm);
   * 'warm': its pod is gone and its cooldown served, kept associated for a new pod with the same groups.
   */
  phase: 'active' | 'cooling' | 'warm';
  /** When a cooling ENI may be deleted (ms since epoch). */
  releaseAt?: number;
  /** When a warm ENI expires (ms since epoch). */
  warmUntil?: number;
  /** When a warm ENI last turned warm: the least recently used one is evicted first. */
  warmSince?: number;
  /** A pod (UID) waiting for this cooling ENI to turn warm, and until when the claim holds. */
  claimedBy?: string;
  claimUntil?: number;
}

/** The key of a group set: a warm ENI is only ever reused for exactly the same set. */
export const groupSetKey = (groups: readonly string[]): string => [...new Set(groups)].sort().join(' ');

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

  counts(): { active: number; cooling: number; warm: number; reserved: number; free: number } {
    let active = 0;
    let cooling = 0;
    let warm = 0;
    for (const r of this.byEni.values()) {
      if (r.phase === 'active') active++;
      else if (r.phase === 'warm') warm++;
      else cooling++;
    }
    return { active, cooling, warm, reserved: this.reserved.size, free: this.free };
  }

  // ---------------------------------------------------------------- warm ENIs (issue 14)

  /**
   * A cooling ENI whose cooldown is served turns warm until `until`: it keeps its VLAN and its
   * association, and waits for a pod with exactly its groups. False when it is not cooling, or its
   * groups or association are unknown (it cannot be handed to a pod without an EC2 call).
   */
  makeWarm(eniId: string, until: number, now: number): boolean {
    const r = this.byEni.get(eniId);
    if (!r || r.phase !== 'cooling' || !r.groups || !r.associationId || !r.macAddress || !r.privateIp) return false;
    r.phase = 'warm';
    r.warmUntil = until;
    r.warmSince = now;
    delete r.releaseAt;
    return true;
  }

  /**
   * Hand a warm ENI of exactly `groups` to a pod (the most recently warmed one: its IP's ARP and
   * conntrack state on the node is the oldest news). Undefined when there is none.
   */
  takeWarm(groups: readonly string[], pod: PodRef, index: number, now = 0): BranchRecord | undefined {
    const key = groupSetKey(groups);
    let best: BranchRecord | undefined;
    for (const r of this.byEni.values()) {
      if (r.phase !== 'warm' || groupSetKey(r.groups ?? []) !== key) continue;
      // Another pod waits for this one (claimed while it cooled): leave it to that pod.
      if (r.claimedBy !== undefined && r.claimedBy !== pod.uid && (r.claimUntil ?? 0) > now) continue;
      if (r.claimedBy === pod.uid) {
        best = r;
        break;
      }
      if (!best || (r.warmSince ?? 0) > (best.warmSince ?? 0)) best = r;
    }
    if (!best) return undefined;
    best.phase = 'active';
    best.pod = pod;
    best.index = index;
    delete best.warmUntil;
    delete best.warmSince;
    delete best.claimedBy;
    delete best.claimUntil;
    return { ...best };
  }

  /**
   * Claim, for pod `uid`, a cooling ENI of exactly `groups` whose cooldown ends (`dueOf`) by
   * `latest`: the pod waits for it instead of creating one. Returns when it is due; undefined when
   * there is none. A claim lapses 10 s after the ENI is due, so a pod that went away blocks nothing.
   */
  claimCooling(groups: readonly string[], uid: string, dueOf: (eniId: string) => number | undefined, latest: number, now: number): number | undefined {
    const key = groupSetKey(groups);
    let best: { r: BranchRecord; due: number } | undefined;
    for (const r of this.byEni.values()) {
      if (r.phase !== 'cooling' || !r.groups || !r.associationId || !r.macAddress || !r.privateIp || groupSetKey(r.groups) !== key) continue;
      const due = dueOf(r.eniId);
      if (due === undefined) continue;
      if (r.claimedBy === uid) return due;
      if (r.claimedBy !== undefined && (r.claimUntil ?? 0) > now) continue;
      if (due <= latest && (!best || due < best.due)) best = { r, due };
    }
    if (!best) return undefined;
    best.r.claimedBy = uid;
    best.r.claimUntil = best.due + 10_000;
    return best.due;
  }

  /** A warm ENI's time is renewed (the warm minimum still wants it, warm-minimum.ts). */
  renewWarm(eniId: string, until: number): boolean {
    const r = this.byEni.get(eniId);
    if (!r || r.phase !== 'warm') return false;
    r.warmUntil = until;
    return true;
  }

  /** The least recently used warm ENI (to evict when a pod of another group set needs a slot). */
  lruWarm(): BranchRecord | undefined {
    let lru: BranchRecord | undefined;
    for (const r of this.byEni.values()) if (r.phase === 'warm' && (!lru || (r.warmSince ?? 0) < (lru.warmSince ?? 0))) lru = r;
    return lru ? { ...lru } : undefined;
  }

  /** Warm ENIs whose time is up. */
  expiredWarm(now: number): BranchRecord[] {
    return [...this.byEni.values()].filter((r) => r.phase === 'warm' && (r.warmUntil ?? 0) <= now).map((r) => ({ ...r }));
  }

  /** The ENI's groups changed in EC2 (live policy update). */
  setGroups(eniId: string, groups: readonly string[]): void {
    const r = this.byEni.get(eniId);
    if (r) r.groups = [...groups];
  }
}
