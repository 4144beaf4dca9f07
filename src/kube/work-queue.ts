// The one keyed work queue every reconciler runs on (design principle 2).
//
//   const q = new WorkQueue({ name: 'node', concurrency: 4, reconcile: async (key) => Outcome.done(), registry, logger });
//   q.add('ip-10-0-0-1');            // from informer handlers: only enqueue keys
//   q.addAfter(key, 5_000);          // delayed requeue
//   await q.shutdown();              // stop taking work, wait for in-flight reconciles
//
// Guarantees: a key queued many times is reconciled once (dirty-set dedupe); the same key never
// runs twice at once (a key dirtied while running runs again right after); failures back off per
// key exponentially (base, cap, jitter) and success forgets them; at most `concurrency` reconciles
// at a time; the 'high' lane (pod-start work) is always served before 'normal' and 'low' (cleanup).
//
// Reconcilers return a typed outcome and the mapping to a queue action lives in ONE place:
// `decideAction()` below. A reconcile that throws gets the outcome of the queue's `errorOutcome`
// (the controller's one error map), by default `Outcome.retry(err)`.
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { counter, gauge, histogram, type Registry } from '../observability/metrics.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { Fifo } from './fifo.js';

export { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';

export type ReconcileOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'requeueAfter'; readonly delayMs: number; readonly lane?: Lane }
  | { readonly kind: 'retry'; readonly error: unknown; readonly errorClass?: string; readonly minDelayMs?: number }
  | { readonly kind: 'terminal'; readonly error: unknown };

/** Constructors for reconcile outcomes. */
export const Outcome = {
  done: (): ReconcileOutcome => ({ kind: 'done' }),
  /**
   * Success, but look again later (e.g. waiting for an attachment, or a periodic check), in `lane`
   * when given (else the lane the key ran in): e.g. finishing a started trunk goes 'high', ahead
   * of nodes not started yet. No reconciler enqueues its own key behind the queue's back.
   */
  requeueAfter: (delayMs: number, lane?: Lane): ReconcileOutcome => ({ kind: 'requeueAfter', delayMs, ...(lane ? { lane } : {}) }),
  /**
   * Failure worth retrying with per-key backoff. `errorClass` (e.g. an EC2 error class) labels the
   * metric; `minDelayMs` (e.g. `Ec2Error.retryAfterMs`) is a floor under the exponential delay.
   */
  retry: (error: unknown, opts: { errorClass?: string; minDelayMs?: number } = {}): ReconcileOutcome => ({
    kind: 'retry',
    error,
    ...opts,
  }),
  /** Failure that retrying cannot fix (bad input): drop the key until something enqueues it again. */
  terminal: (error: unknown): ReconcileOutcome => ({ kind: 'terminal', error }),
} as const;

export type Lane = 'high' | 'normal' | 'low';
const LANES: readonly Lane[] = ['high', 'normal', 'low'];

/** What the queue does after a reconcile: the single mapping from outcomes. */
export type QueueAction =
  | { readonly type: 'forget' }
  | { readonly type: 'requeue'; readonly delayMs: number; readonly failure: boolean; readonly lane?: Lane };

/**
 * Map an outcome to a queue action. `failures` is the number of consecutive failures of this key
 * INCLUDING the current one when the outcome is a retry. Pure: tested with tables.
 */
export function decideAction(
  outcome: ReconcileOutcome,
  failures: number,
  backoff: BackoffPolicy,
  random: () => number = Math.random,
): QueueAction {
  switch (outcome.kind) {
    case 'done':
    case 'terminal':
      return { type: 'forget' };
    case 'requeueAfter':
      return { type: 'requeue', delayMs: Math.max(0, outcome.delayMs), failure: false, ...(outcome.lane ? { lane: outcome.lane } : {}) };
    case 'retry': {
      const exp = backoffDelay(failures, backoff, random);
      const floor = Math.min(outcome.minDelayMs ?? 0, backoff.maxMs);
      return { type: 'requeue', delayMs: Math.max(exp, floor), failure: true };
    }
  }
}

export interface ReconcileContext {
  /** Consecutive failures of this key before this run (0 on a first try or after success). */
  failures: number;
  logger: Logger;
}

export interface WorkQueueOptions<K extends string = string> {
  /** Queue name: metric label and logger field. */
  name: string;
  /** Parallel reconciles (different keys). Default 1. */
  concurrency?: number;
  reconcile: (key: K, ctx: ReconcileContext) => Promise<ReconcileOutcome>;
  backoff?: Partial<BackoffPolicy>;
  registry?: Registry;
  logger?: Logger;
  /** Injected for tests; default Date.now / Math.random. */
  now?: () => number;
  random?: () => number;
  /**
   * The outcome of a reconcile that threw: the controller's one error map (controllers/error-map.ts)
   * in production. Default: a plain retry (the queue does not guess at error shapes).
   */
  errorOutcome?: (err: unknown) => ReconcileOutcome;
  /** Start paused (call `start()` once caches have synced). Default false. */
  paused?: boolean;
}

interface Metrics {
  depth: (n: number) => void;
  add: () => void;
  retry: (cls: string) => void;
  outcome: (kind: string, seconds: number) => void;
  wait: (seconds: number) => void;
  inFlight: (n: number) => void;
}

function makeMetrics(registry: Registry | undefined, name: string): Metrics {
  if (!registry) return { depth: noop, add: noop, retry: noop, outcome: noop, wait: noop, inFlight: noop };
  const depth = gauge(registry, { name: 'vpcrc_workqueue_depth', help: 'Keys waiting to be reconciled', labelNames: ['name'] });
  const adds = counter(registry, { name: 'vpcrc_workqueue_adds_total', help: 'Keys added (before dedupe)', labelNames: ['name'] });
  const retries = counter(registry, {
    name: 'vpcrc_workqueue_retries_total',
    help: 'Reconciles that failed and were requeued with backoff',
    labelNames: ['name', 'error_class'],
  });
  const duration = histogram(registry, {
    name: 'vpcrc_workqueue_reconcile_duration_seconds',
    help: 'Reconcile latency by outcome',
    labelNames: ['name', 'outcome'],
  });
  const wait = histogram(registry, {
    name: 'vpcrc_workqueue_queue_duration_seconds',
    help: 'Time a key waited in the queue before its reconcile started',
    labelNames: ['name'],
  });
  const inFlight = gauge(registry, { name: 'vpcrc_workqueue_in_flight', help: 'Reconciles running now', labelNames: ['name'] });
  return {
    depth: (n) => depth.set({ name }, n),
    add: () => adds.inc({ name }),
    retry: (cls) => retries.inc({ name, error_class: cls }),
    outcome: (kind, s) => duration.observe({ name, outcome: kind }, s),
    wait: (s) => wait.observe({ name }, s),
    inFlight: (n) => inFlight.set({ name }, n),
  };
}

function noop(): void {}

export class WorkQueue<K extends string = string> {
  readonly name: string;
  private readonly concurrency: number;
  private readonly backoff: BackoffPolicy;
  private readonly lanes = new Map<Lane, Fifo<K>>(LANES.map((l) => [l, new Fifo<K>()]));
  /** Keys waiting to run (queued, or re-dirtied while running), with their lane and enqueue time. */
  private readonly dirty = new Map<K, { lane: Lane; since: number }>();
  private readonly processing = new Set<K>();
  /** Dirty keys that are also running (they wait for their run to end): len() stays O(1). */
  private dirtyWhileRunning = 0;
  private readonly failures = new Map<K, number>();
  private readonly delayed = new Map<K, { due: number; timer: NodeJS.Timeout; lane: Lane }>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly errorOutcome: (err: unknown) => ReconcileOutcome;
  private paused: boolean;
  private stopping = false;

  constructor(private readonly opts: WorkQueueOptions<K>) {
    this.name = opts.name;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.metrics = makeMetrics(opts.registry, opts.name);
    this.log = (opts.logger ?? silentLogger()).child({ queue: opts.name });
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.errorOutcome = opts.errorOutcome ?? ((err) => Outcome.retry(err));
    this.paused = opts.paused ?? false;
  }

  /** Mark a key dirty. A key already waiting keeps one entry (moved up if `lane` is higher). */
  add(key: K, lane: Lane = 'normal'): void {
    if (this.stopping) return;
    this.metrics.add();
    const existing = this.dirty.get(key);
    if (existing) {
      if (LANES.indexOf(lane) < LANES.indexOf(existing.lane)) {
        existing.lane = lane;
        // Re-queue in the higher lane when it is queued (not running); the stale entry is skipped on pop.
        if (!this.processing.has(key)) this.lanes.get(lane)!.push(key);
      }
      return;
    }
    this.dirty.set(key, { lane, since: this.now() });
    if (this.processing.has(key)) {
      this.dirtyWhileRunning++;
    } else {
      this.lanes.get(lane)!.push(key);
      this.pump();
    }
  }

  /** Add the key after `delayMs`; a key with an earlier pending time keeps that. */
  addAfter(key: K, delayMs: number, lane: Lane = 'normal'): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      this.add(key, lane);
      return;
    }
    const due = this.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key, lane);
    }, delayMs);
    timer.unref?.();
    this.delayed.set(key, { due, timer, lane });
  }

  /** Reset a key's failure count (its next failure backs off from the base again). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for a key. */
  numFailures(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys waiting to run (not counting delayed or running ones). */
  len(): number {
    return this.dirty.size - this.dirtyWhileRunning;
  }

  inFlight(): number {
    return this.processing.size;
  }

  /** Keys scheduled for a delayed add. */
  pendingDelayed(): number {
    return this.delayed.size;
  }

  /** Start (or resume) dispatching; used with `paused: true` to wait for cache sync. */
  start(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when nothing is queued or running (delayed keys are not waited for). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking work, cancel delayed adds, drop queued keys and wait for in-flight reconciles. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    for (const k of [...this.dirty.keys()]) if (!this.processing.has(k)) this.dirty.delete(k);
    for (const lane of this.lanes.values()) lane.clear();
    this.updateDepth();
    if (this.processing.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.log.debug('work queue shut down');
  }

  private isIdle(): boolean {
    return this.processing.size === 0 && this.dirty.size === 0;
  }

  private updateDepth(): void {
    this.metrics.depth(this.len());
  }

  private nextKey(): K | undefined {
    for (const lane of LANES) {
      const fifo = this.lanes.get(lane)!;
      while (fifo.size > 0) {
        const key = fifo.shift()!;
        // Skip stale entries: the key moved to another lane, already ran, or is running.
        const d = this.dirty.get(key);
        if (!d || d.lane !== lane || this.processing.has(key)) continue;
        return key;
      }
    }
    return undefined;
  }

  /** Start what the concurrency allows (unless paused), then report the depth. */
  private pump(): void {
    while (!this.paused && this.processing.size < this.concurrency) {
      const key = this.nextKey();
      if (key === undefined) break;
      const entry = this.dirty.get(key)!;
      this.dirty.delete(key);
      this.processing.add(key);
      this.metrics.wait((this.now() - entry.since) / 1000);
      this.metrics.inFlight(this.processing.size);
      void this.run(key, entry.lane);
    }
    this.updateDepth();
  }

  private async run(key: K, lane: Lane): Promise<void> {
    const start = this.now();
    const prior = this.failures.get(key) ?? 0;
    let outcome: ReconcileOutcome;
    try {
      outcome = await this.opts.reconcile(key, { failures: prior, logger: this.log.child({ key }) });
    } catch (err) {
      outcome = this.errorOutcome(err);
    }
    this.metrics.outcome(outcome.kind, (this.now() - start) / 1000);
    const failures = outcome.kind === 'retry' ? prior + 1 : 0;
    const action = decideAction(outcome, failures, this.backoff, this.random);
    if (outcome.kind === 'retry') {
      this.failures.set(key, failures);
      this.metrics.retry(outcome.errorClass ?? 'unknown');
      this.log.warn(
        { key, err: outcome.error, errorClass: outcome.errorClass, failures, delayMs: action.type === 'requeue' ? action.delayMs : 0 },
        'reconcile failed; retrying with backoff',
      );
    } else {
      this.failures.delete(key);
      if (outcome.kind === 'terminal') this.log.error({ key, err: outcome.error }, 'reconcile failed terminally; not retrying');
    }
    this.processing.delete(key);
    this.metrics.inFlight(this.processing.size);
    if (action.type === 'requeue' && !this.stopping) this.addAfter(key, action.delayMs, action.lane ?? lane);
    // Dirtied while running: it runs again now (in its lane), after the delayed add if any was due sooner.
    const d = this.dirty.get(key);
    if (d) this.dirtyWhileRunning--;
    if (d && !this.stopping) this.lanes.get(d.lane)!.push(key);
    else if (d) this.dirty.delete(key);
    this.pump();
    if (this.isIdle() || (this.stopping && this.processing.size === 0)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
