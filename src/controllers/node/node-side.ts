// The node side of the controller: one work queue of node names driven by the Node, CNINode and
// ENIConfig informers (handlers only enqueue), the node reconciler, and a second queue for the
// CNINode finalizer. Started after the informers have synced; stopped before them.
import { CNINODE_FINALIZER } from '../../apis/constants.js';
import { WorkQueue } from '../../kube/work-queue.js';
import type { ControllerContext, ControllerPart } from '../context.js';
import { outcomeOf } from '../error-map.js';
import { reconcileCniNodeCleanup } from '../cninode/cleanup.js';
import { CniNodeCarryOver } from '../cninode/cninode-ensurer.js';
import { nodeMetrics } from './node-metrics.js';
import { reportingNodeFailures } from './node-failures.js';
import { NodeReconciler } from './node-reconciler.js';
import { kubeNodeWrites } from './node-writes.js';
import { nodeChangeMatters, nodesUsingEniConfig } from './node-watch.js';

export interface NodeSideOptions {
  /** Parallel node reconciles. Default 64: a reconcile mostly waits (EC2 pacing, API calls), and when
   *  hundreds of nodes join at once the per-node latency × concurrency, not EC2, would set the pace. */
  concurrency?: number;
  /** First look at a new trunk attachment after this long. Default 1 s. */
  attachPollMs?: number;
  /** Backoff of failed reconciles; default 500 ms doubling to 5 min. */
  backoff?: { baseMs?: number; maxMs?: number };
}

export interface NodeSide extends ControllerPart {
  reconciler: NodeReconciler;
  queue: WorkQueue;
  cleanupQueue: WorkQueue;
}

export function startNodeSide(ctx: ControllerContext, opts: NodeSideOptions = {}): Promise<NodeSide> {
  const log = ctx.logger.child({ controller: 'node' });
  const { nodes, cniNodes, eniConfigs } = ctx.informers;
  const carryOver = new CniNodeCarryOver();
  const reconciler = new NodeReconciler({
    settings: ctx.settings,
    writes: kubeNodeWrites(ctx.kube),
    ec2: ctx.ec2,
    events: ctx.events,
    limits: ctx.limits,
    trunks: ctx.trunks,
    nodes,
    cniNodes,
    eniConfigs,
    metrics: nodeMetrics(ctx.registry),
    logger: log,
    cniNodeCarryOver: carryOver,
    ...(opts.attachPollMs !== undefined ? { attachPollMs: opts.attachPollMs } : {}),
  });
  const queue: WorkQueue = new WorkQueue({
    name: 'node',
    concurrency: opts.concurrency ?? 64,
    reconcile: reportingNodeFailures((key, rc) => reconciler.reconcile(key, rc), {
      events: ctx.events,
      node: (name) => nodes.get(name),
      markFailed: (name) => reconciler.markFailed(name),
      clearFailed: (name) => reconciler.clearFailed(name),
    }),
    errorOutcome: outcomeOf,
    registry: ctx.registry,
    logger: log,
    paused: true,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });
  const cleanupQueue = new WorkQueue({
    name: 'cninode-cleanup',
    concurrency: 4,
    reconcile: (key, rc) =>
      reconcileCniNodeCleanup(
        { kube: ctx.kube, ec2: ctx.ec2, nodes, cniNodes, carryOver, clusterName: ctx.settings.clusterName, ...(ctx.settings.vpcId ? { vpcId: ctx.settings.vpcId } : {}), instanceOf: (n) => reconciler.instanceOf(n) },
        key,
        rc,
      ),
    errorOutcome: outcomeOf,
    registry: ctx.registry,
    logger: log.child({ controller: 'cninode-cleanup' }),
    paused: true,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });

  const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
  nodes.onAdd((n) => queue.add(nameOf(n)));
  nodes.onUpdate((n, old) => {
    if (nodeChangeMatters(old, n)) queue.add(nameOf(n));
  });
  nodes.onDelete((n) => {
    queue.add(nameOf(n));
    cleanupQueue.add(nameOf(n), 'low');
  });
  const onCniNode = (c: { metadata?: { name?: string; deletionTimestamp?: unknown; finalizers?: string[] } }): void => {
    queue.add(nameOf(c));
    if (c.metadata?.deletionTimestamp && (c.metadata.finalizers ?? []).includes(CNINODE_FINALIZER)) cleanupQueue.add(nameOf(c), 'low');
  };
  cniNodes.onAdd(onCniNode);
  cniNodes.onUpdate(onCniNode);
  cniNodes.onDelete((c) => queue.add(nameOf(c)));
  const onEniConfig = (e: { metadata?: { name?: string } }): void => {
    for (const n of nodesUsingEniConfig(nameOf(e), nodes.list(), (name) => cniNodes.get(name), ctx.settings)) queue.add(n);
  };
  eniConfigs.onAdd(onEniConfig);
  eniConfigs.onUpdate(onEniConfig);
  eniConfigs.onDelete(onEniConfig);

  // Informers have synced before this part starts: everything in the caches is work now.
  for (const n of nodes.list()) queue.add(nameOf(n));
  for (const c of cniNodes.list()) if (c.metadata?.deletionTimestamp) cleanupQueue.add(nameOf(c), 'low');
  queue.start();
  cleanupQueue.start();
  log.info({ nodes: nodes.list().length }, 'node side started');

  return Promise.resolve({
    reconciler,
    queue,
    cleanupQueue,
    ready: () => true,
    async stop() {
      await Promise.all([queue.shutdown(), cleanupQueue.shutdown()]);
      log.info('node side stopped');
    },
  });
}
