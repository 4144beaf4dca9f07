import { describe, expect, it } from 'vitest';
import { Inflight } from '../../../src/sim/kube/node-agent/inflight.js';
import { serialRunner } from '../../../src/sim/kube/node-agent/serial-runner.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('serialRunner', () => {
  it('never overlaps runs and folds requests made during a run into one more run', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const run = serialRunner(
      async () => {
        runs++;
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => (release = r));
        active--;
      },
      () => {},
    );
    run();
    run();
    run();
    run();
    await tick();
    expect(runs).toBe(1);
    release();
    await tick();
    expect(runs).toBe(2); // the three requests made meanwhile became one run
    release();
    await tick();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('reports errors and keeps working', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let ok = 0;
    const run = serialRunner(
      () => {
        if (fail) return Promise.reject(new Error('boom'));
        ok++;
        return Promise.resolve();
      },
      (e) => errors.push(e),
    );
    run();
    await tick();
    fail = false;
    run();
    await tick();
    expect(errors).toHaveLength(1);
    expect(ok).toBe(1);
  });
});

describe('Inflight', () => {
  it('drains once tracked work settles, rejected or not', async () => {
    const f = new Inflight();
    let resolveA!: () => void;
    void f.track(new Promise<void>((r) => (resolveA = r)));
    f.track(Promise.reject(new Error('x'))).catch(() => {});
    expect(f.size).toBe(2);
    let drained = false;
    const d = f.drain(1000).then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    resolveA();
    await d;
    expect(f.size).toBe(0);
  });

  it('gives up after the timeout', async () => {
    const f = new Inflight();
    void f.track(new Promise(() => {}));
    const t0 = Date.now();
    await f.drain(50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(f.size).toBe(1);
  });
});
