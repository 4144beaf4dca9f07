// Batched DescribeInstances for the node reconcilers. When many nodes join at once, one call per
// node (and another after each attachment) would spend the account's DescribeInstances budget —
// the smallest of the EC2 buckets when sent by ID — faster than anything else. Requests arriving
// within a short window are sent as one call with an `instance-id` filter: a filtered call is
// metered in the larger describe bucket, and an instance that no longer exists is simply absent
// instead of failing the whole batch with InvalidInstanceID.NotFound.
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { Priority } from '../../aws/pacing-config.js';
import { instanceFactsFrom, type InstanceFacts } from './instance-facts.js';

export interface InstanceDescriberOptions {
  ec2: Pick<Ec2Api, 'describeInstances'>;
  /** How long to gather requests before sending. Default 20 ms. */
  windowMs?: number;
  /** Most instance IDs per call (EC2 allows up to 200 filter values). Default 100. */
  maxBatch?: number;
  priority?: Priority;
}

interface Waiter {
  resolve: (facts: InstanceFacts | undefined) => void;
  reject: (err: unknown) => void;
}

export class InstanceDescriber {
  private readonly pending = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: InstanceDescriberOptions) {
    this.windowMs = opts.windowMs ?? 20;
    this.maxBatch = opts.maxBatch ?? 100;
  }

  /** Facts of a running (or pending) instance; undefined when EC2 does not know it or it is terminated. */
  describe(instanceId: string): Promise<InstanceFacts | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(instanceId);
      if (list) list.push({ resolve, reject });
      else this.pending.set(instanceId, [{ resolve, reject }]);
      if (this.pending.size >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.entries()].slice(0, this.maxBatch);
    for (const [id] of batch) this.pending.delete(id);
    if (this.pending.size > 0) this.timer = setTimeout(() => this.flush(), 0);
    if (batch.length === 0) return;
    const ids = batch.map(([id]) => id);
    this.opts.ec2
      .describeInstances({ Filters: [{ Name: 'instance-id', Values: ids }] }, { priority: this.opts.priority ?? 'trunk' })
      .then((instances) => {
        const byId = new Map<string, InstanceFacts>();
        for (const inst of instances) {
          const f = instanceFactsFrom(inst);
          if (f && f.state !== 'terminated' && f.state !== 'shutting-down') byId.set(f.instanceId, f);
        }
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
      })
      .catch((err: unknown) => {
        for (const [, waiters] of batch) for (const w of waiters) w.reject(err);
      });
  }
}
