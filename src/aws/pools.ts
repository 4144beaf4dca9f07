// Work pools (p-queue): bounded concurrency of in-flight EC2 calls, one pool per priority, so work
// that unblocks a starting pod never queues behind releases, garbage collection or describes.
//
//   const pools = new Pools({ sizes: { 'pod-start': 32, trunk: 16, release: 8, background: 8 }, registry });
//   await pools.run('release', () => send(...));
//
// Pools bound HTTP calls, not waiting: the gateway takes a token from the action's limiter first and
// only then enters the pool. A pool slot is therefore never held by a call that waits for tokens of
// a saturated action, so one node's work (or one action's backlog) cannot block another's; the only
// shared wait is EC2's own per-action bucket. Within a pool, `urgency` (higher first) orders calls.
import PQueue from 'p-queue';
import { gauge, type Registry } from '../observability/metrics.js';
import { PRIORITIES, type Priority } from './pacing-config.js';

export interface PoolsOptions {
  sizes: Record<Priority, number>;
  registry?: Registry;
}

export class Pools {
  private readonly queues = new Map<Priority, PQueue>();
  private readonly depth: ((pool: Priority) => void) | undefined;

  constructor(opts: PoolsOptions) {
    for (const p of PRIORITIES) this.queues.set(p, new PQueue({ concurrency: size(opts.sizes[p], p) }));
    if (opts.registry) {
      const waiting = gauge(opts.registry, {
        name: 'vpcrc_ec2_pool_depth',
        help: 'EC2 calls in a work pool, waiting for a slot or running',
        labelNames: ['pool', 'state'],
      });
      this.depth = (pool) => {
        const q = this.queues.get(pool)!;
        waiting.set({ pool, state: 'waiting' }, q.size);
        waiting.set({ pool, state: 'running' }, q.pending);
      };
      for (const p of PRIORITIES) this.depth(p);
    }
  }

  /** Run `fn` in the pool when a slot frees up. */
  async run<T>(pool: Priority, fn: () => Promise<T>, urgency = 0): Promise<T> {
    const q = this.queues.get(pool);
    if (!q) throw new Error(`unknown EC2 work pool "${String(pool)}"`);
    const task = q.add(
      async () => {
        this.depth?.(pool);
        try {
          return await fn();
        } finally {
          queueMicrotask(() => this.depth?.(pool));
        }
      },
      { priority: urgency },
    );
    this.depth?.(pool);
    return task;
  }

  /** Change pool sizes live (p-queue starts more work at once when a size grows). */
  resize(sizes: Record<Priority, number>): void {
    for (const p of PRIORITIES) this.queues.get(p)!.concurrency = size(sizes[p], p);
  }

  stats(pool: Priority): { waiting: number; running: number; size: number } {
    const q = this.queues.get(pool)!;
    return { waiting: q.size, running: q.pending, size: q.concurrency };
  }

  /** Resolves when no call is waiting or running in any pool. */
  async onIdle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.onIdle()));
  }
}

function size(n: number, pool: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`EC2 work pool ${pool}: size must be an integer ≥ 1, got ${n}`);
  return n;
}
