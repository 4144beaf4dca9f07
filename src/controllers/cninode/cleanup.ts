// The CNINode finalizer `networking.k8s.aws/resource-cleanup` (contract §2): when a CNINode is
// being deleted and its Node is gone (checked against the API server, not only the cache:
// principle 5), delete the `available` ENIs this cluster owns for that instance (the controller's
// and the VPC CNI's, leftover-enis.ts), then drop the finalizer. ENIs still in use by a terminated instance (a trunk's branches while EC2 tears
// the trunk down) become available shortly; they are waited for, within a bound. A CNINode
// deleted while its Node lives only loses the finalizer, and is created afresh.
import type { V1Node } from '@kubernetes/client-node';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { isNotFound as isEc2NotFound } from '../../aws/error-classes.js';
import { CNINODE_FINALIZER, CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION, TAG_INSTANCE_ID } from '../../apis/constants.js';
import type { KubeClients } from '../../kube/client.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { SupervisedInformer } from '../../kube/informer.js';
import { mergePatchCustomObject } from '../../kube/patch.js';
import { Outcome, type ReconcileContext, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import type { CNINodeObject } from '../informers.js';
import type { CniNodeCarryOver } from './cninode-ensurer.js';
import { leftoverEniFilters, ownerInCluster } from './leftover-enis.js';

export interface CniNodeCleanupDeps {
  kube: KubeClients;
  ec2: Ec2Api;
  nodes: SupervisedInformer<V1Node>;
  cniNodes: SupervisedInformer<CNINodeObject>;
  /** ENIs of the instance are deleted only when they carry this cluster's tags. */
  clusterName: string;
  /** The cluster's VPC, when known: the describe is limited to it, as upstream's. */
  vpcId?: string;
  /** Instance of a node as the node reconciler last knew it (a CNINode without our tag). */
  instanceOf?: (nodeName: string) => string | undefined;
  /** Where a CNINode deleted by hand leaves its spec for its re-creation (cninode-ensurer.ts). */
  carryOver?: Pick<CniNodeCarryOver, 'remember'>;
  /** How long to wait for in-use ENIs of the instance to become available before giving up. Default 60 s. */
  inUseGraceMs?: number;
  now?: () => number;
}

/** Key = CNINode name (= Node name). */
export async function reconcileCniNodeCleanup(d: CniNodeCleanupDeps, name: string, rc: ReconcileContext): Promise<ReconcileOutcome> {
  const cni = d.cniNodes.get(name);
  if (!cni?.metadata?.deletionTimestamp || !(cni.metadata.finalizers ?? []).includes(CNINODE_FINALIZER)) return Outcome.done();
  const log = rc.logger.child({ cninode: name });
  const node = d.nodes.get(name);
  if (node) {
    // The Node's deletion (its CNINode is collected through the owner reference) enqueues this again.
    if (node.metadata?.deletionTimestamp) return Outcome.done();
    // Deleted by hand while its Node lives (upstream cninode_controller.go does the same): the
    // instance still runs, so no EC2 cleanup; the finalizer is dropped so the object goes, and its
    // deletion makes the node reconciler create a fresh one carrying the old features and tags.
    d.carryOver?.remember(name, node.metadata?.uid ?? '', cni.spec);
    log.info('CNINode deleted while its node lives: finalizer dropped, a new CNINode follows');
    return dropFinalizer(d, cni, log);
  }
  try {
    await d.kube.core.readNode({ name });
    return Outcome.requeueAfter(5_000); // the cache is behind: the Node still exists
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const instanceId = cni.spec?.tags?.[TAG_INSTANCE_ID] ?? d.instanceOf?.(name);
  if (instanceId) {
    const found = await d.ec2.describeNetworkInterfaces({ Filters: leftoverEniFilters(instanceId, d.vpcId) }, { priority: 'release' });
    // Only what this cluster owns, the controller's and the CNI's (leftover-enis.ts).
    const enis = found.filter((e) => ownerInCluster(e, d.clusterName) !== undefined);
    const skipped = found.length - enis.length;
    let deleted = 0;
    for (const eni of enis.filter((e) => e.Status === 'available' && e.NetworkInterfaceId)) {
      try {
        await d.ec2.deleteNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId }, { priority: 'release' });
        deleted++;
      } catch (err) {
        if (!isEc2NotFound(err)) throw err;
      }
    }
    // Branch ENIs still associated with the dying trunk become available once EC2 removes it; an
    // ENI attached to a live instance (Node deleted, instance kept) is not waited for.
    const inUse = enis.filter((e) => e.Status !== 'available' && !e.Attachment).length;
    log.info({ instanceId, deleted, inUse, otherClusters: skipped }, 'CNINode cleanup: deleted available ENIs of the instance');
    const started = Date.parse(cni.metadata.deletionTimestamp) || 0;
    const now = (d.now ?? Date.now)();
    if (inUse > 0 && now - started < (d.inUseGraceMs ?? 60_000)) return Outcome.requeueAfter(2_000);
  } else {
    log.warn('CNINode has no instance tag and the node is unknown: nothing to clean up in EC2');
  }
  return dropFinalizer(d, cni, log);
}

async function dropFinalizer(d: CniNodeCleanupDeps, cni: CNINodeObject, log: Logger): Promise<ReconcileOutcome> {
  const name = cni.metadata.name;
  const finalizers = (cni.metadata.finalizers ?? []).filter((f) => f !== CNINODE_FINALIZER);
  try {
    await mergePatchCustomObject(
      d.kube.custom,
      { group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL, name },
      { metadata: { finalizers, resourceVersion: cni.metadata.resourceVersion } },
    );
  } catch (err) {
    if (isNotFound(err)) return Outcome.done();
    if (isConflict(err)) return Outcome.requeueAfter(200);
    throw err;
  }
  log.info('CNINode finalizer removed');
  return Outcome.done();
}
