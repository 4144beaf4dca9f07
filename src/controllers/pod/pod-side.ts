// The pod side of the controller (issue 5): branch ENIs for pods that request
// vpc.amazonaws.com/pod-eni, released after the cooldown when the pod is gone or finished.
//
//   informers ──(pod/policy/trunk changes: keys only)──▶ pod queue ('high') ──▶ reconcilePod
//                                                          release queue ('low') ──▶ releaseOne
//   periodic GC pass over owned branch ENIs in EC2 ──▶ release queue
//
// State that must survive a restart lives in EC2 tags and pod annotations (rebuild.ts); in memory
// there is only the per-node bookkeeping derived from them (book.ts, branch-state.ts).
import type { V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  REASON_BRANCH_ALLOCATION_FAILED,
  REASON_BRANCH_ENI_ANNOTATION_FAILED,
  REASON_MISSING_POD_ENI_RESOURCE,
  REASON_NO_MATCHING_POLICY,
  REASON_RESOURCE_ALLOCATED,
  REASON_SECURITY_GROUP_QUOTA_EXCEEDED,
  REASON_SECURITY_GROUP_REQUESTED,
  REASON_INVALID_SECURITY_GROUP_POLICY,
  REASON_EC2_THROTTLED,
  RESOURCE_POD_ENI,
  messageBranchAllocationFailed,
  messageBranchAnnotationFailed,
  messageResourceAllocated,
  messageSecurityGroupRequested,
} from '../../apis/constants.js';
import { podFacts } from '../../apis/kube-facts.js';
import { isNotFound as isEc2NotFound } from '../../aws/error-classes.js';
import { CONFIG_KEY_ACCOUNT_SHARE } from '../../aws/pacing-config.js';
import { encodePodEniAnnotation, type PodEniEntry } from '../../domain/pod-eni-annotation.js';
import { podEniRequest } from '../../domain/pod-eni-request.js';
import { checkGroupQuota, matchSecurityGroups, needsServiceAccountLabels, serviceAccountOf } from '../../domain/sgp-matching.js';
import { isConflict, isNotFound, messageOf, statusOf } from '../../kube/errors.js';
import { eventTarget } from '../../kube/events.js';
import { objectKey, splitKey } from '../../kube/informer.js';
import { mergePatchPod } from '../../kube/patch.js';
import { Outcome, WorkQueue, type ReconcileOutcome } from '../../kube/work-queue.js';
import { startCniConfigWatcher, type CniConfig } from '../config/cni-config-watcher.js';
import type { ControllerContext, ControllerPart } from '../context.js';
import { POD_INDEX_NODE, POD_INDEX_UID, SGP_INDEX_NAMESPACE, serviceAccountLabels } from '../informers.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { missingResourceWarning } from './backstop.js';
import { BranchBook, type ReleaseItem } from './book.js';
import { BranchCreateError, createBranch, releaseBranch } from './branch-eni-ops.js';
import type { NodeBranchState } from './branch-state.js';
import { runGcPass } from './gc.js';
import { podSideMetrics, type PodSideMetrics } from './metrics.js';
import { isTerminal, podRef, rebuildNode } from './rebuild.js';

export interface PodSideOptions {
  /** Parallel pod reconciles. Default 32 (EC2 pacing, not this, is the real limit). */
  podWorkers?: number;
  /** Parallel releases. Default 8. */
  releaseWorkers?: number;
  /** Period of the GC pass over owned branch ENIs in EC2. Default 5 min; 0 disables it. */
  gcIntervalMs?: number;
  /** How long a pod waiting for trunk capacity is looked at again even if no release says so. Default 30 s. */
  capacityRecheckMs?: number;
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
  /** The cooldown in force, seconds. */
  cooldownSeconds(): number;
  /** Resolves when both queues are idle (delayed work not counted). */
  whenIdle(): Promise<void>;
}

/** A pod kept waiting by throttling this long gets a Warning that names the fix (contract §4, ours). */
const THROTTLED_WARNING_AFTER_MS = 60_000;

interface PodMemo {
  /** Groups last announced with SecurityGroupRequested (so retries do not repeat it). */
  announced?: string;
  backstopWarned?: boolean;
  firstSeenScheduled?: number;
  /** The annotation this controller wrote (the cache may lag behind it). */
  annotated?: string;
  /** ClientToken generation per branch index (bumped after a rollback deleted the ENI). */
  generations: Map<number, number>;
  lastFailure?: string;
}

export async function startPodSide(ctx: ControllerContext, opts: PodSideOptions = {}): Promise<PodSide> {
  const core = new PodSideCore(ctx, opts);
  await core.start();
  return core;
}

class PodSideCore implements PodSide {
  private readonly log;
  private readonly now: () => number;
  private readonly metrics: PodSideMetrics;
  private readonly book = new BranchBook();
  private readonly podQueue: WorkQueue;
  private readonly releaseQueue: WorkQueue;
  private readonly memos = new Map<string, PodMemo>();
  private readonly memoUidByKey = new Map<string, string>();
  /** Per node: the rebuild in progress or done for its current trunk. */
  private readonly rebuilds = new Map<string, { trunkEniId: string; done: Promise<void> }>();
  /** Pods (keys) waiting for trunk capacity, per node. */
  private readonly waitingForCapacity = new Map<string, Set<string>>();
  /** Pod UIDs with an allocation in flight: GC leaves their ENIs alone. */
  private readonly allocating = new Set<string>();
  private config!: CniConfig;
  private gcTimer: NodeJS.Timeout | undefined;
  private gcRunning: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: PodSideOptions,
  ) {
    this.log = ctx.logger.child({ controller: 'pod' });
    this.now = opts.now ?? Date.now;
    this.metrics = podSideMetrics(ctx.registry);
    this.podQueue = new WorkQueue({
      name: 'pod',
      concurrency: opts.podWorkers ?? 32,
      reconcile: (key) => this.reconcilePod(key),
      registry: ctx.registry,
      logger: this.log,
      paused: true,
    });
    this.releaseQueue = new WorkQueue({
      name: 'branch-release',
      concurrency: opts.releaseWorkers ?? 8,
      reconcile: (eniId) => this.releaseOne(eniId),
      registry: ctx.registry,
      logger: this.log,
      paused: true,
    });
  }

  async start(): Promise<void> {
    const { informers, trunks } = this.ctx;
    this.config = startCniConfigWatcher(this.ctx);
    // A changed cooldown applies to ENIs already cooling: look at each again.
    this.config.onCooldownChange(() => {
      this.enqueueReleases(this.book.pendingReleases());
    });
    informers.pods.onAdd((p) => this.podQueue.add(objectKey(p), 'high'));
    informers.pods.onUpdate((p) => this.podQueue.add(objectKey(p), 'high'));
    informers.pods.onDelete((p) => this.podQueue.add(objectKey(p), 'high'));
    const namespacePods = (ns: string | undefined): void => {
      if (!ns) return;
      for (const p of informers.pods.list()) if (p.metadata?.namespace === ns) this.podQueue.add(objectKey(p), 'normal');
    };
    informers.policies.onAdd((p) => namespacePods(p.metadata?.namespace));
    informers.policies.onUpdate((p) => namespacePods(p.metadata?.namespace));
    informers.policies.onDelete((p) => namespacePods(p.metadata?.namespace));
    informers.serviceAccounts.onAdd((sa) => namespacePods(sa.metadata?.namespace));
    informers.serviceAccounts.onUpdate((sa, old) => {
      if (JSON.stringify(sa.metadata?.labels ?? {}) !== JSON.stringify(old?.metadata?.labels ?? {})) namespacePods(sa.metadata?.namespace);
    });
    trunks.onChange((info, event) => this.onTrunk(info, event));

    await Promise.all([informers.pods.waitForSync(), informers.policies.waitForSync(), informers.serviceAccounts.waitForSync()]);
    for (const p of informers.pods.list()) this.podQueue.add(objectKey(p), 'high');
    this.podQueue.start();
    this.releaseQueue.start();
    const gcEvery = this.opts.gcIntervalMs ?? 300_000;
    if (gcEvery > 0) {
      this.gcTimer = setInterval(() => void this.gcNow().catch((err: unknown) => this.log.warn({ err }, 'branch ENI GC pass failed')), gcEvery);
      this.gcTimer.unref();
    }
    this.log.info('pod side started');
  }

  ready(): boolean {
    return !this.stopped && this.ctx.informers.pods.hasSynced();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.gcTimer) clearInterval(this.gcTimer);
    await Promise.all([this.podQueue.shutdown(), this.releaseQueue.shutdown(), this.config?.stop()]);
    await this.gcRunning?.catch(() => 0);
  }

  nodeState(nodeName: string): NodeBranchState | undefined {
    return this.book.node(nodeName);
  }

  pendingReleases(): ReleaseItem[] {
    return this.book.pendingReleases();
  }

  cooldownSeconds(): number {
    return this.config.cooldownSeconds();
  }

  async whenIdle(): Promise<void> {
    await Promise.all([this.podQueue.whenIdle(), this.releaseQueue.whenIdle()]);
  }

  gcNow(): Promise<number> {
    this.gcRunning ??= runGcPass({
      ec2: this.ctx.ec2,
      clusterName: this.ctx.settings.clusterName,
      book: this.book,
      podByUid: (uid) => this.ctx.informers.pods.byIndex(POD_INDEX_UID, uid)[0],
      allocating: this.allocating,
      trunkNode: (trunkEniId) => this.ctx.trunks.list().find((t) => t.trunkEniId === trunkEniId)?.nodeName,
      annotatedEnis: () => annotatedEniIds(this.ctx.informers.pods.list()),
      now: this.now,
      logger: this.log,
    })
      .then((items) => {
        this.metrics.gcOrphans(items.length);
        this.enqueueReleases(items);
        return items.length;
      })
      .finally(() => {
        this.gcRunning = undefined;
      });
    return this.gcRunning;
  }

  // ------------------------------------------------------------------ trunks

  private onTrunk(info: TrunkInfo, event: 'ready' | 'removed'): void {
    if (event === 'removed') {
      // The node (or its trunk) is gone: its ENIs go to release; their pods are gone with the node.
      const items = this.book.dropNode(info.nodeName, this.now());
      this.rebuilds.delete(info.nodeName);
      this.enqueueReleases(items);
      return;
    }
    for (const p of this.ctx.informers.pods.byIndex(POD_INDEX_NODE, info.nodeName)) this.podQueue.add(objectKey(p), 'high');
    // Rebuild the node's branch state now, not on its first pod: a burst of pods then costs only its
    // create + associate calls, and the first pod on each node does not wait for the describes.
    // (Only with a synced pod cache: the rebuild reads annotations from it.)
    if (this.ctx.informers.pods.hasSynced()) void this.nodeStateFor(info).catch((err: unknown) => this.log.debug({ err, node: info.nodeName }, 'early branch-state rebuild failed; the first pod retries it'));
  }

  /** The node's state for its current trunk, rebuilt from EC2 and annotations the first time. */
  private async nodeStateFor(trunk: TrunkInfo): Promise<NodeBranchState> {
    const cur = this.rebuilds.get(trunk.nodeName);
    if (!cur || cur.trunkEniId !== trunk.trunkEniId) {
      const dropped = this.book.node(trunk.nodeName) && this.book.node(trunk.nodeName)?.trunkEniId !== trunk.trunkEniId;
      if (dropped) this.enqueueReleases(this.book.dropNode(trunk.nodeName, this.now()));
      this.book.ensureNode(trunk.nodeName, trunk);
      const done = rebuildNode(
        {
          ec2: this.ctx.ec2,
          book: this.book,
          podsOnNode: (n) => this.ctx.informers.pods.byIndex(POD_INDEX_NODE, n),
          podByUid: (uid) => this.ctx.informers.pods.byIndex(POD_INDEX_UID, uid)[0],
          now: this.now,
          logger: this.log,
        },
        trunk,
      ).then((r) => {
        this.enqueueReleases(r.released);
      });
      const entry = { trunkEniId: trunk.trunkEniId, done };
      this.rebuilds.set(trunk.nodeName, entry);
      // A failed rebuild is tried again by the next reconcile.
      done.catch(() => {
        if (this.rebuilds.get(trunk.nodeName) === entry) this.rebuilds.delete(trunk.nodeName);
      });
    }
    await this.rebuilds.get(trunk.nodeName)?.done;
    const state = this.book.node(trunk.nodeName);
    if (!state) throw new Error(`branch state of node ${trunk.nodeName} vanished during its rebuild`);
    return state;
  }

  // ------------------------------------------------------------------ pods

  private memo(uid: string, key: string): PodMemo {
    let m = this.memos.get(uid);
    if (!m) this.memos.set(uid, (m = { generations: new Map() }));
    this.memoUidByKey.set(key, uid);
    return m;
  }

  /** Forget what was remembered about the pod incarnations of a key other than `keep`. */
  private forgetMemos(key: string, keep: string | undefined): void {
    const uid = this.memoUidByKey.get(key);
    if (uid === undefined || uid === keep) return;
    this.memos.delete(uid);
    this.memoUidByKey.delete(key);
  }

  private async reconcilePod(key: string): Promise<ReconcileOutcome> {
    const pod = this.ctx.informers.pods.get(key);
    const uid = pod?.metadata?.uid;
    // The first pod seen on a node with a trunk rebuilds that node's state (after a restart this is
    // what finds the ENIs of annotated pods, so that their release is not left to the GC pass).
    const podTrunk = pod?.spec?.nodeName ? this.ctx.trunks.get(pod.spec.nodeName) : undefined;
    if (podTrunk) await this.nodeStateFor(podTrunk);
    // ENIs of an incarnation that is gone (deleted, replaced under the same name) or finished.
    for (const h of this.book.holders(key)) {
      if (h.uid === uid && pod && !isTerminal(pod)) continue;
      const { name, namespace } = splitKey(key);
      const items = this.book.releasePod({ uid: h.uid, namespace: namespace ?? '', name }, h.nodeName, this.now());
      this.enqueueReleases(items);
      if (items.length > 0) this.log.info({ pod: key, uid: h.uid, enis: items.map((i) => i.eniId) }, 'pod gone or finished: branch ENIs handed to cooldown');
      if (h.uid !== uid) this.memos.delete(h.uid);
    }
    this.forgetMemos(key, pod && !isTerminal(pod) ? uid : undefined);
    if (!pod || !uid || isTerminal(pod)) return Outcome.done();
    const request = podEniRequest(pod.spec);
    if (!request.ok) {
      this.ctx.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(request.errors.join('; ')));
      return Outcome.terminal(new Error(request.errors.join('; ')));
    }
    if (request.value === 0) {
      this.backstop(pod, uid);
      return Outcome.done();
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata?.deletionTimestamp) return Outcome.done();
    if (pod.metadata?.annotations?.[ANNOTATION_POD_ENI]) return Outcome.done();
    const trunk = this.ctx.trunks.get(nodeName);
    // No ready trunk yet: the trunk registry's 'ready' enqueues this pod.
    if (!trunk) return Outcome.done();
    const memo = this.memo(uid, key);
    // Annotated already; the cache has not caught up with our own patch yet.
    if (memo.annotated) return Outcome.done();
    // The CNI needs the subnet's CIDR in the annotation: without it every ENI made would be thrown away.
    if (!trunk.subnetCidr) return Outcome.retry(new Error(`trunk of node ${nodeName} was published without its subnet CIDR`), { minDelayMs: 10_000 });
    memo.firstSeenScheduled ??= this.now();
    const state = await this.nodeStateFor(trunk);

    // Groups at allocation time (a policy may have changed since admission).
    const groups = this.resolveGroups(pod, trunk);
    if (groups === undefined) return Outcome.done();
    const quotaProblem = checkGroupQuota(groups, this.ctx.settings.securityGroupsPerInterface);
    if (quotaProblem) {
      this.metrics.quotaExceeded();
      this.ctx.events.warning(eventTarget('Pod', pod), REASON_SECURITY_GROUP_QUOTA_EXCEEDED, messageBranchAllocationFailed(quotaProblem));
      // Retrying cannot help until a policy changes, which enqueues the pod again.
      return Outcome.terminal(new Error(quotaProblem));
    }
    const groupsKey = groups.join(' ');
    if (memo.announced !== groupsKey) {
      memo.announced = groupsKey;
      this.ctx.events.normal(eventTarget('Pod', pod), REASON_SECURITY_GROUP_REQUESTED, messageSecurityGroupRequested(groups));
    }

    const ref = podRef(pod);
    this.allocating.add(uid);
    try {
      const have = new Map(state.activeFor(uid).map((r) => [r.index, r]));
      for (let index = 0; index < request.value; index++) {
        if (have.has(index)) continue;
        const vlanId = state.reserveVlan();
        if (vlanId === undefined) return this.atCapacity(pod, key, state);
        const generation = memo.generations.get(index) ?? 0;
        try {
          const created = await createBranch(this.ctx.ec2, {
            clusterName: this.ctx.settings.clusterName,
            trunk,
            pod: ref,
            index,
            generation,
            vlanId,
            groups,
            // Never take over (as an earlier attempt's ENI) one this controller already holds.
            isKnown: (eniId) => this.book.knows(eniId),
            ...(this.ctx.settings.eniPermissionAccountId ? { permissionAccountId: this.ctx.settings.eniPermissionAccountId } : {}),
          });
          const rec = { eniId: created.eniId, vlanId, associationId: created.associationId, pod: ref, index, macAddress: created.macAddress, privateIp: created.privateIp, phase: 'active' as const };
          if (!this.book.record(nodeName, rec)) throw new Error(`VLAN ${vlanId} on trunk ${trunk.trunkEniId} is held twice (bookkeeping bug)`);
          have.set(index, rec);
          this.metrics.allocated(1);
        } catch (err) {
          return this.allocationFailed(pod, state, vlanId, index, memo, err);
        }
      }
      const records = [...have.values()].filter((r) => r.index < request.value).sort((a, b) => a.index - b.index);
      // Adopted after a crash between create and associate: finish the association first.
      for (const r of records) {
        if (r.associationId) continue;
        try {
          const assoc = await this.ctx.ec2.associateTrunkInterface(
            { BranchInterfaceId: r.eniId, TrunkInterfaceId: trunk.trunkEniId, VlanId: r.vlanId },
            { priority: 'pod-start', purpose: ['associate', this.ctx.settings.clusterName, r.eniId, trunk.trunkEniId, String(r.vlanId)] },
          );
          r.associationId = assoc.AssociationId;
          if (assoc.AssociationId) state.setAssociation(r.eniId, assoc.AssociationId);
        } catch (err) {
          // Cannot finish it: let it go and make a new one on the next try.
          const item = this.book.releaseEni({ eniId: r.eniId, nodeName, pod: ref, since: this.now(), immediate: true, orphan: false });
          this.releaseQueue.add(item.eniId, 'low');
          return this.allocationFailed(pod, state, undefined, r.index, memo, err);
        }
      }
      return await this.annotate(pod, key, uid, trunk, records);
    } finally {
      this.allocating.delete(uid);
    }
  }

  /** The pod's groups now, with the events that say what applies; undefined when the pod should not get an ENI. */
  private resolveGroups(pod: V1Pod, trunk: TrunkInfo): string[] | undefined {
    const facts = podFacts(pod);
    const policies = this.ctx.informers.policies.byIndex(SGP_INDEX_NAMESPACE, facts.namespace);
    const sa = serviceAccountOf(facts);
    const saLabels = needsServiceAccountLabels({ pod: facts, policies }) ? serviceAccountLabels(this.ctx.informers, facts.namespace, sa) : undefined;
    const match = matchSecurityGroups({ pod: facts, policies, serviceAccountLabels: saLabels });
    for (const bad of match.invalidPolicies) {
      this.ctx.events.warning(eventTarget('Pod', pod), REASON_INVALID_SECURITY_GROUP_POLICY, `SecurityGroupPolicy ${facts.namespace}/${bad.name} is invalid and was ignored: ${bad.errors.join('; ')}`);
    }
    if (match.groups.length > 0) return match.groups;
    const why =
      match.undecidedWithoutServiceAccount.length > 0
        ? `SecurityGroupPolicy ${match.undecidedWithoutServiceAccount.join(', ')} selects by ServiceAccount labels and ServiceAccount ${facts.namespace}/${sa} was not found`
        : `no SecurityGroupPolicy in namespace ${facts.namespace} selects this pod`;
    this.ctx.events.warning(
      eventTarget('Pod', pod),
      REASON_NO_MATCHING_POLICY,
      `${why}; the pod requests ${RESOURCE_POD_ENI} so it gets a branch ENI with the node's trunk security groups [${trunk.defaultSecurityGroups.join(' ')}]. Create or fix a SecurityGroupPolicy if it needs others`,
    );
    return trunk.defaultSecurityGroups.length > 0 ? [...trunk.defaultSecurityGroups] : undefined;
  }

  private atCapacity(pod: V1Pod, key: string, state: NodeBranchState): ReconcileOutcome {
    const c = state.counts();
    const msg =
      `trunk ${state.trunkEniId} on node ${state.nodeName} has no free branch ENI: ${c.active + c.reserved} in use and ` +
      `${c.cooling} cooling down of ${state.branchLimit}; retrying as soon as a cooling ENI is deleted`;
    this.ctx.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(msg));
    this.metrics.allocationFailure('capacity');
    let waiting = this.waitingForCapacity.get(state.nodeName);
    if (!waiting) this.waitingForCapacity.set(state.nodeName, (waiting = new Set()));
    waiting.add(key);
    return Outcome.requeueAfter(this.opts.capacityRecheckMs ?? 30_000);
  }

  private allocationFailed(pod: V1Pod, state: NodeBranchState, vlanId: number | undefined, index: number, memo: PodMemo, err: unknown): ReconcileOutcome {
    const nodeName = state.nodeName;
    if (err instanceof BranchCreateError) {
      if (err.eniLeft && vlanId !== undefined) {
        // Created but could not be deleted again: keep it (and its VLAN) and delete it later.
        const ref = podRef(pod);
        this.book.record(nodeName, { eniId: err.eniLeft, vlanId, pod: ref, index, phase: 'active' });
        const item = this.book.releaseEni({ eniId: err.eniLeft, nodeName, pod: ref, since: this.now(), immediate: true, orphan: false });
        this.releaseQueue.add(item.eniId, 'low');
      } else if (vlanId !== undefined) {
        state.cancelReservation(vlanId);
      }
      // The token's ENI is gone (rolled back now or earlier): the next try needs a new one.
      if (err.eniCreated || err.staleToken) memo.generations.set(index, (memo.generations.get(index) ?? 0) + 1);
      this.metrics.allocationFailure(err.step);
    } else {
      if (vlanId !== undefined) state.cancelReservation(vlanId);
      this.metrics.allocationFailure('other');
    }
    const cause = err instanceof Error ? err.message : String(err);
    this.ctx.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(cause));
    const waited = memo.firstSeenScheduled !== undefined ? this.now() - memo.firstSeenScheduled : 0;
    if (err instanceof BranchCreateError && err.class === 'throttled' && waited > THROTTLED_WARNING_AFTER_MS) {
      this.ctx.events.warning(
        eventTarget('Pod', pod),
        REASON_EC2_THROTTLED,
        `EC2 has been throttling the controller (RequestLimitExceeded) for ${Math.round(waited / 1000)}s while this pod waits for its branch ENI. ` +
          `Fix: reduce other EC2 API callers in the account and Region, or ask AWS for higher EC2 API rate limits and raise ${CONFIG_KEY_ACCOUNT_SHARE} in ${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME}`,
      );
    }
    this.log.warn({ pod: objectKey(pod), err: cause }, 'branch ENI allocation failed; retrying with backoff');
    const hints = err instanceof BranchCreateError ? { ...(err.class ? { errorClass: err.class } : {}), ...(err.retryAfterMs !== undefined ? { minDelayMs: err.retryAfterMs } : {}) } : {};
    return Outcome.retry(err, hints);
  }

  private async annotate(
    pod: V1Pod,
    key: string,
    uid: string,
    trunk: TrunkInfo,
    records: { eniId: string; vlanId: number; associationId?: string; macAddress?: string; privateIp?: string }[],
  ): Promise<ReconcileOutcome> {
    const entries: PodEniEntry[] = records.map((r) => ({
      eniId: r.eniId,
      ifAddress: r.macAddress ?? '',
      privateIp: r.privateIp ?? '',
      vlanId: r.vlanId,
      subnetCidr: trunk.subnetCidr,
      ...(trunk.subnetV6Cidr ? { subnetV6Cidr: trunk.subnetV6Cidr } : {}),
    }));
    let json: string;
    try {
      json = encodePodEniAnnotation(entries);
    } catch (err) {
      // Adopted ENIs rebuilt without MAC/IP cannot be described to the CNI: replace them.
      const items = this.book.releasePod(podRef(pod), trunk.nodeName, this.now(), true);
      this.enqueueReleases(items);
      return Outcome.retry(err);
    }
    const { namespace, name } = splitKey(key);
    try {
      // metadata.uid makes the patch apply only to the incarnation the ENIs were made for.
      await mergePatchPod(this.ctx.kube.core, namespace ?? '', name, { metadata: { uid, annotations: { [ANNOTATION_POD_ENI]: json } } });
    } catch (err) {
      const status = statusOf(err);
      if (isNotFound(err) || isConflict(err) || status === 422) {
        // Gone, or replaced by a new pod with the same name: the CNI never saw these ENIs.
        const items = this.book.releasePod(podRef(pod), trunk.nodeName, this.now(), true);
        this.enqueueReleases(items);
        this.log.info({ pod: key, uid, status }, 'pod gone before its annotation; branch ENIs released');
        return Outcome.done();
      }
      this.metrics.allocationFailure('annotate');
      this.ctx.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ENI_ANNOTATION_FAILED, messageBranchAnnotationFailed(messageOf(err)));
      return Outcome.retry(err);
    }
    this.ctx.events.normal(eventTarget('Pod', pod), REASON_RESOURCE_ALLOCATED, messageResourceAllocated(json));
    const memo = this.memos.get(uid);
    if (memo) memo.annotated = json;
    const scheduledAt = scheduledTime(pod) ?? memo?.firstSeenScheduled;
    if (scheduledAt !== undefined) this.metrics.timeToAnnotation((this.now() - scheduledAt) / 1000);
    const totals = this.book.totals();
    this.metrics.branches(totals.active, totals.cooling);
    this.log.info({ pod: key, enis: records.map((r) => r.eniId) }, 'branch ENIs allocated');
    return Outcome.done();
  }

  private backstop(pod: V1Pod, uid: string): void {
    const facts = podFacts(pod);
    if (facts.hostNetwork) return;
    const memo = this.memos.get(uid);
    if (memo?.backstopWarned) return;
    const policies = this.ctx.informers.policies.byIndex(SGP_INDEX_NAMESPACE, facts.namespace);
    if (policies.length === 0) return;
    const message = missingResourceWarning({
      pod: facts,
      requested: 0,
      phase: pod.status?.phase,
      annotations: pod.metadata?.annotations,
      policies,
      serviceAccountLabels: serviceAccountLabels(this.ctx.informers, facts.namespace, serviceAccountOf(facts)),
    });
    if (!message) return;
    this.memo(uid, objectKey(pod)).backstopWarned = true;
    this.metrics.missingResource(facts.namespace);
    this.ctx.events.warning(eventTarget('Pod', pod), REASON_MISSING_POD_ENI_RESOURCE, message);
    this.log.warn({ pod: objectKey(pod) }, 'pod matches a SecurityGroupPolicy but has no pod-eni request');
  }

  // ------------------------------------------------------------------ release

  private enqueueReleases(items: readonly ReleaseItem[]): void {
    for (const item of items) this.releaseQueue.add(item.eniId, 'low');
  }

  private async releaseOne(eniId: string): Promise<ReconcileOutcome> {
    const item = this.book.release(eniId);
    if (!item) return Outcome.done();
    const due = item.immediate ? item.since : item.since + this.config.cooldownSeconds() * 1000;
    const wait = due - this.now();
    if (wait > 0) return Outcome.requeueAfter(wait);
    // Before destroying anything found rather than seen going away, ask the API server (not the cache).
    if (item.pod?.name && item.pod.namespace && !item.immediate) {
      const alive = await this.ownerAlive(item.pod.namespace, item.pod.name, item.pod.uid);
      if (alive) {
        this.log.info({ eniId, pod: `${item.pod.namespace}/${item.pod.name}` }, 'release called off: the owning pod is alive');
        this.book.cancelRelease(eniId);
        this.podQueue.add(`${item.pod.namespace}/${item.pod.name}`, 'high');
        return Outcome.done();
      }
    }
    try {
      await releaseBranch(this.ctx.ec2, { eniId, associationId: item.associationId });
    } catch (err) {
      if (!isEc2NotFound(err)) {
        this.metrics.releaseFailure();
        return Outcome.retry(err);
      }
    }
    this.book.gone(eniId, item.nodeName);
    this.metrics.released(1, 'deleted');
    const totals = this.book.totals();
    this.metrics.branches(totals.active, totals.cooling);
    this.log.info({ eniId, node: item.nodeName }, 'branch ENI deleted');
    // Capacity came back on this node: pods waiting for it go first.
    const waiting = this.waitingForCapacity.get(item.nodeName);
    if (waiting) {
      this.waitingForCapacity.delete(item.nodeName);
      for (const k of waiting) this.podQueue.add(k, 'high');
    }
    return Outcome.done();
  }

  /** Whether the pod exists on the API server with this UID and is still running or about to. */
  private async ownerAlive(namespace: string, name: string, uid: string): Promise<boolean> {
    try {
      const pod = await this.ctx.kube.core.readNamespacedPod({ namespace, name });
      if (uid && pod.metadata?.uid !== uid) return false;
      return !isTerminal(pod);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

/** When the pod was bound to its node (PodScheduled condition), ms since epoch. */
function scheduledTime(pod: V1Pod): number | undefined {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const t = cond?.lastTransitionTime;
  if (!t) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isFinite(ms) ? ms : undefined;
}

function annotatedEniIds(pods: readonly V1Pod[]): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const raw = p.metadata?.annotations?.[ANNOTATION_POD_ENI];
    if (!raw || isTerminal(p)) continue;
    try {
      const arr = JSON.parse(raw) as unknown;
      if (Array.isArray(arr)) for (const e of arr) if (e && typeof e === 'object' && typeof (e as { eniId?: unknown }).eniId === 'string') out.add((e as { eniId: string }).eniId);
    } catch {
      // unreadable annotations are reported elsewhere
    }
  }
  return out;
}
