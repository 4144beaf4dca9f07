/* eslint-disable @typescript-eslint/require-await -- scheduled jobs are async by contract */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { Pacer } from '../../../src/aws/pacer.js';
import { DEFAULT_ADAPTIVE } from '../../../src/aws/pacing-config.js';

describe('Pacer', () => {
  let pacer: Pacer | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    // bottleneck's stop() waits on timers of its own: advance the fake clock while it stops.
    const stopping = pacer?.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopping;
    pacer = undefined;
    vi.useRealTimers();
  });

  /** bottleneck answers through setTimeout(0): advance the fake clock by nothing while awaiting. */
  async function settle<T>(p: Promise<T>): Promise<T> {
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(0);
    return p;
  }

  it('allows the burst at once, then exactly the sustained rate', async () => {
    pacer = new Pacer({ budgets: { CreateNetworkInterface: { ratePerSecond: 5, burst: 10 } } });
    const started: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 80; i++) {
      pacer
        .schedule('CreateNetworkInterface', 'pod-start', async () => {
          started.push(Date.now() - t0);
        })
        .catch(() => undefined);
    }
    // bottleneck starts one job per event-loop turn (it yields through setTimeout), so give the burst 50 ms.
    await vi.advanceTimersByTimeAsync(50);
    expect(started).toHaveLength(10);
    for (const seconds of [1, 2, 5, 10]) {
      await vi.advanceTimersByTimeAsync(seconds * 1000 - (Date.now() - t0));
      // Never above burst + rate × t; never more than one token behind it.
      expect(started.length).toBeLessThanOrEqual(10 + 5 * seconds);
      expect(started.length).toBeGreaterThanOrEqual(10 + 5 * seconds - 1);
    }
    // Over any window of 1 s after the burst, at most rate + 1 calls start.
    const after = started.slice(10);
    for (let i = 0; i + 6 < after.length; i++) expect(after[i + 6]! - after[i]!).toBeGreaterThanOrEqual(1000);
  });

  it('does not hoard tokens beyond the burst while idle', async () => {
    pacer = new Pacer({ budgets: { CreateTags: { ratePerSecond: 10, burst: 4 } } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await settle(pacer.tokens('CreateTags'))).toBe(4);
    let ran = 0;
    for (let i = 0; i < 10; i++) pacer.schedule('CreateTags', 'background', async () => void ran++).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    expect(ran).toBe(4);
  });

  it('keeps keys independent', async () => {
    pacer = new Pacer({
      budgets: { CreateNetworkInterface: { ratePerSecond: 1, burst: 1 }, AssociateTrunkInterface: { ratePerSecond: 1, burst: 3 } },
    });
    let creates = 0;
    let associates = 0;
    for (let i = 0; i < 5; i++) {
      pacer.schedule('CreateNetworkInterface', 'pod-start', async () => void creates++).catch(() => undefined);
      pacer.schedule('AssociateTrunkInterface', 'pod-start', async () => void associates++).catch(() => undefined);
    }
    await vi.advanceTimersByTimeAsync(10);
    expect([creates, associates]).toEqual([1, 3]);
  });

  it('serves higher priorities first when tokens are scarce', async () => {
    pacer = new Pacer({ budgets: { DeleteNetworkInterface: { ratePerSecond: 1, burst: 1 } } });
    const order: string[] = [];
    pacer.schedule('DeleteNetworkInterface', 'background', async () => void order.push('first-in')).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10); // the one token goes to the only caller
    for (const p of ['background', 'release', 'pod-start', 'trunk'] as const) {
      pacer.schedule('DeleteNetworkInterface', p, async () => void order.push(p)).catch(() => undefined);
    }
    await vi.advanceTimersByTimeAsync(4_100);
    expect(order).toEqual(['first-in', 'pod-start', 'trunk', 'release', 'background']);
  });

  it('on throttling lowers the rate at once, empties the bucket, and recovers gradually', async () => {
    const registry = new Registry();
    pacer = new Pacer({ budgets: { AssociateTrunkInterface: { ratePerSecond: 10, burst: 20 } }, registry });
    pacer.onThrottle('AssociateTrunkInterface');
    pacer.onThrottle('AssociateTrunkInterface'); // same burst of in-flight calls: no second decrease
    await vi.advanceTimersByTimeAsync(1);
    const s = pacer.state('AssociateTrunkInterface')!;
    expect(s.currentRate).toBeCloseTo(10 * DEFAULT_ADAPTIVE.decreaseFactor);
    expect(s.throttles).toBe(2);
    expect(await settle(pacer.tokens('AssociateTrunkInterface'))).toBeLessThan(1);
    // After 1 s at 7/s: about 7 calls, far fewer than the 20-token burst + 10/s before.
    let ran = 0;
    for (let i = 0; i < 100; i++) pacer.schedule('AssociateTrunkInterface', 'pod-start', async () => void ran++).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toBeGreaterThanOrEqual(6);
    expect(ran).toBeLessThanOrEqual(8);
    // Another throttle after the cooldown lowers it again.
    pacer.onThrottle('AssociateTrunkInterface');
    expect(pacer.state('AssociateTrunkInterface')!.currentRate).toBeCloseTo(10 * 0.7 * 0.7);
    // Additive recovery: +2 % of 10/s every 2 s until back at 10/s, never above.
    await vi.advanceTimersByTimeAsync(2_050);
    expect(pacer.state('AssociateTrunkInterface')!.currentRate).toBeCloseTo(4.9 + 0.2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(pacer.state('AssociateTrunkInterface')!.currentRate).toBe(10);
    const text = await registry.metrics();
    expect(text).toContain('vpcrc_ec2_rate_decreases_total{action="AssociateTrunkInterface"} 2');
    expect(text).toContain('vpcrc_ec2_rate_limit_per_second{action="AssociateTrunkInterface",kind="current"} 10');
  });

  it('never lowers below the floor fraction', () => {
    pacer = new Pacer({ budgets: { CreateTags: { ratePerSecond: 10, burst: 5 } }, adaptive: { ...DEFAULT_ADAPTIVE, decreaseCooldownMs: 0 } });
    for (let i = 0; i < 50; i++) pacer.onThrottle('CreateTags');
    expect(pacer.state('CreateTags')!.currentRate).toBeCloseTo(10 * DEFAULT_ADAPTIVE.minFraction);
  });

  it('reconfigure applies a new rate and burst live', async () => {
    pacer = new Pacer({ budgets: { CreateTags: { ratePerSecond: 1, burst: 50 } } });
    pacer.reconfigure({ CreateTags: { ratePerSecond: 20, burst: 5 } });
    await vi.advanceTimersByTimeAsync(10);
    expect(await settle(pacer.tokens('CreateTags'))).toBe(5);
    let ran = 0;
    for (let i = 0; i < 100; i++) pacer.schedule('CreateTags', 'background', async () => void ran++).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ran).toBeGreaterThanOrEqual(24);
    expect(ran).toBeLessThanOrEqual(25);
  });

  it('rejects a key without a budget', async () => {
    pacer = new Pacer({ budgets: {} });
    await expect(pacer.schedule('CreateTags', 'background', async () => 1)).rejects.toThrow(/no EC2 budget configured for CreateTags/);
  });
});
