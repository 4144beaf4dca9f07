// The knobs of EC2 pacing, their defaults, and parsing from CLI flags and live ConfigMap keys.
//
//   flags:      --ec2-account-share 0.8  --ec2-rate CreateNetworkInterface=4  --ec2-burst CreateNetworkInterface=40
//               --ec2-pool pod-start=32   (rate/burst/pool repeatable)
//   ConfigMap:  ec2-account-share: "0.8"
//               ec2-rate-CreateNetworkInterface: "4"      ec2-burst-CreateNetworkInterface: "40"
//               ec2-rate-DescribeInstances.unfiltered: "5" (ConfigMap keys allow no ':', so '.' names
//               the lower describe bucket; flags accept either)
//               ec2-pool-pod-start: "32"
//
// Rates are absolute calls per second for this controller (they replace share × AWS bucket), bursts
// absolute tokens. docs/tuning.md explains each knob.
import { AWS_BUCKETS, BUDGET_KEYS, DEFAULT_ACCOUNT_SHARE, SHARED_LIMITER_KEY, budgetFor, type Budget, type BudgetKey, type LimiterKey } from './budgets.js';

/** Who a call is for; it picks the work pool and the limiter priority. */
export const PRIORITIES = ['pod-start', 'trunk', 'release', 'background'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface AdaptiveConfig {
  /** On RequestLimitExceeded the action's rate is multiplied by this at once. */
  decreaseFactor: number;
  /** Every `recoverIntervalMs` without a throttle the rate grows by this fraction of the configured rate. */
  increaseFraction: number;
  recoverIntervalMs: number;
  /** The rate never drops below this fraction of the configured rate. */
  minFraction: number;
  /** Throttles within this window after a decrease do not decrease again (they were sent before it). */
  decreaseCooldownMs: number;
}

export interface PacingConfig {
  /** Fraction (0, 1] of each AWS bucket this controller may spend. */
  accountShare: number;
  /** Per-key rate overrides, calls per second. */
  rates: Partial<Record<BudgetKey, number>>;
  /** Per-key burst overrides, tokens. */
  bursts: Partial<Record<BudgetKey, number>>;
  /** Concurrent in-flight calls per pool. */
  pools: Record<Priority, number>;
  adaptive: AdaptiveConfig;
  /** Sandbox only: the local EC2 refills its buckets this many times faster; pace accordingly. */
  timeScale: number;
  /**
   * Benchmarks only: one bucket shared by every call instead of per-action budgets. With
   * `REFERENCE_PACING` it reproduces the reference controller's policy for side-by-side runs.
   */
  shared?: Budget;
}

/** The reference controller's limiter: 12 calls per second, burst 18, for all EC2 calls together. */
export const REFERENCE_PACING: Readonly<Budget> = { ratePerSecond: 12, burst: 18 };

export const DEFAULT_POOLS: Readonly<Record<Priority, number>> = { 'pod-start': 32, trunk: 16, release: 8, background: 8 };
export const DEFAULT_ADAPTIVE: Readonly<AdaptiveConfig> = {
  decreaseFactor: 0.7,
  increaseFraction: 0.02,
  recoverIntervalMs: 2_000,
  minFraction: 0.05,
  decreaseCooldownMs: 1_000,
};

export function defaultPacingConfig(): PacingConfig {
  return {
    accountShare: DEFAULT_ACCOUNT_SHARE,
    rates: {},
    bursts: {},
    pools: { ...DEFAULT_POOLS },
    adaptive: { ...DEFAULT_ADAPTIVE },
    timeScale: 1,
  };
}

/** The limiter budget of every key under a config (share-derived, then overrides, then time scale). */
export function effectiveBudgets(config: PacingConfig): Partial<Record<LimiterKey, Budget>> {
  if (config.shared) {
    return { [SHARED_LIMITER_KEY]: { ratePerSecond: config.shared.ratePerSecond * config.timeScale, burst: config.shared.burst } };
  }
  const out: Partial<Record<LimiterKey, Budget>> = {};
  for (const key of BUDGET_KEYS) {
    const derived = budgetFor(key, config.accountShare);
    const rate = config.rates[key] ?? derived.ratePerSecond;
    out[key] = { ratePerSecond: rate * config.timeScale, burst: config.bursts[key] ?? derived.burst };
  }
  return out;
}

/** Accepts `DescribeInstances:unfiltered` and `DescribeInstances.unfiltered`. */
export function parseBudgetKey(raw: string): BudgetKey | undefined {
  const k = raw.trim().replace(/\.unfiltered$/, ':unfiltered');
  return Object.hasOwn(AWS_BUCKETS, k) ? (k as BudgetKey) : undefined;
}

function parseNumber(what: string, raw: string, check: (n: number) => boolean, rule: string): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new Error(`${what}: "${raw}" is not valid (${rule})`);
  return n;
}

const share = (what: string, raw: string): number => parseNumber(what, raw, (n) => n > 0 && n <= 1, 'a number in (0, 1]');
const rate = (what: string, raw: string): number => parseNumber(what, raw, (n) => n > 0, 'a positive number of calls per second');
const burst = (what: string, raw: string): number => parseNumber(what, raw, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1');
const poolSize = (what: string, raw: string): number => parseNumber(what, raw, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1');

function parsePair(flag: string, raw: string): [string, string] {
  const i = raw.indexOf('=');
  if (i <= 0) throw new Error(`${flag}: "${raw}" must look like Name=value`);
  return [raw.slice(0, i).trim(), raw.slice(i + 1)];
}

function budgetKeyOrThrow(what: string, raw: string): BudgetKey {
  const k = parseBudgetKey(raw);
  if (!k) throw new Error(`${what}: unknown EC2 action "${raw}" (known: ${BUDGET_KEYS.join(', ')})`);
  return k;
}

function priorityOrThrow(what: string, raw: string): Priority {
  if (!(PRIORITIES as readonly string[]).includes(raw)) throw new Error(`${what}: unknown pool "${raw}" (known: ${PRIORITIES.join(', ')})`);
  return raw as Priority;
}

function copyConfig(base: PacingConfig): PacingConfig {
  return {
    ...base,
    rates: { ...base.rates },
    bursts: { ...base.bursts },
    pools: { ...base.pools },
    adaptive: { ...base.adaptive },
    ...(base.shared ? { shared: { ...base.shared } } : {}),
  };
}

export interface PacingFlags {
  ec2AccountShare?: string;
  ec2Rate?: string[];
  ec2Burst?: string[];
  ec2Pool?: string[];
  ec2TimeScale?: string;
}

/** Build a config from CLI flag values (commander strings); throws an error naming the bad flag. */
export function pacingFromFlags(flags: PacingFlags, base: PacingConfig = defaultPacingConfig()): PacingConfig {
  const c = copyConfig(base);
  if (flags.ec2AccountShare !== undefined) c.accountShare = share('--ec2-account-share', flags.ec2AccountShare);
  for (const raw of flags.ec2Rate ?? []) {
    const [k, v] = parsePair('--ec2-rate', raw);
    c.rates[budgetKeyOrThrow('--ec2-rate', k)] = rate(`--ec2-rate ${k}`, v);
  }
  for (const raw of flags.ec2Burst ?? []) {
    const [k, v] = parsePair('--ec2-burst', raw);
    c.bursts[budgetKeyOrThrow('--ec2-burst', k)] = burst(`--ec2-burst ${k}`, v);
  }
  for (const raw of flags.ec2Pool ?? []) {
    const [k, v] = parsePair('--ec2-pool', raw);
    c.pools[priorityOrThrow('--ec2-pool', k)] = poolSize(`--ec2-pool ${k}`, v);
  }
  if (flags.ec2TimeScale !== undefined) {
    c.timeScale = parseNumber('--ec2-time-scale', flags.ec2TimeScale, (n) => n > 0, 'a positive number');
  }
  return c;
}

export const CONFIG_KEY_ACCOUNT_SHARE = 'ec2-account-share';
export const CONFIG_KEY_RATE_PREFIX = 'ec2-rate-';
export const CONFIG_KEY_BURST_PREFIX = 'ec2-burst-';
export const CONFIG_KEY_POOL_PREFIX = 'ec2-pool-';

/**
 * Apply ConfigMap `data` on top of `base` (the flag-derived config). Bad keys or values are
 * skipped and reported in `errors` (one message each, naming the key), never thrown: a typo in a
 * live ConfigMap must not stop the controller. Keys not starting with `ec2-` are ignored.
 */
export function pacingFromConfigMap(
  data: Readonly<Record<string, string>> | undefined,
  base: PacingConfig,
): { config: PacingConfig; errors: string[] } {
  const c = copyConfig(base);
  const errors: string[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!key.startsWith('ec2-')) continue;
    try {
      if (key === CONFIG_KEY_ACCOUNT_SHARE) c.accountShare = share(key, value);
      else if (key.startsWith(CONFIG_KEY_RATE_PREFIX)) c.rates[budgetKeyOrThrow(key, key.slice(CONFIG_KEY_RATE_PREFIX.length))] = rate(key, value);
      else if (key.startsWith(CONFIG_KEY_BURST_PREFIX)) c.bursts[budgetKeyOrThrow(key, key.slice(CONFIG_KEY_BURST_PREFIX.length))] = burst(key, value);
      else if (key.startsWith(CONFIG_KEY_POOL_PREFIX)) c.pools[priorityOrThrow(key, key.slice(CONFIG_KEY_POOL_PREFIX.length))] = poolSize(key, value);
      else errors.push(`${key}: unknown EC2 pacing key (known: ${CONFIG_KEY_ACCOUNT_SHARE}, ${CONFIG_KEY_RATE_PREFIX}<Action>, ${CONFIG_KEY_BURST_PREFIX}<Action>, ${CONFIG_KEY_POOL_PREFIX}<pool>)`);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { config: c, errors };
}
