// Pure arithmetic of the allocation benchmark: the bound EC2's token buckets put on a run, and
// percentiles. No I/O, so it is unit-tested with tables (test/unit/bench/alloc-math.test.ts).
//
// The bound: for each action, EC2 lets `tokensAtStart` calls through at once and then `refill` per
// second, for everyone in the account. When the calls other clients got through in the same window
// are known (`otherCalls`), ours need at least max(0, calls + otherCalls − tokensAtStart) / refill
// seconds: exact, whatever the competitor really managed to spend. Otherwise a competitor spending
// a fraction F of the refill leaves (1 − F) × refill: max(0, calls − tokensAtStart) / ((1 − F) ×
// refill) (the nominal figure). The slowest action sets the bound; one call chain's latency is
// added by the caller (it is measured).

export interface ActionDemand {
  /** Calls this run made to the action (the controller's only, competitor excluded). */
  calls: number;
  /** Tokens in EC2's bucket for the action when the burst started. */
  tokensAtStart: number;
  /** EC2's refill, tokens per (simulated) second. */
  refillPerSecond: number;
  /** Fraction of the refill a competing client spends on this action (0 when none). */
  competingShare: number;
  /** Calls other clients got through on this action in the same window, when counted. */
  otherCalls?: number;
}

export interface BoundResult {
  /** Seconds (simulated) EC2's buckets need for the calls, slowest action. */
  seconds: number;
  /** The action that sets it, or undefined when no action needs more than its burst. */
  limitingAction: string | undefined;
  perAction: Record<string, number>;
}

/** The least time EC2's buckets allow for the calls (before any call latency). */
export function bucketBound(demand: Readonly<Record<string, ActionDemand>>): BoundResult {
  const perAction: Record<string, number> = {};
  let seconds = 0;
  let limitingAction: string | undefined;
  for (const [action, d] of Object.entries(demand)) {
    if (!(d.refillPerSecond > 0)) throw new Error(`${action}: refill must be positive, got ${d.refillPerSecond}`);
    if (!(d.competingShare >= 0 && d.competingShare < 1)) throw new Error(`${action}: competing share must be in [0, 1), got ${d.competingShare}`);
    const s =
      d.otherCalls !== undefined
        ? Math.max(0, d.calls + d.otherCalls - d.tokensAtStart) / d.refillPerSecond
        : Math.max(0, d.calls - d.tokensAtStart) / (d.refillPerSecond * (1 - d.competingShare));
    perAction[action] = s;
    if (s > seconds) {
      seconds = s;
      limitingAction = action;
    }
  }
  return { seconds, limitingAction, perAction };
}

/** Nearest-rank percentile (q in [0, 1]) of unsorted values; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;
