/* eslint-disable @typescript-eslint/require-await -- pool tasks are async by contract */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Pools } from '../../../src/aws/pools.js';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('Pools', () => {
  it('bounds in-flight calls per pool and keeps pools independent', async () => {
    const registry = new Registry();
    const pools = new Pools({ sizes: { 'pod-start': 2, trunk: 1, release: 1, background: 1 }, registry });
    const g = gate();
    let running = 0;
    let max = 0;
    const work = () =>
      pools.run('release', async () => {
        running++;
        max = Math.max(max, running);
        await g.p;
        running--;
      });
    const releases = [work(), work(), work()];
    const podStart = await pools.run('pod-start', async () => 'not blocked by releases');
    expect(podStart).toBe('not blocked by releases');
    expect(pools.stats('release')).toEqual({ waiting: 2, running: 1, size: 1 });
    expect(await registry.metrics()).toContain('vpcrc_ec2_pool_depth{pool="release",state="waiting"} 2');
    g.open();
    await Promise.all(releases);
    expect(max).toBe(1);
  });

  it('runs more urgent calls first within a pool and resizes live', async () => {
    const pools = new Pools({ sizes: { 'pod-start': 1, trunk: 1, release: 1, background: 1 } });
    const g = gate();
    const order: string[] = [];
    const first = pools.run('background', async () => {
      await g.p;
      order.push('first');
    });
    const low = pools.run('background', async () => void order.push('low'), 0);
    const high = pools.run('background', async () => void order.push('high'), 5);
    g.open();
    await Promise.all([first, low, high]);
    expect(order).toEqual(['first', 'high', 'low']);
    pools.resize({ 'pod-start': 8, trunk: 1, release: 1, background: 3 });
    expect(pools.stats('background').size).toBe(3);
    expect(() => pools.resize({ 'pod-start': 0, trunk: 1, release: 1, background: 1 })).toThrow(/size must be an integer ≥ 1/);
  });
});
