// One token bucket per EC2 budget key, built on `bottleneck`, plus the adaptive response to throttling.
//
//   const pacer = new Pacer({ budgets: effectiveBudgets(config), adaptive: config.adaptive, registry, logger });
//   await pacer.schedule('CreateNetworkInterface', 'pod-start', () => send(...));
//   pacer.onThrottle('CreateNetworkInterface');   // EC2 said RequestLimitExceeded
//
// Each key has a bottleneck limiter whose reservoir is the bucket: a job runs only when it can take a
// token, queued jobs run in priority order (pod-start first). The reservoir is refilled by our own
// clock-driven tick rather than bottleneck's reservoirIncrease options: bottleneck applies those on
// a 250 ms heartbeat and stamps the refill at heartbeat time, so a late heartbeat loses time and the
// real rate drifts below (or, with a too-short interval, skips) the budget. The tick adds exactly
// `rate × elapsed` tokens (fractions carried over), capped at the burst, so the sustained rate equals
// the budget.
//
// Throttling (AIMD): on RequestLimitExceeded the key's rate is multiplied by `decreaseFactor` at once
// and its reservoir emptied (EC2's bucket is empty, so ours is too); throttles of calls sent before
// that decrease (within `decreaseCooldownMs`) don't decrease again. Every `recoverIntervalMs` without
// a throttle the rate grows by `increaseFraction` of the configured rate, back up to it.
import Bottleneck from 'bottleneck';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { counter, gauge, type Registry } from '../observability/metrics.js';
import type { Budget, LimiterKey } from './budgets.js';
import type { AdaptiveConfig, Priority } from './pacing-config.js';
import { DEFAULT_ADAPTIVE } from './pacing-config.js';

/** bottleneck priority (0 = first) per work priority. */
export const LIMITER_PRIORITY: Readonly<Record<Priority, number>> = { 'pod-start': 1, trunk: 2, release: 5, background: 7 };

export interface PacerOptions {
  budgets: Partial<Record<LimiterKey, Budget>>;
  adaptive?: AdaptiveConfig;
  /** Scales the adaptive intervals (the sandbox's time scale); budgets come already scaled. */
  timeScale?: number;
  /** Refill tick; default 50 ms. */
  tickMs?: number;
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
}

interface KeyState {
  key: LimiterKey;
  limiter: Bottleneck;
  configured: Budget;
  currentRate: number;
  carry: number;
  lastTick: number;
  lastDecrease: number;
  lastRecover: number;
  throttles: number;
  refilling: boolean;
}

export interface KeyPacingState {
  configuredRate: number;
  currentRate: number;
  burst: number;
  throttles: number;
  /** When the rate was last lowered (ms since epoch), or undefined. */
  lastThrottleAt: number | undefined;
}

export class Pacer {
  private readonly states = new Map<LimiterKey, KeyState>();
  private adaptive: AdaptiveConfig;
  private readonly timeScale: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly m: {
    rate: (key: string, kind: 'configured' | 'current', v: number) => void;
    decrease: (key: string) => void;
  };
  private stopped = false;

  constructor(opts: PacerOptions) {
    this.adaptive = opts.adaptive ?? { ...DEFAULT_ADAPTIVE };
    this.timeScale = opts.timeScale ?? 1;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'ec2-pacer' });
    this.now = opts.now ?? Date.now;
    this.m = makeMetrics(opts.registry);
    for (const [key, budget] of Object.entries(opts.budgets) as Array<[LimiterKey, Budget]>) this.add(key, budget);
    this.timer = setInterval(() => this.tick(), opts.tickMs ?? 50);
    this.timer.unref?.();
  }

  /** Run `fn` once the key's bucket has a token, ahead of queued jobs of lower priority. */
  schedule<T>(key: LimiterKey, priority: Priority, fn: () => Promise<T>): Promise<T> {
    const st = this.states.get(key);
    if (!st) return Promise.reject(new Error(`no EC2 budget configured for ${key}`));
    return st.limiter.schedule({ priority: LIMITER_PRIORITY[priority] }, fn);
  }

  /** EC2 throttled a call on `key`: lower its rate now (once per cooldown) and empty its bucket. */
  onThrottle(key: LimiterKey): void {
    const st = this.states.get(key);
    if (!st) return;
    st.throttles++;
    const now = this.now();
    const cooldown = this.adaptive.decreaseCooldownMs / this.timeScale;
    if (now - st.lastDecrease < cooldown) return;
    const floor = st.configured.ratePerSecond * this.adaptive.minFraction;
    const before = st.currentRate;
    st.currentRate = Math.max(floor, st.currentRate * this.adaptive.decreaseFactor);
    st.lastDecrease = now;
    st.lastRecover = now;
    st.carry = 0;
    st.limiter.updateSettings({ reservoir: 0 });
    this.m.decrease(key);
    this.m.rate(key, 'current', st.currentRate);
    this.log.warn({ action: key, fromRate: round(before), toRate: round(st.currentRate) }, 'EC2 throttled this action; lowering its rate');
  }

  /** Apply new budgets live; a key slowed by throttling keeps its reduced fraction of the new rate. */
  reconfigure(budgets: Partial<Record<LimiterKey, Budget>>, adaptive?: AdaptiveConfig): void {
    if (adaptive) this.adaptive = adaptive;
    for (const [key, budget] of Object.entries(budgets) as Array<[LimiterKey, Budget]>) {
      const st = this.states.get(key);
      if (!st) {
        this.add(key, budget);
        continue;
      }
      const fraction = st.configured.ratePerSecond > 0 ? st.currentRate / st.configured.ratePerSecond : 1;
      st.configured = { ...budget };
      st.currentRate = budget.ratePerSecond * Math.min(1, fraction);
      void this.capReservoir(st);
      this.m.rate(key, 'configured', budget.ratePerSecond);
      this.m.rate(key, 'current', st.currentRate);
    }
  }

  state(key: LimiterKey): KeyPacingState | undefined {
    const st = this.states.get(key);
    if (!st) return undefined;
    return {
      configuredRate: st.configured.ratePerSecond,
      currentRate: st.currentRate,
      burst: st.configured.burst,
      throttles: st.throttles,
      lastThrottleAt: st.lastDecrease > 0 ? st.lastDecrease : undefined,
    };
  }

  /** Jobs waiting for a token on `key`. */
  queued(key: LimiterKey): number {
    return this.states.get(key)?.limiter.queued() ?? 0;
  }

  /** Tokens available now on `key`. */
  async tokens(key: LimiterKey): Promise<number> {
    return (await this.states.get(key)?.limiter.currentReservoir()) ?? 0;
  }

  /** Stop refilling and reject queued jobs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([...this.states.values()].map((st) => st.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
  }

  private add(key: LimiterKey, budget: Budget): void {
    const now = this.now();
    const limiter = new Bottleneck({ reservoir: budget.burst, maxConcurrent: null });
    limiter.on('error', (err: unknown) => this.log.error({ err, action: key }, 'limiter error'));
    this.states.set(key, {
      key,
      limiter,
      configured: { ...budget },
      currentRate: budget.ratePerSecond,
      carry: 0,
      lastTick: now,
      lastDecrease: 0,
      lastRecover: now,
      throttles: 0,
      refilling: false,
    });
    this.m.rate(key, 'configured', budget.ratePerSecond);
    this.m.rate(key, 'current', budget.ratePerSecond);
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    const recoverEvery = this.adaptive.recoverIntervalMs / this.timeScale;
    for (const st of this.states.values()) {
      // Additive recovery towards the configured rate.
      if (st.currentRate < st.configured.ratePerSecond && now - st.lastRecover >= recoverEvery) {
        st.currentRate = Math.min(st.configured.ratePerSecond, st.currentRate + st.configured.ratePerSecond * this.adaptive.increaseFraction);
        st.lastRecover = now;
        this.m.rate(st.key, 'current', st.currentRate);
        if (st.currentRate >= st.configured.ratePerSecond) this.log.info({ action: st.key }, 'EC2 action back to its configured rate');
      }
      const elapsed = Math.max(0, now - st.lastTick);
      st.lastTick = now;
      st.carry += (elapsed / 1000) * st.currentRate;
      if (st.carry >= 1 && !st.refilling) void this.refill(st);
    }
  }

  private async refill(st: KeyState): Promise<void> {
    st.refilling = true;
    try {
      const whole = Math.floor(st.carry);
      const current = (await st.limiter.currentReservoir()) ?? 0;
      const room = Math.max(0, st.configured.burst - current);
      const add = Math.min(whole, room);
      // A full bucket discards what it cannot hold: no hoarding beyond the burst.
      st.carry = add < whole ? 0 : st.carry - whole;
      if (add > 0) await st.limiter.incrementReservoir(add);
    } catch (err) {
      this.log.error({ err, action: st.key }, 'refill failed');
    } finally {
      st.refilling = false;
    }
  }

  private async capReservoir(st: KeyState): Promise<void> {
    const current = (await st.limiter.currentReservoir()) ?? 0;
    if (current > st.configured.burst) st.limiter.updateSettings({ reservoir: st.configured.burst });
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function makeMetrics(registry: Registry | undefined): Pacer['m'] {
  if (!registry) return { rate: () => {}, decrease: () => {} };
  const rate = gauge(registry, {
    name: 'vpcrc_ec2_rate_limit_per_second',
    help: 'EC2 calls per second this controller allows itself, configured and current (after throttling)',
    labelNames: ['action', 'kind'],
  });
  const decreases = counter(registry, {
    name: 'vpcrc_ec2_rate_decreases_total',
    help: 'Times an action was slowed down because EC2 throttled it',
    labelNames: ['action'],
  });
  return {
    rate: (action, kind, v) => rate.set({ action, kind }, v),
    decrease: (action) => decreases.inc({ action }),
  };
}
