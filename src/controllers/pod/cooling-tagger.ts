// Keeps each branch ENI's cooldown across restarts (issue 10): when an ENI starts cooling, it is
// tagged vpcresources.k8s.aws/cooling-since=<epoch seconds>, and a rebuild after a restart counts
// the cooldown from that tag (or from its finished pod's end) instead of starting it over. Without
// it a controller restarted more often than the cooldown would never free anything.
//
// Batched like the warm tag: one CreateTags per distinct value every second, in the `background`
// pool; values are rounded UP to 10 s so that a burst of releases shares calls (the cooldown is a
// minimum, so rounding up only waits a little longer). A failed call is logged and dropped: the
// rebuild then falls back to "now", as before.
import type { V1Pod } from '@kubernetes/client-node';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { Logger } from '../../observability/logger.js';

export const TAG_COOLING_SINCE = 'vpcresources.k8s.aws/cooling-since';
const ROUND_S = 10;
const MAX_IDS = 1000;

/** The tag value for a cooldown that started at `sinceMs`. */
export const coolingTagValue = (sinceMs: number): string => String(Math.ceil(sinceMs / 1000 / ROUND_S) * ROUND_S);

/** The cooldown start a tag value says (ms), if it is a sane past time. */
export function coolingSinceFromTag(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d{1,11}$/.test(value)) return undefined;
  const ms = Number(value) * 1000;
  return ms <= now + ROUND_S * 1000 ? Math.min(ms, now) : undefined;
}

export class CoolingTagger {
  private pending = new Map<string, Set<string>>();
  private readonly tagged = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly deps: { ec2: Pick<Ec2Api, 'createTags'>; logger: Logger; flushMs?: number }) {}

  /** Tag this ENI with the start of its cooldown (skipped when it already carries that value). */
  add(eniId: string, sinceMs: number): void {
    const value = coolingTagValue(sinceMs);
    if (this.tagged.get(eniId) === value) return;
    let ids = this.pending.get(value);
    if (!ids) this.pending.set(value, (ids = new Set()));
    ids.add(eniId);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.inFlight = this.flush();
      }, this.deps.flushMs ?? 1_000);
      this.timer.unref();
    }
  }

  /** The ENI carries this value already (read from EC2 by a rebuild). */
  known(eniId: string, value: string): void {
    this.tagged.set(eniId, value);
  }

  forget(eniId: string): void {
    this.tagged.delete(eniId);
    for (const ids of this.pending.values()) ids.delete(eniId);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Send what is pending now (tests; the timer does it otherwise). */
  async flush(): Promise<void> {
    const batches = this.pending;
    this.pending = new Map();
    for (const [value, set] of batches) {
      const ids = [...set];
      for (let i = 0; i < ids.length; i += MAX_IDS) {
        const batch = ids.slice(i, i + MAX_IDS);
        try {
          await this.deps.ec2.createTags({ Resources: batch, Tags: [{ Key: TAG_COOLING_SINCE, Value: value }] }, { priority: 'background' });
          for (const id of batch) this.tagged.set(id, value);
        } catch (err) {
          this.deps.logger.warn({ err: (err as Error).message, enis: batch.length }, 'tagging the cooldown start of branch ENIs failed (a restart would count their cooldown from then)');
        }
      }
    }
  }
}

/** When a finished (or deleting) pod stopped, ms: its containers' latest end, else its deletion time. */
export function podEndedAt(pod: V1Pod): number | undefined {
  const ends = (pod.status?.containerStatuses ?? []).map((c) => c.state?.terminated?.finishedAt).filter((d) => d !== undefined);
  const times = ends.map((d) => new Date(d).getTime()).filter((n) => Number.isFinite(n));
  if (times.length > 0) return Math.max(...times);
  const del = pod.metadata?.deletionTimestamp ? new Date(pod.metadata.deletionTimestamp).getTime() : NaN;
  return Number.isFinite(del) ? del : undefined;
}
