// Tags branch ENIs that turn warm with vpcresources.k8s.aws/warm=true, so that operators (and
// cleanup tools) see what they are. Batched: one CreateTags call for every ENI that turned warm in
// the last second, in the `background` pool, so warming a whole rollout costs a handful of calls.
// The tag is information, not state the controller depends on: a failed call is logged and dropped.
import { TAG_WARM } from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { Logger } from '../../observability/logger.js';

/** CreateTags takes up to 1000 resource IDs a call. */
const MAX_IDS = 1000;

export class WarmTagger {
  private pending = new Set<string>();
  private readonly tagged = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly deps: { ec2: Pick<Ec2Api, 'createTags'>; logger: Logger; flushMs?: number },
  ) {}

  /** Tag this ENI soon (once: an ENI tagged before keeps its tag while it serves a pod). */
  add(eniId: string): void {
    if (this.tagged.has(eniId)) return;
    this.pending.add(eniId);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.inFlight = this.flush();
      }, this.deps.flushMs ?? 1_000);
      this.timer.unref();
    }
  }

  /** The ENI carries the tag already (a warm top-up is created with it): never tag it again. */
  markTagged(eniId: string): void {
    this.pending.delete(eniId);
    this.tagged.add(eniId);
  }

  /** The ENI is gone: forget it. */
  forget(eniId: string): void {
    this.pending.delete(eniId);
    this.tagged.delete(eniId);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private async flush(): Promise<void> {
    const ids = [...this.pending];
    this.pending = new Set();
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const batch = ids.slice(i, i + MAX_IDS);
      try {
        await this.deps.ec2.createTags({ Resources: batch, Tags: [{ Key: TAG_WARM, Value: 'true' }] }, { priority: 'background' });
        for (const id of batch) this.tagged.add(id);
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, enis: batch.length }, 'tagging warm branch ENIs failed (information only; not retried)');
      }
    }
  }
}
