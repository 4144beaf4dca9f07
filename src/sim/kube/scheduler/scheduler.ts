// The sandbox's kube-scheduler: watches pods and nodes, binds each pending pod (no nodeName, not
// terminating, ours by schedulerName) through the pods/binding subresource, and explains a pod it
// cannot place with a FailedScheduling event and a PodScheduled=False condition, as kube-scheduler
// does. Decisions come from the pure core in decide.ts.
//
// No hot loop: a scheduling pass runs only when something that can change a decision happens (a
// pending pod appears, a pod stops holding resources, a node's schedulable shape changes), passes
// are coalesced, and unschedulable pods are otherwise re-tried on a slow timer (kube-scheduler's
// periodic flush of its unschedulable queue, shortened for the sandbox).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { statusOf } from '../../../kube/errors.js';
import { SupervisedInformer } from '../../../kube/informer.js';
import { mergePatchEvent } from '../../../kube/patch.js';
import type { Logger } from '../../../observability/logger.js';
import { Inflight } from '../node-agent/inflight.js';
import { addPod, buildNodeInfos, decideSchedule, effectiveTaints } from './decide.js';
import { isTerminal, podRequests } from './pod-requests.js';
import type { NodeLike, PodLike } from './types.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const REASON_FAILED_SCHEDULING = 'FailedScheduling';
export const REASON_SCHEDULED = 'Scheduled';

export interface SchedulerOptions {
  /** Credentials of the scheduler identity. */
  kubeConfig: KubeConfig;
  logger: Logger;
  schedulerName?: string;
  /** How often unschedulable pods are retried when nothing else changes (default 30 s). */
  retryUnschedulableMs?: number;
  /** A repeated FailedScheduling message bumps the event's count at most this often (default 10 s). */
  eventRepeatMs?: number;
}

export interface Scheduler {
  /** Runs a pass now (tests; the scheduler does this by itself on changes). */
  kick(): void;
  stop(): Promise<void>;
}

interface EventRecord {
  name: string;
  namespace: string;
  message: string;
  count: number;
  lastAt: number;
}

const podKey = (p: PodLike): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

const createdAt = (p: PodLike): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime() || 0;

function isPending(p: PodLike, schedulerName: string): boolean {
  return !p.spec?.nodeName && !p.metadata?.deletionTimestamp && !isTerminal(p) && (p.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === schedulerName;
}

/** What about a node can change a scheduling decision; heartbeats do not. */
function nodeShape(n: NodeLike): string {
  return JSON.stringify([n.metadata?.labels ?? {}, n.spec?.unschedulable ?? false, effectiveTaints(n), n.status?.allocatable ?? {}]);
}

/** Bindings and events in flight at once. */
const WRITE_CONCURRENCY = 16;

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Sandbox informers come back fast after the local API server restarts. */
export const SANDBOX_INFORMER_BACKOFF = { baseMs: 200, maxMs: 5_000 };
/** The scheduler's and kubelets' informers are client-go's, which never relist on a timer (they only
 *  re-watch): no periodic relist here either, so the local cluster's load is the real one's. */
export const SANDBOX_INFORMER_RELIST_MS = 0;

export async function startScheduler(opts: SchedulerOptions): Promise<Scheduler> {
  const log = opts.logger.child({ component: 'scheduler' });
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const retryMs = opts.retryUnschedulableMs ?? 30_000;
  const repeatMs = opts.eventRepeatMs ?? 10_000;
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  // Pods bound by us that the informer has not shown bound yet: without this, one pass would
  // place several pods onto the capacity of a single free slot.
  const assumed = new Map<string, { nodeName: string; pod: PodLike }>();
  const events = new Map<string, EventRecord>();
  const nodeShapes = new Map<string, string>();
  let stopped = false;
  const inflight = new Inflight();
  let running = false;
  let again = false;
  let passTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const kick = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (passTimer) return;
    // Coalesce a burst of changes (100 pods created at once) into one pass.
    passTimer = setTimeout(() => {
      passTimer = undefined;
      void inflight.track(runPass());
    }, 20);
  };

  const onPod = (p: V1Pod): void => {
    const pod = p as PodLike;
    const key = podKey(pod);
    if (pod.spec?.nodeName) assumed.delete(key);
    if (isPending(pod, schedulerName)) kick();
  };
  const onPodUpdate = (p: V1Pod): void => {
    const pod = p as PodLike;
    onPod(p);
    // A pod that finished frees what it held.
    if (pod.spec?.nodeName && isTerminal(pod)) kick();
  };
  const onPodDelete = (p: V1Pod): void => {
    const pod = p as PodLike;
    assumed.delete(podKey(pod));
    events.delete(podKey(pod));
    if (pod.spec?.nodeName) kick();
  };
  const onNode = (n: V1Node): void => {
    const node = n as NodeLike;
    const name = node.metadata?.name ?? '';
    const shape = nodeShape(node);
    if (nodeShapes.get(name) === shape) return;
    nodeShapes.set(name, shape);
    kick();
  };
  const onNodeDelete = (n: V1Node): void => {
    nodeShapes.delete(n.metadata?.name ?? '');
    kick();
  };

  const pods = new SupervisedInformer<V1Pod>({
    name: 'scheduler-pods',
    kc: opts.kubeConfig,
    path: '/api/v1/pods',
    list: (q) => core.listPodForAllNamespaces(q),
    backoff: SANDBOX_INFORMER_BACKOFF,
    relistIntervalMs: SANDBOX_INFORMER_RELIST_MS,
    logger: log,
  });
  pods.onAdd(onPod);
  pods.onUpdate(onPodUpdate);
  pods.onDelete(onPodDelete);
  const nodes = new SupervisedInformer<V1Node>({
    name: 'scheduler-nodes',
    kc: opts.kubeConfig,
    path: '/api/v1/nodes',
    list: (q) => core.listNode(q),
    backoff: SANDBOX_INFORMER_BACKOFF,
    relistIntervalMs: SANDBOX_INFORMER_RELIST_MS,
    logger: log,
  });
  nodes.onAdd(onNode);
  nodes.onUpdate(onNode);
  nodes.onDelete(onNodeDelete);
  await Promise.all([pods.start(), nodes.start()]);
  await Promise.all([pods.waitForSync(), nodes.waitForSync()]);

  async function recordFailure(pod: PodLike, message: string): Promise<void> {
    const key = podKey(pod);
    const namespace = pod.metadata?.namespace ?? 'default';
    const now = Date.now();
    const prev = events.get(key);
    if (prev && prev.message === message && now - prev.lastAt < repeatMs) return;
    if (prev && prev.message === message) {
      prev.count += 1;
      prev.lastAt = now;
      await mergePatchEvent(core, namespace, prev.name, { count: prev.count, lastTimestamp: new Date(now).toISOString() });
      return;
    }
    const name = `${pod.metadata?.name ?? 'pod'}.${randomBytes(8).toString('hex')}`;
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, namespace, uid: pod.metadata?.uid, resourceVersion: pod.metadata?.resourceVersion },
        reason: REASON_FAILED_SCHEDULING,
        message,
        type: 'Warning',
        source: { component: schedulerName },
        reportingComponent: schedulerName,
        reportingInstance: schedulerName,
        action: 'Scheduling',
        firstTimestamp: new Date(now),
        lastTimestamp: new Date(now),
        count: 1,
      },
    });
    events.set(key, { name, namespace, message, count: 1, lastAt: now });
    await core.patchNamespacedPodStatus(
      {
        name: pod.metadata?.name ?? '',
        namespace,
        body: {
          status: {
            conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: new Date(now).toISOString() }],
          },
        },
      },
      mergePatch,
    );
  }

  async function recordScheduled(pod: PodLike, nodeName: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const now = new Date();
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: `${pod.metadata?.name ?? 'pod'}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, namespace, uid: pod.metadata?.uid },
        reason: REASON_SCHEDULED,
        message: `Successfully assigned ${namespace}/${pod.metadata?.name ?? ''} to ${nodeName}`,
        type: 'Normal',
        source: { component: schedulerName },
        reportingComponent: schedulerName,
        reportingInstance: schedulerName,
        action: 'Binding',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  async function runPass(): Promise<void> {
    if (stopped) return;
    running = true;
    again = false;
    let unschedulable = 0;
    try {
      const allPods = pods.list() as readonly PodLike[];
      const bound = allPods.filter((p) => p.spec?.nodeName);
      const boundKeys = new Set(bound.map(podKey));
      for (const [key, a] of assumed) if (!boundKeys.has(key)) bound.push({ ...a.pod, spec: { ...a.pod.spec, nodeName: a.nodeName } });
      const infos = buildNodeInfos(nodes.list(), bound);
      const byName = new Map(infos.map((i) => [i.name, i]));
      // kube-scheduler's active queue order: priority, then age.
      const pending = allPods
        .filter((p) => isPending(p, schedulerName) && !assumed.has(podKey(p)))
        .sort((a, b) => (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) || createdAt(a) - createdAt(b) || podKey(a).localeCompare(podKey(b)));
      // Decide for every pending pod against one snapshot, assuming each placement at once, then
      // write bindings and events a few at a time (the decisions do not depend on the writes).
      const binds: { pod: PodLike; nodeName: string }[] = [];
      const failures: { pod: PodLike; message: string }[] = [];
      for (const pod of pending) {
        const req = podRequests(pod);
        const decision = decideSchedule(pod, infos, req);
        if (decision.kind === 'unschedulable') {
          failures.push({ pod, message: decision.message });
          continue;
        }
        const info = byName.get(decision.nodeName);
        if (info) addPod(info, req);
        assumed.set(podKey(pod), { nodeName: decision.nodeName, pod });
        binds.push({ pod, nodeName: decision.nodeName });
      }
      unschedulable = failures.length;
      await forEachLimit(binds, WRITE_CONCURRENCY, async ({ pod, nodeName }) => {
        if (stopped) return;
        const key = podKey(pod);
        try {
          await core.createNamespacedPodBinding({
            name: pod.metadata?.name ?? '',
            namespace: pod.metadata?.namespace ?? 'default',
            body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
          });
        } catch (err) {
          assumed.delete(key);
          // 404: deleted meanwhile; 409: bound by someone else. Both settle through the informer.
          const code = statusOf(err);
          if (code !== 404 && code !== 409) {
            log.warn({ err: String(err), pod: key }, 'binding failed; will retry');
            again = true;
          }
          return;
        }
        events.delete(key);
        log.debug({ pod: key, node: nodeName }, 'bound');
        await recordScheduled(pod, nodeName).catch((err: unknown) => log.debug({ err: String(err) }, 'could not record Scheduled'));
      });
      await forEachLimit(failures, WRITE_CONCURRENCY, async ({ pod, message }) => {
        if (stopped) return;
        await recordFailure(pod, message).catch((err: unknown) => log.debug({ err: String(err), pod: podKey(pod) }, 'could not record FailedScheduling'));
      });
    } catch (err) {
      log.error({ err }, 'scheduling pass failed');
    } finally {
      running = false;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      if (!stopped && unschedulable > 0) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          // Let the repeat window pass so a re-try with the same outcome bumps the event's count.
          kick();
        }, retryMs);
      }
      if (again) kick();
    }
  }

  kick();
  return {
    kick,
    stop: async () => {
      stopped = true;
      if (passTimer) clearTimeout(passTimer);
      if (retryTimer) clearTimeout(retryTimer);
      await inflight.drain();
      await Promise.all([pods.stop(), nodes.stop()]);
    },
  };
}
