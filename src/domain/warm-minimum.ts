// The minimum of warm branch ENIs per node and group set (issue 14, optional item): which group sets
// a node should keep ENIs ready for, and how many to create now. Pure (time passed in); the top-up
// step (controllers/pod/warm-topup.ts) feeds it each node's records and does the EC2 calls.
//
// Rules:
// - A group set is kept warm on a node when a pod of that node used it within the window: seen on
//   an active ENI by a pass (`observe`), or right now.
// - What counts toward the minimum: that group set's warm ENIs on the node, its ENIs cooling there
//   (they turn warm when their cooldown is served, so a rollout that hands warm ENIs to new pods
//   while the old pods' ENIs cool makes no creates), and top-ups already in flight.
// - A shortfall is acted on only once it has lasted `settleMs`: a pod that just took a warm ENI is
//   usually followed, within moments, by its predecessor's ENI starting to cool.
// - Top-ups never take a node's last `headroom` free slots, and none is planned on a node where a
//   pod waits for a slot: pod starts come first (they still evict the LRU warm ENI when full).
import { groupSetKey } from './branch-state.js';

export interface WarmMinimumSettings {
  /** Warm (or cooling) ENIs to keep per node and recently used group set; 0 = off. */
  minWarm: number;
  /** A group set counts as recently used on a node for this long after a pod used it, ms. */
  windowMs: number;
  /** How long a shortfall must last before a top-up, ms. */
  settleMs: number;
  /** Free slots a top-up never takes. */
  headroom: number;
}

/** What the planner needs of one branch ENI record. */
export interface RecordView {
  phase: 'active' | 'cooling' | 'warm';
  groups?: readonly string[] | undefined;
}

export interface NodeView {
  nodeName: string;
  /** Branch ENIs that can still be created on the trunk now (limit − recorded − reserved). */
  free: number;
  records: readonly RecordView[];
  /** Top-ups in flight on this node by group set key. */
  inFlight: ReadonlyMap<string, number>;
  /** A pod waits for a slot on this node. */
  podsWaitingForSlot: boolean;
}

export interface TopUp {
  nodeName: string;
  groups: string[];
  count: number;
}

/** Validate the two user-given settings; returns the problem in words, or undefined when fine. */
export function warmMinimumProblem(minWarm: number, windowSeconds: number): string | undefined {
  if (!Number.isInteger(minWarm) || minWarm < 0 || minWarm > MAX_MIN_WARM) return `the minimum of warm branch ENIs must be a whole number from 0 to ${MAX_MIN_WARM}, got ${minWarm}`;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 86_400) return `the window of recently used group sets must be a whole number of seconds from 1 to 86400, got ${windowSeconds}`;
  return undefined;
}

/** More than any trunk's branch limit (120 VLANs) makes no sense. */
export const MAX_MIN_WARM = 120;

export class WarmMinimumPlanner {
  /** node → group set key → { groups, last seen in use (ms) }. */
  private readonly used = new Map<string, Map<string, { groups: string[]; at: number }>>();
  /** `node group-set-key` → since when it has been short. */
  private readonly shortSince = new Map<string, number>();

  /** Remember the group sets the node's active ENIs serve now. */
  observe(nodeName: string, records: readonly RecordView[], now: number): void {
    for (const r of records) {
      if (r.phase !== 'active' || !r.groups || r.groups.length === 0) continue;
      let m = this.used.get(nodeName);
      if (!m) this.used.set(nodeName, (m = new Map<string, { groups: string[]; at: number }>()));
      m.set(groupSetKey(r.groups), { groups: [...new Set(r.groups)].sort(), at: now });
    }
  }

  /** The node is gone: forget what it used. */
  forgetNode(nodeName: string): void {
    this.used.delete(nodeName);
    for (const k of [...this.shortSince.keys()]) if (k.startsWith(`${nodeName} `)) this.shortSince.delete(k);
  }

  /** Group sets used on the node within the window (oldest entries are forgotten). */
  recent(nodeName: string, s: Pick<WarmMinimumSettings, 'windowMs'>, now: number): { key: string; groups: string[]; at: number }[] {
    const m = this.used.get(nodeName);
    if (!m) return [];
    const out: { key: string; groups: string[]; at: number }[] = [];
    for (const [key, u] of m) {
      if (now - u.at > s.windowMs) m.delete(key);
      else out.push({ key, ...u });
    }
    if (m.size === 0) this.used.delete(nodeName);
    return out;
  }

  /** Top-ups to start now across nodes (call `observe` for each node first). */
  plan(nodes: readonly NodeView[], s: WarmMinimumSettings, now: number): TopUp[] {
    const out: TopUp[] = [];
    const stillShort = new Set<string>();
    if (s.minWarm > 0) {
      for (const n of nodes) {
        let slots = n.podsWaitingForSlot ? 0 : Math.max(0, n.free - s.headroom);
        // Most recently used group sets first, when slots do not suffice for all.
        for (const u of this.recent(n.nodeName, s, now).sort((a, b) => b.at - a.at)) {
          const ready = n.records.filter((r) => (r.phase === 'warm' || r.phase === 'cooling') && r.groups && groupSetKey(r.groups) === u.key).length;
          const want = s.minWarm - ready - (n.inFlight.get(u.key) ?? 0);
          if (want <= 0) continue;
          const shortKey = `${n.nodeName} ${u.key}`;
          stillShort.add(shortKey);
          const since = this.shortSince.get(shortKey) ?? now;
          this.shortSince.set(shortKey, since);
          if (now - since < s.settleMs || slots <= 0) continue;
          const count = Math.min(want, slots);
          slots -= count;
          out.push({ nodeName: n.nodeName, groups: u.groups, count });
        }
      }
    }
    for (const k of [...this.shortSince.keys()]) if (!stillShort.has(k)) this.shortSince.delete(k);
    return out;
  }

  /**
   * Whether a warm ENI whose warm time is up should stay (its time renewed) rather than be deleted:
   * its group set was used on the node within the window and the node holds no more ready ENIs of
   * it (warm + cooling, this one included) than the minimum. Deleting it would only make the next
   * pass create another.
   */
  keepAtExpiry(nodeName: string, groups: readonly string[], records: readonly RecordView[], s: Pick<WarmMinimumSettings, 'minWarm' | 'windowMs'>, now: number): boolean {
    if (s.minWarm <= 0) return false;
    const key = groupSetKey(groups);
    if (!this.recent(nodeName, s, now).some((u) => u.key === key)) return false;
    const ready = records.filter((r) => (r.phase === 'warm' || r.phase === 'cooling') && r.groups && groupSetKey(r.groups) === key).length;
    return ready <= s.minWarm;
  }
}
