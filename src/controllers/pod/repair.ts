// The repair pass (issue 10, item 3): prevention is not enough — after every restart and on a
// period, every live annotated pod is checked against EC2, and what differs is repaired. The pod
// reconcile returns early for annotated pods, the rebuild starts from the ENIs found in EC2 and the
// GC skips annotated ENIs, so without this pass an annotation naming a missing or unassociated ENI
// would stay until the pod is deleted.
//
// One pass: list the live annotated pods from the cache, then take ONE paged, cluster-wide look at
// EC2 (our branch ENIs by owner + cluster tags, every trunk association). Per annotated ENI:
//   ok            it exists, is ours, is associated with the pod's node's trunk on the annotated
//                 VLAN, and has the groups we last gave it;
//   wrong-groups  → ModifyNetworkInterfaceAttribute back to the groups we gave it;
//   unassociated  (and the VLAN is free on the trunk) → AssociateTrunkInterface again, with a
//                 token of its own (never a replay of the dissolved association);
//   missing / misassociated / unassociated on a VLAN now taken → allocate anew: the pod's
//                 annotation is removed (a merge patch bound to its UID), the old ENI (if any) is
//                 released through the delete guard, the pod is queued, and its reconcile creates
//                 and annotates a new ENI. A Warning on the pod says its network changed and that
//                 restarting the pod is what makes the CNI use the new ENI.
// Before acting, the finding is confirmed with a targeted describe (branch-check.ts) and a fresh
// read of the pod from the API server (the cache can lag): a pod that is gone, finished, or whose
// annotation changed is left alone.
import type { NetworkInterface, TrunkInterfaceAssociation } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI } from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { BranchBook } from '../../domain/branch-book.js';
import { groupSetKey } from '../../domain/branch-state.js';
import { decodePodEniAnnotation, type PodEniEntry } from '../../domain/pod-eni-annotation.js';
import { isNotFound } from '../../kube/errors.js';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import { objectKey } from '../../kube/informer.js';
import type { Logger } from '../../observability/logger.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { ANNOTATION_BRANCH_ATTEMPT, attemptOf, wantedAttempt } from './attempts.js';
import { checkBranchSettled } from './branch-check.js';
import { associatePurpose, describeClusterBranches, type ClusterBranches } from './branch-eni-ops.js';
import type { BranchReleaser } from './branch-releaser.js';
import type { PodMemos } from './pod-memos.js';
import { isTerminal, podRef } from './rebuild.js';

/** Ours (not in the EKS contract): the Warning on a pod whose branch ENI was replaced. */
export const REASON_BRANCH_ENI_REPAIRED = 'BranchENIRepaired';

export type RepairProblem = 'wrong-groups' | 'unassociated' | 'missing' | 'misassociated';

export interface RepairDeps {
  ec2: Ec2Api;
  clusterName: string;
  /** The cluster-wide describe (shared with the restart snapshot by the pod side); default its own. */
  describeBranches?: () => Promise<ClusterBranches>;
  book: BranchBook;
  /** Pods from the cache. */
  pods(): V1Pod[];
  /** The pod as the API server has it now; rejects with a 404 ApiException when gone. */
  readPod(namespace: string, name: string): Promise<V1Pod>;
  patchPod(namespace: string, name: string, body: object): Promise<unknown>;
  trunk(nodeName: string): TrunkInfo | undefined;
  /** Make sure the node's branch state is rebuilt before it is compared (node-states.ts). */
  ensureNode(trunk: TrunkInfo): Promise<unknown>;
  releaser: Pick<BranchReleaser, 'releaseEni'>;
  /** The pod reconciler's memos (its "annotated already" must be forgotten for a new allocation). */
  memos: Pick<PodMemos, 'get'>;
  enqueuePod(key: string): void;
  events: Pick<EventRecorder, 'warning' | 'normal'>;
  repaired(problem: RepairProblem): void;
  /** How long a bad finding is given to settle before it is acted on (EC2 reads lag). Default 1 s. */
  settleMs?: number;
  now(): number;
  logger: Logger;
}

export interface RepairReport {
  pods: number;
  checked: number;
  repaired: { pod: string; eniId: string; problem: RepairProblem }[];
}

interface Finding {
  pod: V1Pod;
  trunk: TrunkInfo;
  entry: PodEniEntry;
  problem: RepairProblem;
}

/** One pass over every live annotated pod. Errors of one pod are logged; the pass goes on. */
export async function runRepairPass(deps: RepairDeps): Promise<RepairReport> {
  const annotated = deps.pods().filter((p) => p.metadata?.annotations?.[ANNOTATION_POD_ENI] && !isTerminal(p) && !p.metadata?.deletionTimestamp && p.spec?.nodeName);
  const report: RepairReport = { pods: annotated.length, checked: 0, repaired: [] };
  // No pod on a published trunk (right after a restart, before the node side publishes any): nothing
  // could be checked, so no cluster-wide look; the pass run when trunks are published looks.
  if (!annotated.some((p) => deps.trunk(p.spec?.nodeName as string))) return report;
  // The same cluster-wide look as the restart snapshot (branch-snapshot.ts).
  const { enis, associations: assocs } = await (deps.describeBranches ?? (() => describeClusterBranches(deps.ec2, deps.clusterName)))();
  const eniById = new Map<string, NetworkInterface>(enis.filter((e) => e.NetworkInterfaceId).map((e) => [e.NetworkInterfaceId as string, e]));
  const assocByBranch = new Map<string, TrunkInterfaceAssociation>();
  const vlansTaken = new Set<string>();
  for (const a of assocs) {
    if (a.BranchInterfaceId) assocByBranch.set(a.BranchInterfaceId, a);
    vlansTaken.add(`${a.TrunkInterfaceId}/${a.VlanId}`);
  }
  const findings: Finding[] = [];
  for (const pod of annotated) {
    const trunk = deps.trunk(pod.spec?.nodeName as string);
    if (!trunk) continue; // no trunk yet: the node side's business; the pod is looked at when it is ready
    const decoded = decodePodEniAnnotation(pod.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? '');
    if (!decoded.ok) continue;
    await deps.ensureNode(trunk);
    const state = deps.book.node(trunk.nodeName);
    for (const entry of decoded.value) {
      report.checked++;
      const eni = eniById.get(entry.eniId);
      const assoc = assocByBranch.get(entry.eniId);
      let problem: RepairProblem | undefined;
      if (!eni) problem = 'missing';
      else if (!assoc) problem = vlansTaken.has(`${trunk.trunkEniId}/${entry.vlanId}`) ? 'misassociated' : 'unassociated';
      else if (assoc.TrunkInterfaceId !== trunk.trunkEniId || assoc.VlanId !== entry.vlanId) problem = 'misassociated';
      else {
        const want = state?.get(entry.eniId)?.groups;
        const have = (eni.Groups ?? []).map((g) => g.GroupId ?? '');
        if (want && groupSetKey(want) !== groupSetKey(have)) problem = 'wrong-groups';
      }
      if (problem) findings.push({ pod, trunk, entry, problem });
    }
  }
  for (const f of findings) {
    try {
      if (await repairOne(deps, f)) {
        report.repaired.push({ pod: objectKey(f.pod), eniId: f.entry.eniId, problem: f.problem });
        deps.repaired(f.problem);
      }
    } catch (err) {
      deps.logger.warn({ pod: objectKey(f.pod), eniId: f.entry.eniId, problem: f.problem, err: (err as Error).message }, 'branch ENI repair failed; the next pass tries again');
    }
  }
  if (report.repaired.length > 0 || findings.length > 0) deps.logger.info({ pods: report.pods, checked: report.checked, findings: findings.length, repaired: report.repaired }, 'branch ENI repair pass');
  return report;
}

/** Confirm and repair one finding; false when it turned out to be fine or no longer ours to fix. */
async function repairOne(deps: RepairDeps, f: Finding): Promise<boolean> {
  const { pod, trunk, entry } = f;
  const key = objectKey(pod);
  const { namespace = '', name = '' } = pod.metadata ?? {};
  // The API server, not the cache: still this incarnation, running, with this annotation?
  let live: V1Pod;
  try {
    live = await deps.readPod(namespace, name);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  if (live.metadata?.uid !== pod.metadata?.uid || isTerminal(live) || live.metadata?.deletionTimestamp) return false;
  if (live.metadata?.annotations?.[ANNOTATION_POD_ENI] !== pod.metadata?.annotations?.[ANNOTATION_POD_ENI]) return false;
  const state = deps.book.node(trunk.nodeName);
  if (f.problem === 'wrong-groups') {
    const want = state?.get(entry.eniId)?.groups;
    if (!want) return false;
    await deps.ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: entry.eniId, Groups: [...want] }, { priority: 'background' });
    deps.events.normal(eventTarget('Pod', live), REASON_BRANCH_ENI_REPAIRED, `Security groups of branch ENI ${entry.eniId} had changed in EC2; set back to [${want.join(' ')}]`);
    deps.logger.warn({ pod: key, eniId: entry.eniId, groups: want }, 'repair: branch ENI groups set back');
    return true;
  }
  const check = await checkBranchSettled(deps.ec2, entry.eniId, trunk.trunkEniId, entry.vlanId, deps.settleMs);
  if (check.kind === 'ok') return false;
  // The look said missing but the ENI exists: the look may predate it (shared with the restart
  // snapshot while in flight, or EC2's lists lag). Never replace an ENI that exists on that word;
  // the next pass looks again.
  if (f.problem === 'missing' && check.kind !== 'gone') return false;
  if (check.kind === 'unassociated' && !check.elsewhere && f.problem === 'unassociated') {
    const a = await deps.ec2.associateTrunkInterface(
      { BranchInterfaceId: entry.eniId, TrunkInterfaceId: trunk.trunkEniId, VlanId: entry.vlanId },
      { priority: 'pod-start', purpose: associatePurpose(deps.clusterName, entry.eniId, trunk.trunkEniId, entry.vlanId, `repair.${deps.now()}`) },
    );
    if (a.AssociationId) state?.setAssociation(entry.eniId, a.AssociationId);
    deps.events.normal(eventTarget('Pod', live), REASON_BRANCH_ENI_REPAIRED, `Branch ENI ${entry.eniId} was not associated with trunk ${trunk.trunkEniId}; associated again on VLAN ${entry.vlanId}`);
    deps.logger.warn({ pod: key, eniId: entry.eniId, vlanId: entry.vlanId }, 'repair: branch ENI associated again');
    return true;
  }
  // Missing, or cannot be put back where the annotation says: allocate anew, with a new ClientToken
  // generation (the old token would be answered with the old ENI).
  const memo = deps.memos.get(live.metadata?.uid ?? '');
  const attempt = (memo ? wantedAttempt(memo, attemptOf(live)) : attemptOf(live)) + 1;
  await deps.patchPod(namespace, name, { metadata: { uid: live.metadata?.uid, annotations: { [ANNOTATION_POD_ENI]: null, [ANNOTATION_BRANCH_ATTEMPT]: String(attempt) } } });
  if (memo) {
    delete memo.annotated;
    for (const i of memo.generations.keys()) memo.generations.set(i, attempt);
    memo.generations.set(0, attempt);
  }
  const rec = state?.get(entry.eniId);
  if (check.kind === 'gone') {
    deps.book.gone(entry.eniId, trunk.nodeName);
  } else if (rec) {
    deps.releaser.releaseEni({ eniId: entry.eniId, nodeName: trunk.nodeName, pod: podRef(live), since: deps.now(), immediate: true, orphan: false, ...(rec.associationId ? { associationId: rec.associationId } : {}) });
  }
  // The pod's other ENIs of this annotation stay its own; its reconcile adds what is missing.
  deps.enqueuePod(key);
  const why = check.kind === 'gone' ? 'no longer exists in EC2' : `is not associated with trunk ${trunk.trunkEniId} on VLAN ${entry.vlanId}`;
  deps.events.warning(
    eventTarget('Pod', live),
    REASON_BRANCH_ENI_REPAIRED,
    `Branch ENI ${entry.eniId} named in this pod's ${ANNOTATION_POD_ENI} annotation ${why}; a new branch ENI is being allocated and annotated. ` +
      `The running pod keeps its old network setup until it is restarted: delete the pod (or roll out its workload) to use the new ENI`,
  );
  deps.logger.warn({ pod: key, eniId: entry.eniId, problem: f.problem, check: check.kind }, 'repair: annotation removed; a new branch ENI will be allocated');
  return true;
}
