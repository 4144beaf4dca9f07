/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { WorkQueue, Outcome, decideAction, backoffDelay, DEFAULT_BACKOFF, type ReconcileOutcome } from '../../../src/kube/work-queue.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const noJitter = { baseMs: 100, maxMs: 1_000, jitter: 0 };

describe('decideAction (the one outcome → action mapping)', () => {
  it.each<[string, ReconcileOutcome, number, unknown]>([
    ['done forgets', Outcome.done(), 0, { type: 'forget' }],
    ['terminal forgets', Outcome.terminal(new Error('bad')), 0, { type: 'forget' }],
    ['requeueAfter requeues without failure', Outcome.requeueAfter(250), 0, { type: 'requeue', delayMs: 250, failure: false }],
    ['first retry uses the base', Outcome.retry(new Error('x')), 1, { type: 'requeue', delayMs: 100, failure: true }],
    ['third retry doubles twice', Outcome.retry(new Error('x')), 3, { type: 'requeue', delayMs: 400, failure: true }],
    ['retry is capped', Outcome.retry(new Error('x')), 30, { type: 'requeue', delayMs: 1_000, failure: true }],
    ['minDelay floors the delay', Outcome.retry(new Error('x'), { minDelayMs: 700 }), 1, { type: 'requeue', delayMs: 700, failure: true }],
    ['minDelay is capped too', Outcome.retry(new Error('x'), { minDelayMs: 9_000 }), 1, { type: 'requeue', delayMs: 1_000, failure: true }],
  ])('%s', (_name, outcome, failures, expected) => {
    expect(decideAction(outcome, failures, noJitter, () => 0.5)).toEqual(expected);
  });

  it('jitter only ever shortens the delay, by at most the jitter fraction', () => {
    const p = { baseMs: 1_000, maxMs: 60_000, jitter: 0.2 };
    expect(backoffDelay(1, p, () => 0)).toBe(1_000);
    expect(backoffDelay(1, p, () => 0.999999)).toBe(800);
    expect(backoffDelay(2, p, () => 0.5)).toBe(1_800);
    expect(DEFAULT_BACKOFF.maxMs).toBeGreaterThan(DEFAULT_BACKOFF.baseMs);
  });
});

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('dedupes a key added many times while it waits', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ name: 't', paused: true, reconcile: async (k) => (seen.push(k), Outcome.done()) });
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    expect(q.len()).toBe(2);
    q.start();
    await q.whenIdle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs a key twice at once; a key dirtied while running runs once more after', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue({
      name: 't',
      concurrency: 4,
      reconcile: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate.promise;
        running--;
        return Outcome.done();
      },
    });
    q.add('a');
    await vi.advanceTimersByTimeAsync(0);
    q.add('a');
    q.add('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    gate.resolve();
    await q.whenIdle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('bounds concurrency across keys', async () => {
    const gates = new Map<string, { resolve: () => void }>();
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      name: 't',
      concurrency: 2,
      reconcile: async (k) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const g = deferred();
        gates.set(k, { resolve: () => g.resolve() });
        await g.promise;
        running--;
        return Outcome.done();
      },
    });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await vi.advanceTimersByTimeAsync(0);
    expect(q.inFlight()).toBe(2);
    expect(q.len()).toBe(2);
    for (let i = 0; i < 4; i++) {
      for (const g of gates.values()) g.resolve();
      await vi.advanceTimersByTimeAsync(0);
    }
    await q.whenIdle();
    expect(maxRunning).toBe(2);
    expect(gates.size).toBe(4);
  });

  it('retries with per-key exponential backoff, and success forgets the failures', async () => {
    const times: number[] = [];
    let calls = 0;
    const q = new WorkQueue({
      name: 't',
      backoff: noJitter,
      reconcile: async () => {
        times.push(Date.now());
        calls++;
        if (calls <= 3) throw new Error('boom');
        return Outcome.done();
      },
    });
    const t0 = Date.now();
    q.add('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(q.numFailures('a')).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(3);
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toBe(4);
    expect(times.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
    expect(q.numFailures('a')).toBe(0);
    expect(q.pendingDelayed()).toBe(0);
  });

  it('honours the delay its error map gives a thrown error (e.g. Ec2Error.retryAfterMs)', async () => {
    let calls = 0;
    const q = new WorkQueue({
      name: 't',
      backoff: noJitter,
      errorOutcome: (err) => Outcome.retry(err, { errorClass: 'quota', minDelayMs: 600 }),
      reconcile: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('no addresses'), { class: 'quota', retryAfterMs: 600 });
        return Outcome.done();
      },
    });
    q.add('a');
    await vi.advanceTimersByTimeAsync(599);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
  });

  it('requeueAfter runs the key again after the delay without counting a failure; terminal drops it', async () => {
    const outcomes = [Outcome.requeueAfter(1_000), Outcome.terminal(new Error('bad spec'))];
    let calls = 0;
    const q = new WorkQueue({ name: 't', reconcile: async () => outcomes[calls++] ?? Outcome.done() });
    q.add('a');
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    expect(q.numFailures('a')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(2);
  });

  it('addAfter keeps the earliest due time for a key', async () => {
    let calls = 0;
    const q = new WorkQueue({ name: 't', reconcile: async () => (calls++, Outcome.done()) });
    q.addAfter('a', 5_000);
    q.addAfter('a', 1_000);
    q.addAfter('a', 3_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
  });

  it('serves the high lane before normal and low', async () => {
    const order: string[] = [];
    const q = new WorkQueue({ name: 't', paused: true, reconcile: async (k) => (order.push(k), Outcome.done()) });
    q.add('gc-1', 'low');
    q.add('n-1');
    q.add('pod-1', 'high');
    q.add('gc-2', 'low');
    q.add('n-2');
    q.add('gc-1', 'high'); // promoted
    q.start();
    await q.whenIdle();
    expect(order).toEqual(['pod-1', 'gc-1', 'n-1', 'n-2', 'gc-2']);
  });

  it('shutdown waits for in-flight work, drops queued and delayed keys, and ignores later adds', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const q = new WorkQueue({
      name: 't',
      reconcile: async (k) => {
        seen.push(k);
        if (k === 'a') await gate.promise;
        return Outcome.done();
      },
    });
    q.add('a');
    q.add('b');
    q.addAfter('c', 100);
    await vi.advanceTimersByTimeAsync(0);
    let finished = false;
    const done = q.shutdown().then(() => (finished = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(finished).toBe(false);
    gate.resolve();
    await done;
    q.add('d');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual(['a']);
  });

  it('records depth, adds, retries by class and latency metrics labelled by queue name', async () => {
    const registry = new Registry();
    let calls = 0;
    const q = new WorkQueue({
      name: 'pods',
      registry,
      backoff: noJitter,
      reconcile: async () => (++calls === 1 ? Outcome.retry(new Error('x'), { errorClass: 'throttled' }) : Outcome.done()),
    });
    q.add('a');
    q.add('a');
    await vi.advanceTimersByTimeAsync(500);
    const text = await registry.metrics();
    expect(text).toContain('vpcrc_workqueue_adds_total{name="pods"} 3');
    expect(text).toContain('vpcrc_workqueue_retries_total{name="pods",error_class="throttled"} 1');
    expect(text).toContain('vpcrc_workqueue_reconcile_duration_seconds_count{name="pods",outcome="retry"} 1');
    expect(text).toContain('vpcrc_workqueue_depth{name="pods"} 0');
    expect(text).toContain('vpcrc_workqueue_in_flight{name="pods"} 0');
  });
});

describe('WorkQueue: an outcome names its lane', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('requeueAfter(T, lane) runs the key again after T in that lane, ahead of keys in lower lanes', async () => {
    const order: string[] = [];
    let first = true;
    const q = new WorkQueue({
      name: 't',
      concurrency: 1,
      reconcile: async (key) => {
        order.push(key);
        if (key === 'a' && first) {
          first = false;
          return Outcome.requeueAfter(100, 'high');
        }
        // Keep the worker busy so that 'a' and 'b' wait together.
        if (key === 'slow') await new Promise((r) => setTimeout(r, 200));
        return Outcome.done();
      },
    });
    q.add('a', 'low');
    await vi.advanceTimersByTimeAsync(0);
    q.add('slow', 'normal');
    await vi.advanceTimersByTimeAsync(0);
    q.add('b', 'normal');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(order).toEqual(['a', 'slow', 'a', 'b']);
    expect(decideAction(Outcome.requeueAfter(5, 'high'), 0, DEFAULT_BACKOFF)).toEqual({ type: 'requeue', delayMs: 5, failure: false, lane: 'high' });
  });
});
