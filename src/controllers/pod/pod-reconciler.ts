// The pod reconciler (key = ns/name): release the ENIs of incarnations that are gone or finished →
// read the pod-eni request (or run the backstop) → wait for the node's trunk → resolve the groups
// and check the quota → allocate the missing branch ENIs (allocation.ts) → annotate the pod. It
// reads the caches and its explicit deps only; the wiring (pod-side.ts) owns queues and timers.
// State that must survive a restart lives in EC2 tags and the annotation, never only here.
import type { V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  REASON_BRANCH_ALLOCATION_FAILED,
  REASON_BRANCH_ENI_ANNOTATION_FAILED,
  REASON_BRANCH_ENI_REUSED,
  REASON_SECURITY_GROUPS_UPDATED,
  REASON_SECURITY_GROUP_POLICY_UNMATCHED,
  REASON_EC2_THROTTLED,
  REASON_INVALID_SECURITY_GROUP_POLICY,
  REASON_MISSING_POD_ENI_RESOURCE,
  REASON_RESOURCE_ALLOCATED,
  REASON_SECURITY_GROUP_QUOTA_EXCEEDED,
  REASON_SECURITY_GROUP_REQUESTED,
  RESOURCE_POD_ENI,
  messageBranchAllocationFailed,
  messageBranchAnnotationFailed,
  messageResourceAllocated,
  messageSecurityGroupRequested,
} from '../../apis/constants.js';
import { podFacts } from '../kube-facts.js';
import { CONFIG_KEY_ACCOUNT_SHARE } from '../../aws/pacing-config.js';
import { groupSetKey, type BranchRecord, type NodeBranchState, type PodRef } from '../../domain/branch-state.js';
import { encodePodEniAnnotation, type PodEniEntry } from '../../domain/pod-eni-annotation.js';
import { podEniRequest } from '../../domain/pod-eni-request.js';
import { checkGroupQuota, matchSecurityGroups, needsServiceAccountLabels, serviceAccountOf } from '../../domain/sgp-matching.js';
import { isConflict, isNotFound, messageOf, statusOf } from '../../kube/errors.js';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import { objectKey, splitKey } from '../../kube/informer.js';
import { Outcome, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerSettings } from '../context.js';
import { outcomeOf } from '../error-map.js';
import type { SecurityGroupPolicyObject } from '../informers.js';
import type { SecurityGroupPolicy } from '../../apis/security-group-policy.js';
import type { GroupResolution } from '../../domain/policy-groups.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { createMissing, finishAssociations, rollBackFailure, type AllocationDeps, type AllocationTarget, type StepFailure } from './allocation.js';
import { ANNOTATION_BRANCH_ATTEMPT, attemptOf, mayMeetEarlierTokens, newTokenEpoch, saveAttempt } from './attempts.js';
import { missingResourceWarning } from './backstop.js';
import { BranchCreateError } from './branch-eni-ops.js';
import type { BranchReleaser } from './branch-releaser.js';
import type { CapacityWaiters } from './capacity-waiters.js';
import type { PodSideMetrics } from './metrics.js';
import type { NodeStates } from './node-states.js';
import { PodMemos } from './pod-memos.js';
import { isTerminal, podRef, scheduledTime } from './rebuild.js';

export interface PodReconcilerDeps extends Omit<AllocationDeps, 'clusterName' | 'permissionAccountId' | 'releaser' | 'metrics' | 'saveAttempt'> {
  /** When this controller process started (ms): older pods may meet an earlier process's ClientTokens. */
  startedAt?: number;
  settings: Pick<ControllerSettings, 'clusterName' | 'securityGroupsPerInterface' | 'eniPermissionAccountId'>;
  events: Pick<EventRecorder, 'normal' | 'warning'>;
  /** A pod from the cache by ns/name. */
  pod(key: string): V1Pod | undefined;
  /** The cached SecurityGroupPolicies of a namespace. */
  policies(namespace: string): SecurityGroupPolicyObject[];
  /** The group IDs of a policy that gives groups by name or tag (the VPC's group catalog). */
  resolvePolicyGroups(policy: SecurityGroupPolicy): GroupResolution;
  /** Labels of a cached ServiceAccount ({} when none); undefined when it is not in the cache. */
  serviceAccountLabels(namespace: string, name: string): Record<string, string> | undefined;
  /** The node's published trunk, if ready. */
  trunk(nodeName: string): TrunkInfo | undefined;
  /** Merge-patch a pod (the annotation). Rejects with the API server's ApiException. */
  patchPod(namespace: string, name: string, body: object): Promise<unknown>;
  nodeStates: Pick<NodeStates, 'stateFor'>;
  releaser: Pick<BranchReleaser, 'releaseEni' | 'releasePod'>;
  capacity: CapacityWaiters;
  metrics: PodSideMetrics;
  logger: Logger;
  /** How long a pod waiting for trunk capacity is looked at again even if no release says so. Default 30 s. */
  capacityRecheckMs?: number;
  /** Give a running pod's branch ENI its new groups in place when its policies change (default on). */
  liveUpdates?: boolean;
}

/** A pod kept waiting by throttling this long gets a Warning that names the fix (contract §4, ours). */
const THROTTLED_WARNING_AFTER_MS = 60_000;

export class PodReconciler {
  /** What is remembered per pod incarnation (shared with the repair pass, which may un-annotate). */
  readonly memos: PodMemos;
  private readonly allocatingUids = new Set<string>();
  private readonly alloc: AllocationDeps;

  constructor(private readonly deps: PodReconcilerDeps) {
    this.memos = new PodMemos();
    const saveAttempt = (p: PodRef, n: number): Promise<unknown> => deps.patchPod(p.namespace, p.name, { metadata: { uid: p.uid, annotations: { [ANNOTATION_BRANCH_ATTEMPT]: String(n) } } });
    this.alloc = { ...deps, clusterName: deps.settings.clusterName, permissionAccountId: deps.settings.eniPermissionAccountId, tokenEpoch: deps.tokenEpoch ?? newTokenEpoch(), saveAttempt };
  }

  /** Pod UIDs with an allocation in flight: GC leaves their ENIs alone. */
  get allocating(): ReadonlySet<string> {
    return this.allocatingUids;
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { deps } = this;
    const pod = deps.pod(key);
    const uid = pod?.metadata?.uid;
    // The first pod seen on a node with a trunk rebuilds that node's state (after a restart this is
    // what finds the ENIs of annotated pods, so that their release is not left to the GC pass).
    const podTrunk = pod?.spec?.nodeName ? deps.trunk(pod.spec.nodeName) : undefined;
    if (podTrunk) await deps.nodeStates.stateFor(podTrunk);
    this.releaseGoneIncarnations(key, pod);
    if (!pod || !uid || isTerminal(pod)) return Outcome.done();
    const request = podEniRequest(pod.spec);
    if (!request.ok) {
      deps.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(request.errors.join('; ')));
      return Outcome.terminal(new Error(request.errors.join('; ')));
    }
    if (request.value === 0) {
      this.backstop(pod, uid);
      return Outcome.done();
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata?.deletionTimestamp) return Outcome.done();
    if (pod.metadata?.annotations?.[ANNOTATION_POD_ENI]) return this.liveGroups(pod, uid);
    const trunk = deps.trunk(nodeName);
    // No ready trunk yet: the trunk registry's 'ready' enqueues this pod.
    if (!trunk) return Outcome.done();
    const memo = this.memos.of(uid, key);
    // Annotated already; the cache has not caught up with our own patch yet.
    if (memo.annotated) return Outcome.done();
    // The CNI needs the subnet's CIDR in the annotation: without it every ENI made would be thrown away.
    if (!trunk.subnetCidr) return Outcome.retry(new Error(`trunk of node ${nodeName} was published without its subnet CIDR`), { minDelayMs: 10_000 });
    memo.firstSeenScheduled ??= deps.now();
    const state = await deps.nodeStates.stateFor(trunk);

    // Groups at allocation time (a policy may have changed since admission).
    const resolved = this.resolveGroups(pod, trunk);
    if (resolved === undefined) return Outcome.done();
    const { groups } = resolved;
    const quotaProblem = checkGroupQuota(groups, deps.settings.securityGroupsPerInterface);
    if (quotaProblem) {
      deps.metrics.quotaExceeded();
      deps.events.warning(eventTarget('Pod', pod), REASON_SECURITY_GROUP_QUOTA_EXCEEDED, messageBranchAllocationFailed(quotaProblem));
      // Retrying cannot help until a policy changes, which enqueues the pod again.
      return Outcome.terminal(new Error(quotaProblem));
    }
    const groupsKey = groups.join(' ');
    if (memo.announced !== groupsKey) {
      memo.announced = groupsKey;
      // As upstream (pkg/provider/branch/provider.go): Normal naming the groups, or Warning when no policy matched.
      if (resolved.unmatched) deps.events.warning(eventTarget('Pod', pod), REASON_SECURITY_GROUP_REQUESTED, resolved.unmatched);
      else deps.events.normal(eventTarget('Pod', pod), REASON_SECURITY_GROUP_REQUESTED, messageSecurityGroupRequested(groups));
    }

    const target: AllocationTarget = { pod: podRef(pod), trunk, state, groups, memo, attempt: attemptOf(pod), mayReplay: mayMeetEarlierTokens(pod, deps.startedAt) };
    this.allocatingUids.add(uid);
    try {
      const created = await createMissing(this.alloc, target, request.value);
      if (created.kind === 'capacity') return this.atCapacity(pod, key, state);
      if (created.kind === 'wait') return Outcome.requeueAfter(created.ms);
      if (created.kind === 'failed') return await this.allocationFailed(pod, target, created);
      for (const r of created.reused ?? []) {
        deps.events.normal(
          eventTarget('Pod', pod),
          REASON_BRANCH_ENI_REUSED,
          `Reused warm branch ENI ${r.eniId} (VLAN ${r.vlanId}, security groups [${(r.groups ?? []).join(' ')}]) kept on the node's trunk after its cooldown; no EC2 call was needed`,
        );
      }
      const associated = await finishAssociations(this.alloc, target, created.records);
      if (associated.kind === 'failed') return await this.allocationFailed(pod, target, associated);
      return await this.annotate(pod, key, uid, trunk, created.records);
    } finally {
      this.allocatingUids.delete(uid);
    }
  }

  /**
   * Live policies (issue 14): an annotated, running pod whose policies now give other groups gets
   * them on its branch ENIs in place (ModifyNetworkInterfaceAttribute, quota checked first), with a
   * Normal SecurityGroupsUpdated naming old and new. A pod no policy selects any more keeps its ENI
   * and groups, with a Warning that a restart is what leaves it. Unlike the EKS controller, which
   * changes nothing for running pods.
   */
  private async liveGroups(pod: V1Pod, uid: string): Promise<ReconcileOutcome> {
    const { deps } = this;
    if (deps.liveUpdates === false) return Outcome.done();
    const nodeName = pod.spec?.nodeName;
    const state = nodeName ? deps.book.node(nodeName) : undefined;
    const records = state?.activeFor(uid) ?? [];
    // Groups unknown (not ours, or rebuilt without them): nothing to compare with.
    if (records.length === 0 || records.some((r) => !r.groups)) return Outcome.done();
    const facts = podFacts(pod);
    const policies = deps.policies(facts.namespace);
    const saLabels = needsServiceAccountLabels({ pod: facts, policies }) ? deps.serviceAccountLabels(facts.namespace, serviceAccountOf(facts)) : undefined;
    const match = matchSecurityGroups({ pod: facts, policies, serviceAccountLabels: saLabels, resolveGroups: (p) => deps.resolvePolicyGroups(p) });
    // Undecided (policy unresolved, ServiceAccount unknown): change nothing rather than guess.
    if (match.unresolvedPolicies.length > 0 || match.undecidedWithoutServiceAccount.length > 0) return Outcome.done();
    const memo = this.memos.of(uid, objectKey(pod));
    const current = records[0]?.groups ?? [];
    if (match.groups.length === 0) {
      // A pod that runs on the trunk's groups never had a policy's; one that stopped matching is told once.
      const trunk = nodeName ? deps.trunk(nodeName) : undefined;
      if (memo.unmatchedWarned || !trunk || groupSetKey(current) === groupSetKey(trunk.defaultSecurityGroups)) return Outcome.done();
      memo.unmatchedWarned = true;
      deps.events.warning(
        eventTarget('Pod', pod),
        REASON_SECURITY_GROUP_POLICY_UNMATCHED,
        `no SecurityGroupPolicy in namespace ${facts.namespace} selects this pod any more; it keeps its branch ENI with security groups [${current.join(' ')}] ` +
          `until it is restarted (delete it or roll out its workload) — the controller never takes a running pod off its branch ENI`,
      );
      return Outcome.done();
    }
    memo.unmatchedWarned = false;
    if (records.every((r) => groupSetKey(r.groups ?? []) === groupSetKey(match.groups))) return Outcome.done();
    const quotaProblem = checkGroupQuota(match.groups, deps.settings.securityGroupsPerInterface);
    if (quotaProblem) {
      deps.metrics.quotaExceeded();
      deps.events.warning(eventTarget('Pod', pod), REASON_SECURITY_GROUP_QUOTA_EXCEEDED, `security groups of the running pod not updated: ${quotaProblem}`);
      return Outcome.terminal(new Error(quotaProblem));
    }
    for (const r of records) {
      if (groupSetKey(r.groups ?? []) === groupSetKey(match.groups)) continue;
      const before = [...(r.groups ?? [])];
      try {
        await deps.ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: r.eniId, Groups: [...match.groups] }, { priority: 'background' });
      } catch (err) {
        deps.metrics.groupsUpdated('error');
        deps.logger.warn({ pod: objectKey(pod), eniId: r.eniId, err: (err as Error).message }, 'live security group update failed; retrying');
        return Outcome.retry(err);
      }
      state?.setGroups(r.eniId, match.groups);
      deps.metrics.groupsUpdated('ok');
      deps.events.normal(
        eventTarget('Pod', pod),
        REASON_SECURITY_GROUPS_UPDATED,
        `Security groups of branch ENI ${r.eniId} updated in place from [${before.join(' ')}] to [${match.groups.join(' ')}] (policies ${match.matchedPolicies.join(', ')})`,
      );
      deps.logger.info({ pod: objectKey(pod), eniId: r.eniId, from: before, to: match.groups }, 'branch ENI security groups updated in place');
    }
    memo.announced = match.groups.join(' ');
    return Outcome.done();
  }

  /** ENIs of an incarnation of `key` that is gone (deleted, replaced under the same name) or finished. */
  private releaseGoneIncarnations(key: string, pod: V1Pod | undefined): void {
    const uid = pod?.metadata?.uid;
    for (const h of this.deps.book.holders(key)) {
      if (h.uid === uid && pod && !isTerminal(pod)) continue;
      const { name, namespace } = splitKey(key);
      const items = this.deps.releaser.releasePod({ uid: h.uid, namespace: namespace ?? '', name }, h.nodeName);
      if (items.length > 0) this.deps.logger.info({ pod: key, uid: h.uid, enis: items.map((i) => i.eniId) }, 'pod gone or finished: branch ENIs handed to cooldown');
      if (h.uid !== uid) this.memos.delete(h.uid);
    }
    this.memos.forgetOthers(key, pod && !isTerminal(pod) ? uid : undefined);
  }

  /** The pod's groups now, with the events that say what applies; undefined when the pod should not get an ENI. */
  /**
   * The pod's groups at allocation time; `unmatched` is the Warning to give when no policy selects
   * it (it then gets the trunk's groups, as upstream gives the instance's). Undefined: no ENI now.
   */
  private resolveGroups(pod: V1Pod, trunk: TrunkInfo): { groups: string[]; unmatched?: string } | undefined {
    const { deps } = this;
    const facts = podFacts(pod);
    const policies = deps.policies(facts.namespace);
    const sa = serviceAccountOf(facts);
    const saLabels = needsServiceAccountLabels({ pod: facts, policies }) ? deps.serviceAccountLabels(facts.namespace, sa) : undefined;
    const match = matchSecurityGroups({ pod: facts, policies, serviceAccountLabels: saLabels, resolveGroups: (p) => deps.resolvePolicyGroups(p) });
    for (const bad of match.invalidPolicies) {
      deps.events.warning(eventTarget('Pod', pod), REASON_INVALID_SECURITY_GROUP_POLICY, `SecurityGroupPolicy ${facts.namespace}/${bad.name} is invalid and was ignored: ${bad.errors.join('; ')}`);
    }
    if (match.unresolvedPolicies.length > 0) {
      // Never an ENI with part of the pod's groups: wait until the policy's groups resolve (a catalog
      // or policy change enqueues the pod again). No EC2 call is made for it meanwhile.
      const why = match.unresolvedPolicies.map((u) => `SecurityGroupPolicy ${facts.namespace}/${u.name}: ${u.message}`).join('; ');
      deps.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(`${why}; the pod waits for its branch ENI until then`));
      return undefined;
    }
    if (match.groups.length > 0) return { groups: match.groups };
    const why =
      match.undecidedWithoutServiceAccount.length > 0
        ? `SecurityGroupPolicy ${match.undecidedWithoutServiceAccount.join(', ')} selects by ServiceAccount labels and ServiceAccount ${facts.namespace}/${sa} was not found`
        : `no SecurityGroupPolicy in namespace ${facts.namespace} selects this pod`;
    const unmatched = `${why}; the pod requests ${RESOURCE_POD_ENI} so it gets a branch ENI with the node's trunk security groups [${trunk.defaultSecurityGroups.join(' ')}]. Create or fix a SecurityGroupPolicy if it needs others`;
    if (trunk.defaultSecurityGroups.length === 0) {
      deps.events.warning(
        eventTarget('Pod', pod),
        REASON_SECURITY_GROUP_REQUESTED,
        `${why}; the pod requests ${RESOURCE_POD_ENI} but the node's trunk has no security groups to fall back on, so no branch ENI is made. Create or fix a SecurityGroupPolicy that selects it`,
      );
      return undefined;
    }
    return { groups: [...trunk.defaultSecurityGroups], unmatched };
  }

  private atCapacity(pod: V1Pod, key: string, state: NodeBranchState): ReconcileOutcome {
    const c = state.counts();
    const msg =
      `trunk ${state.trunkEniId} on node ${state.nodeName} has no free branch ENI: ${c.active + c.reserved} in use and ` +
      `${c.cooling} cooling down of ${state.branchLimit}; retrying as soon as a cooling ENI is deleted`;
    this.deps.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(msg));
    this.deps.metrics.allocationFailure('capacity');
    this.deps.capacity.wait(state.nodeName, key);
    return Outcome.requeueAfter(this.deps.capacityRecheckMs ?? 30_000);
  }

  private async allocationFailed(pod: V1Pod, target: AllocationTarget, failure: StepFailure): Promise<ReconcileOutcome> {
    const { deps } = this;
    const { err } = failure;
    rollBackFailure(this.alloc, target, failure);
    // A retired token is written to the pod now, so that a restart does not send it again.
    await saveAttempt(this.alloc.saveAttempt, target).catch((e: unknown) => deps.logger.warn({ pod: objectKey(pod), err: messageOf(e) }, 'could not record the ClientToken attempt on the pod; the next create writes it first'));
    const cause = err instanceof Error ? err.message : String(err);
    deps.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ALLOCATION_FAILED, messageBranchAllocationFailed(cause));
    const memo = target.memo;
    const waited = memo.firstSeenScheduled !== undefined ? deps.now() - memo.firstSeenScheduled : 0;
    if (err instanceof BranchCreateError && err.class === 'throttled' && waited > THROTTLED_WARNING_AFTER_MS) {
      deps.events.warning(
        eventTarget('Pod', pod),
        REASON_EC2_THROTTLED,
        `EC2 has been throttling the controller (RequestLimitExceeded) for ${Math.round(waited / 1000)}s while this pod waits for its branch ENI. ` +
          `Fix: reduce other EC2 API callers in the account and Region, or ask AWS for higher EC2 API rate limits and raise ${CONFIG_KEY_ACCOUNT_SHARE} in ${CNI_CONFIGMAP_NAMESPACE}/${CNI_CONFIGMAP_NAME}`,
      );
    }
    deps.logger.warn({ pod: objectKey(pod), err: cause }, 'branch ENI allocation failed; retrying with backoff');
    return outcomeOf(err);
  }

  private async annotate(pod: V1Pod, key: string, uid: string, trunk: TrunkInfo, records: readonly BranchRecord[]): Promise<ReconcileOutcome> {
    const { deps } = this;
    const entries: PodEniEntry[] = records.map((r) => ({
      eniId: r.eniId,
      ifAddress: r.macAddress ?? '',
      privateIp: r.privateIp ?? '',
      vlanId: r.vlanId,
      subnetCidr: trunk.subnetCidr,
      ...(trunk.subnetV6Cidr ? { subnetV6Cidr: trunk.subnetV6Cidr } : {}),
      // EC2's AssociateTrunkInterface answer, as upstream writes it (contract §3); absent for an ENI adopted without one.
      ...(r.associationId ? { associationID: r.associationId } : {}),
    }));
    let json: string;
    try {
      json = encodePodEniAnnotation(entries);
    } catch (err) {
      // Adopted ENIs rebuilt without MAC/IP cannot be described to the CNI: replace them.
      deps.releaser.releasePod(podRef(pod), trunk.nodeName, true);
      return outcomeOf(err);
    }
    const { namespace, name } = splitKey(key);
    try {
      // metadata.uid makes the patch apply only to the incarnation the ENIs were made for.
      await deps.patchPod(namespace ?? '', name, { metadata: { uid, annotations: { [ANNOTATION_POD_ENI]: json } } });
    } catch (err) {
      const status = statusOf(err);
      if (isNotFound(err) || isConflict(err) || status === 422) {
        // Gone, or replaced by a new pod with the same name: the CNI never saw these ENIs.
        deps.releaser.releasePod(podRef(pod), trunk.nodeName, true);
        deps.logger.info({ pod: key, uid, status }, 'pod gone before its annotation; branch ENIs released');
        return Outcome.done();
      }
      deps.metrics.allocationFailure('annotate');
      deps.events.warning(eventTarget('Pod', pod), REASON_BRANCH_ENI_ANNOTATION_FAILED, messageBranchAnnotationFailed(messageOf(err)));
      return outcomeOf(err);
    }
    deps.events.normal(eventTarget('Pod', pod), REASON_RESOURCE_ALLOCATED, messageResourceAllocated(json));
    const memo = this.memos.get(uid);
    if (memo) memo.annotated = json;
    const scheduledAt = scheduledTime(pod) ?? memo?.firstSeenScheduled;
    if (scheduledAt !== undefined) deps.metrics.timeToAnnotation((deps.now() - scheduledAt) / 1000);
    const totals = deps.book.totals();
    deps.metrics.branches(totals.active, totals.cooling);
    deps.logger.info({ pod: key, enis: records.map((r) => r.eniId) }, 'branch ENIs allocated');
    return Outcome.done();
  }

  /** A pod a policy selects that did not request a branch ENI gets one Warning (the webhook was bypassed). */
  private backstop(pod: V1Pod, uid: string): void {
    const { deps } = this;
    const facts = podFacts(pod);
    if (facts.hostNetwork) return;
    if (this.memos.get(uid)?.backstopWarned) return;
    const policies = deps.policies(facts.namespace);
    if (policies.length === 0) return;
    const message = missingResourceWarning({
      pod: facts,
      requested: 0,
      phase: pod.status?.phase,
      annotations: pod.metadata?.annotations,
      policies,
      serviceAccountLabels: deps.serviceAccountLabels(facts.namespace, serviceAccountOf(facts)),
    });
    if (!message) return;
    this.memos.of(uid, objectKey(pod)).backstopWarned = true;
    deps.metrics.missingResource(facts.namespace);
    deps.events.warning(eventTarget('Pod', pod), REASON_MISSING_POD_ENI_RESOURCE, message);
    deps.logger.warn({ pod: objectKey(pod) }, 'pod matches a SecurityGroupPolicy but has no pod-eni request');
  }
}
