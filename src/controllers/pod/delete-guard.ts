// The last word before a branch ENI is disassociated or deleted (issue 10, item 2): whatever asked
// for it — the release after the cooldown, a GC or rebuild finding an orphan, a dropped node, a
// rollback — the ENI is only destroyed when
//   - EC2 still has it and its tags say this cluster's controller owns it (owner + cluster tags), and
//   - a fresh read of its pod from the API server (never the informer cache, which can lag behind
//     a restart or a cut watch) shows no live pod of that name naming the ENI in its annotation.
// Every decision not to delete is logged and counted (vpcrc_branch_delete_refused_total).
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI, TAG_CLUSTER_VALUE, TAG_ENI_OWNER, TAG_ENI_OWNER_VALUE, TAG_POD_NAME, TAG_POD_NAMESPACE, TAG_POD_UID, tagClusterKey } from '../../apis/constants.js';
import { isNotFound as isEc2NotFound } from '../../aws/error-classes.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { PodRef } from '../../domain/branch-state.js';
import { isNotFound } from '../../kube/errors.js';
import type { Logger } from '../../observability/logger.js';
import { tagOf } from './branch-eni-ops.js';

/** Which path asked for the deletion (a metric label). */
export type DeletePath = 'cooldown' | 'immediate' | 'orphan' | 'rollback' | 'warm';

export type DeleteVerdict =
  | { kind: 'delete' }
  /** EC2 has no such ENI: nothing to do. */
  | { kind: 'gone' }
  | { kind: 'keep'; reason: 'live-pod' | 'not-owned'; pod?: string };

export interface DeleteGuardDeps {
  ec2: Ec2Api;
  clusterName: string;
  /** The pod as the API server has it now (not the cache); rejects with a 404 ApiException when gone. */
  readPod(namespace: string, name: string): Promise<V1Pod>;
  /**
   * The pods bound to a node as the API server has them now (not the cache). A reused (warm) ENI
   * keeps the tags of the pod it was made for, so reading that pod alone cannot tell whether
   * another live pod names it: a restart that missed an annotation written just before the kill
   * would otherwise hand a live pod's ENI to a second pod.
   */
  listPodsOnNode?(nodeName: string): Promise<V1Pod[]>;
  /** Counted for every decision not to delete. */
  refused(reason: string, path: DeletePath): void;
  logger: Logger;
}

export class DeleteGuard {
  constructor(private readonly deps: DeleteGuardDeps) {}

  /**
   * A live pod on `nodeName` whose annotation names `eniId`, as the API server has it now; undefined
   * when none does (or no node lister is wired). Rejects when the API server cannot answer.
   */
  async livePodNaming(eniId: string, nodeName: string | undefined): Promise<V1Pod | undefined> {
    if (!nodeName || !this.deps.listPodsOnNode) return undefined;
    const pods = await this.deps.listPodsOnNode(nodeName);
    return pods.find((p) => {
      const phase = p.status?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed' && namesEni(p, eniId);
    });
  }

  /**
   * Whether a released ENI may be kept warm for another pod: not while a live pod names it (the
   * same check as before a delete; a refusal is counted with path "warm").
   */
  async mayKeepWarm(eniId: string, nodeName: string): Promise<{ ok: true } | { ok: false; pod: string }> {
    const live = await this.livePodNaming(eniId, nodeName);
    if (!live) return { ok: true };
    const key = `${live.metadata?.namespace}/${live.metadata?.name}`;
    this.keep(eniId, 'warm', { kind: 'keep', reason: 'live-pod', pod: key }, live.metadata?.uid);
    return { ok: false, pod: key };
  }

  /** Whether `eniId` may be destroyed now. Rejects (retry later) when EC2 or the API server cannot answer. */
  async verdict(eniId: string, pod: PodRef | undefined, path: DeletePath, nodeName?: string): Promise<DeleteVerdict> {
    let eni: NetworkInterface | undefined;
    try {
      eni = (await this.deps.ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [eniId] }, { priority: 'release' })).find((e) => e.NetworkInterfaceId === eniId);
    } catch (err) {
      if (isEc2NotFound(err)) return { kind: 'gone' };
      throw err;
    }
    if (!eni) return { kind: 'gone' };
    if (!ownedBy(eni, this.deps.clusterName)) return this.keep(eniId, path, { kind: 'keep', reason: 'not-owned' });
    // Any live pod on the node naming it (a reused ENI's tags name the pod it was made for). The
    // node's list includes the pod the release or the tags name (a pod never changes node), so
    // reading that pod as well would only repeat the question.
    if (nodeName && this.deps.listPodsOnNode) {
      const naming = await this.livePodNaming(eniId, nodeName);
      if (naming) return this.keep(eniId, path, { kind: 'keep', reason: 'live-pod', pod: `${naming.metadata?.namespace}/${naming.metadata?.name}` }, naming.metadata?.uid);
      return { kind: 'delete' };
    }
    const namespace = pod?.namespace || tagOf(eni, TAG_POD_NAMESPACE);
    const name = pod?.name || tagOf(eni, TAG_POD_NAME);
    if (!namespace || !name) return { kind: 'delete' };
    let live: V1Pod;
    try {
      live = await this.deps.readPod(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return { kind: 'delete' };
      throw err;
    }
    const phase = live.status?.phase;
    const running = phase !== 'Succeeded' && phase !== 'Failed';
    if (running && namesEni(live, eniId)) {
      return this.keep(eniId, path, { kind: 'keep', reason: 'live-pod', pod: `${namespace}/${name}` }, live.metadata?.uid ?? pod?.uid ?? tagOf(eni, TAG_POD_UID));
    }
    return { kind: 'delete' };
  }

  private keep(eniId: string, path: DeletePath, v: DeleteVerdict & { kind: 'keep' }, uid?: string): DeleteVerdict {
    this.deps.refused(v.reason, path);
    this.deps.logger.warn(
      { eniId, path, reason: v.reason, ...(v.pod ? { pod: v.pod, uid } : {}) },
      v.reason === 'live-pod' ? 'branch ENI not deleted: a live pod names it in its annotation (API server read)' : 'branch ENI not deleted: its tags do not say this cluster owns it',
    );
    return v;
  }
}

/** The owner and cluster tags this controller puts on every ENI it makes. */
export function ownedBy(eni: NetworkInterface, clusterName: string): boolean {
  return tagOf(eni, TAG_ENI_OWNER) === TAG_ENI_OWNER_VALUE && tagOf(eni, tagClusterKey(clusterName)) === TAG_CLUSTER_VALUE;
}

/** Whether the pod's pod-eni annotation names the ENI (an unreadable annotation is searched as text). */
export function namesEni(pod: V1Pod, eniId: string): boolean {
  const raw = pod.metadata?.annotations?.[ANNOTATION_POD_ENI];
  return raw !== undefined && raw.includes(`"${eniId}"`);
}
