// Exponential backoff with a cap and jitter, shared by the work queue (failed reconciles) and the
// informers (failed list/watch). Pure: tested with tables.

export interface BackoffPolicy {
  /** First retry delay. Default 500 ms. */
  baseMs: number;
  /** Cap on the delay. Default 5 min. */
  maxMs: number;
  /** Fraction of the delay randomly taken off (0 = none, 0.2 = up to 20 % sooner). Default 0.2. */
  jitter: number;
}
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 300_000, jitter: 0.2 };

/** base * 2^(n-1), capped, minus up to `jitter` of it. */
export function backoffDelay(failures: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, failures);
  const raw = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(n - 1, 40));
  return Math.round(raw * (1 - p.jitter * random()));
}
