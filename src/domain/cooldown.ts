// The branch ENI cooldown: how long a released branch ENI waits before it is deleted, so ARP
// and iptables state for its IP can expire on the node. Read from the VPC CNI's ConfigMap key
// `branch-eni-cooldown` (seconds), as users of the reference controller already set it.
import { DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS, MIN_BRANCH_ENI_COOLDOWN_SECONDS } from '../apis/constants.js';

/** Upper bound (ours): 24 h. Longer would overflow timers and is surely a typo. */
export const MAX_BRANCH_ENI_COOLDOWN_SECONDS = 24 * 60 * 60;

export interface CooldownSetting {
  seconds: number;
  /** Set when the configured value was not used as written: says what was wrong and what applies. */
  reason?: string;
}

/**
 * The cooldown for a ConfigMap value: whole seconds; absent or empty → 60; below 30 → 30;
 * above 24 h → 24 h; anything else → 60, with a reason naming the bad value.
 */
export function parseCooldown(value: string | undefined | null): CooldownSetting {
  const def = DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS;
  if (value === undefined || value === null || value.trim() === '') return { seconds: def };
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    return {
      seconds: def,
      reason: `branch-eni-cooldown "${value}" is not a whole number of seconds; using the default ${formatDuration(def)}`,
    };
  }
  const n = Number(text);
  if (n < MIN_BRANCH_ENI_COOLDOWN_SECONDS) {
    return {
      seconds: MIN_BRANCH_ENI_COOLDOWN_SECONDS,
      reason: `branch-eni-cooldown ${text}s is below the minimum of ${MIN_BRANCH_ENI_COOLDOWN_SECONDS}s; using ${formatDuration(MIN_BRANCH_ENI_COOLDOWN_SECONDS)}`,
    };
  }
  if (n > MAX_BRANCH_ENI_COOLDOWN_SECONDS) {
    return {
      seconds: MAX_BRANCH_ENI_COOLDOWN_SECONDS,
      reason: `branch-eni-cooldown ${text}s is above the maximum of ${MAX_BRANCH_ENI_COOLDOWN_SECONDS}s; using ${formatDuration(MAX_BRANCH_ENI_COOLDOWN_SECONDS)}`,
    };
  }
  return { seconds: n };
}

/**
 * A duration in seconds as Go's time.Duration String() prints it, as the reference's event
 * message shows it: `45s`, `1m0s`, `1h2m3s`, `1.5s`, `500ms`, `0s` (millisecond precision).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new RangeError(`duration must be a finite number of seconds (got ${seconds})`);
  const negative = seconds < 0;
  let ms = Math.round(Math.abs(seconds) * 1000);
  const sign = negative && ms > 0 ? '-' : '';
  if (ms === 0) return '0s';
  if (ms < 1000) return `${sign}${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  const secs = frac === 0 ? `${s}s` : `${s}.${String(frac).padStart(3, '0').replace(/0+$/, '')}s`;
  if (h > 0) return `${sign}${h}h${m}m${secs}`;
  if (m > 0) return `${sign}${m}m${secs}`;
  return `${sign}${secs}`;
}
