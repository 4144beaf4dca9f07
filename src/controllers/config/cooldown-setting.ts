// The effective branch ENI cooldown for a ConfigMap value, with the floor the controller runs with.
// The product's floor is 30 s (parseCooldown); a lower floor (ControllerSettings.minCooldownSeconds)
// exists only so tests and the demo can watch a release happen in seconds.
import { MIN_BRANCH_ENI_COOLDOWN_SECONDS } from '../../apis/constants.js';
import { formatDuration, parseCooldown, type CooldownSetting } from '../../domain/cooldown.js';

export function effectiveCooldown(value: string | undefined | null, minSeconds: number = MIN_BRANCH_ENI_COOLDOWN_SECONDS): CooldownSetting {
  const parsed = parseCooldown(value);
  if (minSeconds >= MIN_BRANCH_ENI_COOLDOWN_SECONDS) return parsed;
  // Only a value the product floor raised is reconsidered: anything else parsed the same either way.
  const text = (value ?? '').trim();
  if (!/^[+-]?\d+$/.test(text) || Number(text) >= MIN_BRANCH_ENI_COOLDOWN_SECONDS) return parsed;
  const n = Number(text);
  if (n >= minSeconds) return { seconds: n };
  return {
    seconds: minSeconds,
    reason: `branch-eni-cooldown ${text}s is below the minimum of ${minSeconds}s; using ${formatDuration(minSeconds)}`,
  };
}
