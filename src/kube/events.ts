// Kubernetes Events (core/v1), written the way client-go's recorder writes them, so `kubectl
// describe pod|node` shows them with source `vpc-resource-controller`.
//
//   const events = new EventRecorder({ core: kube.core, logger, registry });
//   events.warning(eventTarget('Node', node), REASON_NODE_TRUNK_FAILED_INIT, err.userMessage());
//   events.normal(eventTarget('Pod', pod), REASON_RESOURCE_ALLOCATED, messageResourceAllocated(json));
//   await events.flush();   // on shutdown (or in tests): wait for queued writes
//
// - Never throws to the caller and never blocks it: writes happen in the background, failures are
//   logged and counted.
// - Aggregation: the same object + type + reason + message within `aggregateWindowMs` patches the
//   existing Event's `count` and `lastTimestamp` instead of creating another one.
// - Rate limit per involved object (token bucket, `burst` then one per `refillMs`, as client-go's
//   spam filter does), so a hot reconcile loop cannot flood the API server; dropped events are counted.
// - Events about cluster-scoped objects (Nodes) live in namespace `default`, as the kubelet and
//   client-go put them; the involvedObject keeps namespace "" and the Node's uid, which is what
//   `kubectl describe node` searches for.
import type { CoreV1Api, CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { EVENT_SOURCE_COMPONENT } from '../apis/constants.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { counter, type Registry } from '../observability/metrics.js';
import { isNotFound, messageOf } from './errors.js';
import { mergePatchEvent } from './patch.js';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about. */
export interface EventTarget {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  apiVersion?: string;
}

const API_VERSIONS: Record<string, string> = { Pod: 'v1', Node: 'v1', ConfigMap: 'v1', ServiceAccount: 'v1', Namespace: 'v1' };

/** Build a target from an object (uid and namespace from its metadata). */
export function eventTarget(kind: string, obj: KubernetesObject): EventTarget {
  const md = obj.metadata ?? {};
  return {
    kind,
    name: md.name ?? '',
    ...(md.namespace ? { namespace: md.namespace } : {}),
    ...(md.uid ? { uid: md.uid } : {}),
    apiVersion: obj.apiVersion ?? API_VERSIONS[kind] ?? 'v1',
  };
}

export interface EventRecorderOptions {
  core: Pick<CoreV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;
  /** source.component and reportingComponent. Default `vpc-resource-controller`. */
  component?: string;
  /** source.host / reportingInstance, e.g. the pod name. */
  instance?: string;
  /** Repeats within this window are aggregated into one Event. Default 10 min. */
  aggregateWindowMs?: number;
  /** Rate limit per involved object: `burst` events, then one per `refillMs`. Default 25, then one per 5 min. */
  burst?: number;
  refillMs?: number;
  /** Remembered aggregation keys (LRU). Default 4096. */
  cacheSize?: number;
  logger?: Logger;
  registry?: Registry;
  now?: () => number;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  first: number;
  last: number;
}

const MAX_MESSAGE = 1024;

export class EventRecorder {
  private readonly core: EventRecorderOptions['core'];
  private readonly component: string;
  private readonly instance: string | undefined;
  private readonly window: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly cacheSize: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;
  private readonly m: { written: (type: string, op: string) => void; dropped: () => void; failed: () => void };

  constructor(opts: EventRecorderOptions) {
    this.core = opts.core;
    this.component = opts.component ?? EVENT_SOURCE_COMPONENT;
    this.instance = opts.instance;
    this.window = opts.aggregateWindowMs ?? 600_000;
    this.burst = opts.burst ?? 25;
    this.refillMs = opts.refillMs ?? 300_000;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.log = (opts.logger ?? silentLogger()).child({ component: 'events' });
    this.now = opts.now ?? Date.now;
    this.m = makeMetrics(opts.registry);
  }

  normal(target: EventTarget, reason: string, message: string): void {
    this.event(target, 'Normal', reason, message);
  }

  warning(target: EventTarget, reason: string, message: string): void {
    this.event(target, 'Warning', reason, message);
  }

  /** Record an event in the background. Never throws. */
  event(target: EventTarget, type: EventType, reason: string, message: string): void {
    try {
      const msg = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
      const objectKey = `${target.kind}/${target.namespace ?? ''}/${target.name}/${target.uid ?? ''}`;
      if (!this.takeToken(objectKey)) {
        this.m.dropped();
        this.log.debug({ target, reason }, 'event dropped by rate limit');
        return;
      }
      const aggKey = `${objectKey}/${type}/${reason}/${msg}`;
      // Serialize writes of one aggregation key (create, then patches) so counts stay right.
      const prev = this.chains.get(aggKey) ?? Promise.resolve();
      const next = prev.then(() => this.write(aggKey, target, type, reason, msg)).catch((err: unknown) => {
        this.m.failed();
        this.log.warn({ err: messageOf(err), target, reason }, 'could not write event');
      });
      this.chains.set(aggKey, next);
      this.pending.add(next);
      void next.finally(() => {
        this.pending.delete(next);
        if (this.chains.get(aggKey) === next) this.chains.delete(aggKey);
      });
    } catch (err) {
      this.log.warn({ err }, 'could not record event');
    }
  }

  /** Wait for every queued write (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private takeToken(key: string): boolean {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      if (this.buckets.size > this.cacheSize) this.buckets.delete(this.buckets.keys().next().value!);
    }
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.refillMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async write(aggKey: string, target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.now();
    const agg = this.aggregates.get(aggKey);
    if (agg && now - agg.last < this.window) {
      agg.count++;
      agg.last = now;
      try {
        await mergePatchEvent(this.core, agg.namespace, agg.name, { count: agg.count, lastTimestamp: new Date(now).toISOString() });
        this.m.written(type, 'patch');
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired or was deleted: start a new one.
      }
    }
    const namespace = target.namespace || 'default';
    // Unique like client-go's `<name>.<hex nanoseconds>`; the sequence separates writes within one ms.
    const suffix = `.${(BigInt(now) * 1_000_000n + BigInt(++this.seq % 1_000_000)).toString(16)}`;
    const name = `${target.name.slice(0, 253 - suffix.length)}${suffix}`; // object names are ≤ 253 chars
    const ts = new Date(now);
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: target.kind,
        name: target.name,
        namespace: target.namespace ?? '',
        ...(target.uid ? { uid: target.uid } : {}),
        ...(target.apiVersion ? { apiVersion: target.apiVersion } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.instance ? { host: this.instance } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.instance ?? this.component,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    await this.core.createNamespacedEvent({ namespace, body });
    this.aggregates.delete(aggKey);
    this.aggregates.set(aggKey, { name, namespace, count: 1, first: now, last: now });
    if (this.aggregates.size > this.cacheSize) this.aggregates.delete(this.aggregates.keys().next().value!);
    this.m.written(type, 'create');
  }
}

function makeMetrics(registry: Registry | undefined): EventRecorder['m'] {
  if (!registry) return { written: () => {}, dropped: () => {}, failed: () => {} };
  const written = counter(registry, { name: 'vpcrc_events_written_total', help: 'Kubernetes Events created or aggregated', labelNames: ['type', 'op'] });
  const dropped = counter(registry, { name: 'vpcrc_events_dropped_total', help: 'Events dropped by the per-object rate limit' });
  const failed = counter(registry, { name: 'vpcrc_events_failed_total', help: 'Event writes the API server refused' });
  return { written: (type, op) => written.inc({ type, op }), dropped: () => dropped.inc(), failed: () => failed.inc() };
}
