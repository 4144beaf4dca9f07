// The pod side of the controller (issue 5): branch ENIs for pods that request
// vpc.amazonaws.com/pod-eni, released after the cooldown when the pod is gone or finished. This
// file only wires; the decisions are in the pod reconciler and the branch releaser.
//
//   informers ──(pod/policy/trunk changes: keys only)──▶ pod queue ('high') ──▶ PodReconciler
//                                                          release queue ('low') ──▶ BranchReleaser
//   periodic GC pass over owned branch ENIs in EC2 ──▶ release queue
//
// State that must survive a restart lives in EC2 tags and pod annotations (rebuild.ts); in memory
// there is only the per-node bookkeeping derived from them (domain/branch-book.ts, domain/branch-state.ts).
import { BranchBook, type ReleaseItem } from '../../domain/branch-book.js';
import type { NodeBranchState } from '../../domain/branch-state.js';
import { usesGroupLookup } from '../../domain/policy-groups.js';
import { objectKey } from '../../kube/informer.js';
import { mergePatchPod } from '../../kube/patch.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { startCniConfigWatcher } from '../config/cni-config-watcher.js';
import type { ControllerContext, ControllerPart } from '../context.js';
import { outcomeOf } from '../error-map.js';
import { POD_INDEX_NODE, POD_INDEX_UID, SGP_INDEX_NAMESPACE, serviceAccountLabels } from '../informers.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { BranchReleaser } from './branch-releaser.js';
import { CapacityWaiters } from './capacity-waiters.js';
import { DeleteGuard } from './delete-guard.js';
import { annotatedEniIds, runGcPass } from './gc.js';
import { podSideMetrics } from './metrics.js';
import { NodeStates } from './node-states.js';
import { TrunkBranchSource } from './branch-snapshot.js';
import { describeTrunkBranches } from './rebuild.js';
import { sharedClusterBranches } from './branch-eni-ops.js';
import { PodReconciler } from './pod-reconciler.js';
import { runRepairPass, type RepairReport } from './repair.js';
import { WarmTagger } from './warm-tagger.js';
import { CoolingTagger } from './cooling-tagger.js';
import { WarmMinimumPlanner } from '../../domain/warm-minimum.js';
import { WarmTopUps } from './warm-topup.js';
import { newTokenEpoch } from './attempts.js';

export interface PodSideOptions {
  /** Parallel pod reconciles. Default 32 (EC2 pacing, not this, is the real limit). */
  podWorkers?: number;
  /** Parallel releases. Default 8. */
  releaseWorkers?: number;
  /** Period of the GC pass over owned branch ENIs in EC2. Default 5 min; 0 disables it. */
  gcIntervalMs?: number;
  /** How long a pod waiting for trunk capacity is looked at again even if no release says so. Default 30 s. */
  capacityRecheckMs?: number;
  /** Period of the repair pass over annotated pods (repair.ts); it also runs once at start. Default 2 min; 0 = only at start. */
  repairIntervalMs?: number;
  /** Period of the warm minimum's pass (warm-topup.ts). Default 1 s. */
  warmTopUpIntervalMs?: number;
  /** How long a shortfall of the warm minimum lasts before a top-up. Default 5 s. */
  warmTopUpSettleMs?: number;
  /** Injected clock for tests. */
  now?: () => number;
}

export interface PodSide extends ControllerPart {
  /** For tests and introspection: the bookkeeping of a node. */
  nodeState(nodeName: string): NodeBranchState | undefined;
  /** Pending releases (ENIs cooling down or being deleted). */
  pendingReleases(): ReleaseItem[];
  /** Run one GC pass now (also runs periodically). */
  gcNow(): Promise<number>;
  /** Run one repair pass now (also runs at start and periodically). */
  repairNow(): Promise<RepairReport>;
  /** The cooldown in force, seconds. */
  cooldownSeconds(): number;
  /** Resolves when both queues are idle (delayed work not counted). */
  whenIdle(): Promise<void>;
}

export async function startPodSide(ctx: ControllerContext, opts: PodSideOptions = {}): Promise<PodSide> {
  const { informers, trunks, ec2, settings } = ctx;
  const log = ctx.logger.child({ controller: 'pod' });
  const now = opts.now ?? Date.now;
  const metrics = podSideMetrics(ctx.registry);
  const book = new BranchBook();
  const capacity = new CapacityWaiters();
  const podByUid = (uid: string) => informers.pods.byIndex(POD_INDEX_UID, uid)[0];
  const config = startCniConfigWatcher(ctx);
  const warmTagger = new WarmTagger({ ec2, logger: log });
  const coolingTagger = new CoolingTagger({ ec2, logger: log });

  const readPod = (namespace: string, name: string) => ctx.kube.core.readNamespacedPod({ namespace, name });
  const listPodsOnNode = async (nodeName: string) => (await ctx.kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items;
  const guard = new DeleteGuard({ ec2, clusterName: settings.clusterName, readPod, listPodsOnNode, refused: (reason, path) => metrics.deleteRefused(reason, path), logger: log });
  const planner = new WarmMinimumPlanner();
  const minWarmSettings = () => ({
    minWarm: config.warmSeconds() > 0 ? config.minWarm() : 0,
    windowMs: config.minWarmWindowSeconds() * 1000,
    settleMs: opts.warmTopUpSettleMs ?? 5_000,
    headroom: 1,
  });
  const releaser = new BranchReleaser({
    ec2,
    book,
    guard,
    readPod,
    cooldownSeconds: () => config.cooldownSeconds(),
    warmSeconds: () => config.warmSeconds(),
    tagWarm: (eniId) => warmTagger.add(eniId),
    tagCooling: (eniId, since) => coolingTagger.add(eniId, since),
    forget: (eniId) => {
      warmTagger.forget(eniId);
      coolingTagger.forget(eniId);
    },
    enqueue: (eniId) => releaseQueue.add(eniId, 'low'),
    enqueuePod: (key) => podQueue.add(key, 'high'),
    // A warm ENI the warm minimum still wants is kept rather than deleted and made again.
    renewWarm: (eniId, nodeName, groups) => {
      const state = book.node(nodeName);
      const t = now();
      if (!state || !groups || !planner.keepAtExpiry(nodeName, groups, state.all(), minWarmSettings(), t)) return undefined;
      const until = t + config.warmSeconds() * 1000;
      return book.renewWarm(eniId, until) ? until : undefined;
    },
    capacity,
    metrics,
    logger: log,
    now,
  });
  // The restart snapshot and a repair pass looking at the same time share one cluster-wide describe.
  const describeBranches = sharedClusterBranches(ec2, settings.clusterName);
  const nodeStates = new NodeStates({
    book,
    branches: new TrunkBranchSource(
      ec2,
      settings.clusterName,
      (trunkEniId) => describeTrunkBranches(ec2, trunkEniId),
      (s, ms) => log.info({ branchEnis: s.eniCount, trunks: s.untakenTrunks(), ms }, 'branch ENIs of the cluster described for the rebuild'),
      describeBranches,
    ),
    rebuiltNodes: (n) => metrics.stateNodes(n),
    podsOnNode: (n) => informers.pods.byIndex(POD_INDEX_NODE, n),
    podByUid,
    handOver: (items) => releaser.handOver(items),
    coolingKnown: (eniId, value) => coolingTagger.known(eniId, value),
    now,
    logger: log,
  });
  const reconciler = new PodReconciler({
    settings,
    ec2,
    book,
    events: ctx.events,
    pod: (key) => informers.pods.get(key),
    policies: (namespace) => informers.policies.byIndex(SGP_INDEX_NAMESPACE, namespace),
    resolvePolicyGroups: (policy) => ctx.groupCatalog.resolve(policy.spec.securityGroups, settings.securityGroupsPerInterface),
    serviceAccountLabels: (namespace, name) => serviceAccountLabels(informers, namespace, name),
    trunk: (nodeName) => trunks.get(nodeName),
    patchPod: (namespace, name, body) => mergePatchPod(ctx.kube.core, namespace, name, body),
    nodeStates,
    releaser,
    capacity,
    metrics,
    reuseOn: () => config.warmSeconds() > 0,
    reuseWaitMs: () => (settings.branchEniReuseWaitSeconds ?? 0) * 1000,
    coolingDue: (eniId) => {
      const item = book.release(eniId);
      return item && !item.immediate ? item.since + config.cooldownSeconds() * 1000 : undefined;
    },
    liveUpdates: settings.livePolicyUpdates !== false,
    startedAt: now(),
    guard,
    logger: log,
    now,
    ...(opts.capacityRecheckMs !== undefined ? { capacityRecheckMs: opts.capacityRecheckMs } : {}),
  });
  const podQueue: WorkQueue = new WorkQueue({
    name: 'pod',
    concurrency: opts.podWorkers ?? 32,
    reconcile: (key) => reconciler.reconcile(key),
    errorOutcome: outcomeOf,
    registry: ctx.registry,
    logger: log,
    paused: true,
  });
  const releaseQueue: WorkQueue = new WorkQueue({
    name: 'branch-release',
    concurrency: opts.releaseWorkers ?? 8,
    reconcile: (eniId) => releaser.reconcile(eniId),
    errorOutcome: outcomeOf,
    registry: ctx.registry,
    logger: log,
    paused: true,
  });

  const topUps = new WarmTopUps({
    ec2,
    clusterName: settings.clusterName,
    permissionAccountId: settings.eniPermissionAccountId,
    book,
    planner,
    settings: minWarmSettings,
    warmSeconds: () => config.warmSeconds(),
    trunk: (nodeName) => trunks.get(nodeName),
    rebuilt: (nodeName) => nodeStates.isRebuilt(nodeName),
    waitingForSlot: (nodeName) => capacity.has(nodeName),
    releaser,
    watchExpiry: (eniId) => releaseQueue.add(eniId, 'low'),
    tagged: (eniId) => warmTagger.markTagged(eniId),
    guard,
    tokenEpoch: newTokenEpoch(),
    metrics,
    logger: log,
    now,
  });

  // A changed cooldown applies to ENIs already cooling: look at each again.
  config.onCooldownChange(() => releaser.handOver(book.pendingReleases()));
  const podChanged = (p: { metadata?: { name?: string; namespace?: string } }): void => podQueue.add(objectKey(p), 'high');
  informers.pods.onAdd(podChanged);
  informers.pods.onUpdate(podChanged);
  informers.pods.onDelete(podChanged);
  const namespacePods = (ns: string | undefined): void => {
    if (!ns) return;
    for (const p of informers.pods.list()) if (p.metadata?.namespace === ns) podQueue.add(objectKey(p), 'normal');
  };
  informers.policies.onAdd((p) => namespacePods(p.metadata?.namespace));
  informers.policies.onUpdate((p) => namespacePods(p.metadata?.namespace));
  informers.policies.onDelete((p) => namespacePods(p.metadata?.namespace));
  // The VPC's groups changed: pods of policies by name or tag may now get (other) groups.
  ctx.groupCatalog.onChange(() => {
    const namespaces = new Set(informers.policies.list().filter((p) => usesGroupLookup(p.spec?.securityGroups)).map((p) => p.metadata?.namespace));
    for (const ns of namespaces) namespacePods(ns);
  });
  informers.serviceAccounts.onAdd((sa) => namespacePods(sa.metadata?.namespace));
  informers.serviceAccounts.onUpdate((sa, old) => {
    if (JSON.stringify(sa.metadata?.labels ?? {}) !== JSON.stringify(old?.metadata?.labels ?? {})) namespacePods(sa.metadata?.namespace);
  });
  trunks.onChange((info, event) => {
    if (event === 'removed') {
      nodeStates.dropNode(info.nodeName);
      topUps.forgetNode(info.nodeName);
      return;
    }
    for (const p of informers.pods.byIndex(POD_INDEX_NODE, info.nodeName)) podQueue.add(objectKey(p), 'high');
    // Rebuild the node's branch state now, not on its first pod: a burst of pods then costs only its
    // create + associate calls, and the first pod on each node does not wait for the describes.
    // (Only with a synced pod cache: the rebuild reads annotations from it.)
    if (informers.pods.hasSynced()) rebuildEarly(info);
    // A node's trunk published (after a restart most are published after the first repair pass ran):
    // check its annotated pods soon, in one pass for every trunk published meanwhile.
    if (event === 'ready' && !repairSoon) repairSoon = setTimeout(() => ((repairSoon = undefined), repairLogged()), 2_000).unref();
  });
  let repairSoon: NodeJS.Timeout | undefined;
  const rebuildEarly = (info: TrunkInfo): void => {
    void nodeStates.stateFor(info).catch((err: unknown) => log.debug({ err, node: info.nodeName }, 'early branch-state rebuild failed; the first pod retries it'));
  };

  let gcRunning: Promise<number> | undefined;
  const gcNow = (): Promise<number> => {
    gcRunning ??= runGcPass({
      ec2,
      clusterName: settings.clusterName,
      book,
      podByUid,
      allocating: { has: (uid) => reconciler.allocating.has(uid) || topUps.creating.has(uid) },
      trunkNode: (trunkEniId) => trunks.list().find((t) => t.trunkEniId === trunkEniId)?.nodeName,
      annotatedEnis: () => annotatedEniIds(informers.pods.list()),
      now,
      logger: log,
    })
      .then((items) => {
        metrics.gcOrphans(items.length);
        releaser.handOver(items);
        return items.length;
      })
      .finally(() => {
        gcRunning = undefined;
      });
    return gcRunning;
  };

  let repairRunning: Promise<RepairReport> | undefined;
  const repairNow = (): Promise<RepairReport> => {
    repairRunning ??= runRepairPass({
      ec2,
      clusterName: settings.clusterName,
      describeBranches,
      book,
      pods: () => informers.pods.list(),
      readPod,
      patchPod: (namespace, name, body) => mergePatchPod(ctx.kube.core, namespace, name, body),
      trunk: (nodeName) => trunks.get(nodeName),
      ensureNode: (t) => nodeStates.stateFor(t),
      releaser,
      memos: reconciler.memos,
      enqueuePod: (key) => podQueue.add(key, 'high'),
      events: ctx.events,
      repaired: (problem) => metrics.repaired(problem),
      now,
      logger: log,
    }).finally(() => {
      repairRunning = undefined;
    });
    return repairRunning;
  };
  const repairLogged = (): void => void repairNow().catch((err: unknown) => log.warn({ err }, 'branch ENI repair pass failed; the next one tries again'));

  await Promise.all([informers.pods.waitForSync(), informers.policies.waitForSync(), informers.serviceAccounts.waitForSync()]);
  for (const p of informers.pods.list()) podQueue.add(objectKey(p), 'high');
  // Trunks published before the pod cache synced: rebuild their state now (one snapshot for all).
  for (const t of trunks.list()) rebuildEarly(t);
  podQueue.start();
  releaseQueue.start();
  const gcEvery = opts.gcIntervalMs ?? 300_000;
  let gcTimer: NodeJS.Timeout | undefined;
  if (gcEvery > 0) {
    gcTimer = setInterval(() => void gcNow().catch((err: unknown) => log.warn({ err }, 'branch ENI GC pass failed')), gcEvery);
    gcTimer.unref();
  }
  // After a restart, before anything else can go wrong: annotations naming missing or unassociated ENIs.
  repairLogged();
  const topUpTimer = setInterval(() => {
    try {
      topUps.pass();
    } catch (err) {
      log.warn({ err }, 'warm minimum pass failed; the next one tries again');
    }
  }, opts.warmTopUpIntervalMs ?? 1_000);
  topUpTimer.unref();
  const repairEvery = opts.repairIntervalMs ?? 120_000;
  const repairTimer = repairEvery > 0 ? setInterval(repairLogged, repairEvery) : undefined;
  repairTimer?.unref();
  log.info('pod side started');

  let stopped = false;
  return {
    ready: () => !stopped && informers.pods.hasSynced(),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (gcTimer) clearInterval(gcTimer);
      if (repairTimer) clearInterval(repairTimer);
      if (repairSoon) clearTimeout(repairSoon);
      clearInterval(topUpTimer);
      await topUps.whenIdle();
      await Promise.all([podQueue.shutdown(), releaseQueue.shutdown(), config.stop()]);
      await Promise.all([warmTagger.stop(), coolingTagger.stop()]);
      await gcRunning?.catch(() => 0);
      await repairRunning?.catch(() => undefined);
    },
    nodeState: (nodeName) => book.node(nodeName),
    pendingReleases: () => book.pendingReleases(),
    gcNow,
    repairNow,
    cooldownSeconds: () => config.cooldownSeconds(),
    whenIdle: async () => {
      await Promise.all([podQueue.whenIdle(), releaseQueue.whenIdle()]);
    },
  };
}
