// The pod side's bookkeeping across nodes: each node's NodeBranchState, which pod incarnations hold
// ENIs (so a deleted pod's ENIs are found by its key alone), and the ENIs handed over for release.
// Synchronous and I/O-free; the reconcilers call it between EC2 calls.
import { NodeBranchState, type BranchRecord, type PodRef, type TrunkRef } from './branch-state.js';

/** An ENI waiting for deletion. */
export interface ReleaseItem {
  eniId: string;
  nodeName: string;
  associationId?: string;
  /** The pod it served, when known (re-checked with the API server before deleting). */
  pod?: PodRef;
  /** When it was handed over (the cooldown runs from here). */
  since: number;
  /** Never used by a pod (rollback, never annotated): no cooldown needed. */
  immediate: boolean;
  /** Found by a rebuild or GC pass rather than seen going away: confirm the owner is gone first. */
  orphan: boolean;
}

export class BranchBook {
  private readonly nodes = new Map<string, NodeBranchState>();
  /** ns/name → uid → node holding its ENIs. */
  private readonly holdings = new Map<string, Map<string, string>>();
  private readonly releases = new Map<string, ReleaseItem>();

  node(nodeName: string): NodeBranchState | undefined {
    return this.nodes.get(nodeName);
  }

  /** The node's state for this trunk; a different trunk ID starts over (the old one's ENIs are left to release/GC). */
  ensureNode(nodeName: string, trunk: TrunkRef): { state: NodeBranchState; fresh: boolean } {
    const cur = this.nodes.get(nodeName);
    if (cur && cur.trunkEniId === trunk.trunkEniId) return { state: cur, fresh: false };
    if (cur) this.dropNode(nodeName);
    const state = new NodeBranchState(nodeName, trunk);
    this.nodes.set(nodeName, state);
    return { state, fresh: true };
  }

  /** Forget a node's state, handing every ENI it held over for release. */
  dropNode(nodeName: string, now = Date.now()): ReleaseItem[] {
    const cur = this.nodes.get(nodeName);
    if (!cur) return [];
    this.nodes.delete(nodeName);
    const out: ReleaseItem[] = [];
    for (const r of cur.all()) {
      this.unhold(r.pod, nodeName);
      const existing = this.releases.get(r.eniId);
      // A warm ENI served its cooldown already: it goes at once.
      const item: ReleaseItem = existing ?? { eniId: r.eniId, nodeName, pod: r.pod, since: now, immediate: r.phase === 'warm', orphan: false, ...(r.associationId ? { associationId: r.associationId } : {}) };
      this.releases.set(r.eniId, item);
      out.push(item);
    }
    return out;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  record(nodeName: string, rec: BranchRecord): boolean {
    const state = this.nodes.get(nodeName);
    if (!state || !state.record(rec)) return false;
    const key = `${rec.pod.namespace}/${rec.pod.name}`;
    let m = this.holdings.get(key);
    if (!m) this.holdings.set(key, (m = new Map<string, string>()));
    m.set(rec.pod.uid, nodeName);
    return true;
  }

  /** Pod incarnations of `key` holding ENIs, with their node. */
  holders(key: string): { uid: string; nodeName: string }[] {
    return [...(this.holdings.get(key) ?? new Map<string, string>())].map(([uid, nodeName]) => ({ uid, nodeName }));
  }

  /** Hand a pod's active ENIs over for release (cooldown from `now`); returns the new release items. */
  releasePod(pod: PodRef, nodeName: string, now: number, immediate = false): ReleaseItem[] {
    const state = this.nodes.get(nodeName);
    if (!state) return [];
    const out: ReleaseItem[] = [];
    for (const r of state.startCooldown(pod.uid, now)) {
      const item: ReleaseItem = { eniId: r.eniId, nodeName, pod: r.pod, since: now, immediate, orphan: false, ...(r.associationId ? { associationId: r.associationId } : {}) };
      this.releases.set(r.eniId, item);
      out.push(item);
    }
    return out;
  }

  /** Hand one ENI over for release (recorded or not). */
  releaseEni(item: ReleaseItem): ReleaseItem {
    const existing = this.releases.get(item.eniId);
    if (existing) {
      if (item.immediate && !existing.immediate) existing.immediate = true;
      return existing;
    }
    this.nodes.get(item.nodeName)?.coolOne(item.eniId, item.since);
    this.releases.set(item.eniId, item);
    return item;
  }

  release(eniId: string): ReleaseItem | undefined {
    return this.releases.get(eniId);
  }

  pendingReleases(): ReleaseItem[] {
    return [...this.releases.values()];
  }

  /** The release was called off (the owner turned out to be alive): the ENI serves its pod again. */
  cancelRelease(eniId: string): void {
    const item = this.releases.get(eniId);
    if (!item) return;
    this.releases.delete(eniId);
    const state = this.nodes.get(item.nodeName);
    const rec = state?.get(eniId);
    if (state && rec) {
      state.markGone(eniId);
      this.record(item.nodeName, { ...rec, phase: 'active', releaseAt: undefined });
    }
  }

  /** The ENI is gone from EC2: its VLAN comes back and the pod no longer holds it. */
  gone(eniId: string, nodeName?: string): BranchRecord | undefined {
    const item = this.releases.get(eniId);
    this.releases.delete(eniId);
    const node = nodeName ?? item?.nodeName;
    const state = node ? this.nodes.get(node) : undefined;
    const rec = state?.markGone(eniId);
    if (rec && node && state && state.recordsFor((p) => p.uid === rec.pod.uid).length === 0) this.unhold(rec.pod, node);
    return rec;
  }

  /** Whether an ENI ID is known anywhere (recorded on a node or waiting for release). */
  knows(eniId: string): boolean {
    if (this.releases.has(eniId)) return true;
    for (const s of this.nodes.values()) if (s.get(eniId)) return true;
    return false;
  }

  /**
   * A released ENI whose cooldown is served turns warm on its node (still recorded, no longer
   * waiting for release, no longer held by its old pod). False when it cannot (see makeWarm).
   */
  makeWarm(eniId: string, until: number, now: number): boolean {
    const item = this.releases.get(eniId);
    if (!item) return false;
    const state = this.nodes.get(item.nodeName);
    const rec = state?.get(eniId);
    if (!state || !rec || !state.makeWarm(eniId, until, now)) return false;
    this.releases.delete(eniId);
    if (state.recordsFor((p) => p.uid === rec.pod.uid).every((r) => r.phase === 'warm')) this.unhold(rec.pod, item.nodeName);
    return true;
  }

  /**
   * Record an ENI created for the warm minimum (no pod ever used it): warm at once until `until`.
   * Not a holding of any pod. False when the node is unknown or the VLAN is held by another ENI.
   */
  addWarm(nodeName: string, rec: Omit<BranchRecord, 'phase'>, until: number, now: number): boolean {
    const state = this.nodes.get(nodeName);
    return state !== undefined && state.record({ ...rec, phase: 'warm', warmUntil: until, warmSince: now });
  }

  /** A warm ENI's time renewed; false when it is not warm. */
  renewWarm(eniId: string, until: number): boolean {
    const w = this.warm(eniId);
    return w !== undefined && (this.nodes.get(w.nodeName)?.renewWarm(eniId, until) ?? false);
  }

  /** A warm ENI of exactly `groups` on the node, now the pod's (no EC2 call needed); undefined when none. */
  takeWarm(nodeName: string, groups: readonly string[], pod: PodRef, index: number, now = 0): BranchRecord | undefined {
    const rec = this.nodes.get(nodeName)?.takeWarm(groups, pod, index, now);
    if (!rec) return undefined;
    const key = `${pod.namespace}/${pod.name}`;
    let m = this.holdings.get(key);
    if (!m) this.holdings.set(key, (m = new Map<string, string>()));
    m.set(pod.uid, nodeName);
    return rec;
  }

  /** The node holding a warm ENI, and the record; undefined when the ENI is not warm. */
  warm(eniId: string): { nodeName: string; record: BranchRecord } | undefined {
    for (const [nodeName, s] of this.nodes) {
      const r = s.get(eniId);
      if (r) return r.phase === 'warm' ? { nodeName, record: r } : undefined;
    }
    return undefined;
  }

  /** Warm ENIs per node. */
  warmByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [nodeName, s] of this.nodes) out.set(nodeName, s.counts().warm);
    return out;
  }

  totals(): { active: number; cooling: number } {
    let active = 0;
    let cooling = 0;
    for (const s of this.nodes.values()) {
      const c = s.counts();
      active += c.active;
      cooling += c.cooling;
    }
    return { active, cooling };
  }

  private unhold(pod: PodRef, nodeName: string): void {
    const key = `${pod.namespace}/${pod.name}`;
    const m = this.holdings.get(key);
    if (!m || m.get(pod.uid) !== nodeName) return;
    m.delete(pod.uid);
    if (m.size === 0) this.holdings.delete(key);
  }
}
