// What the controller keeps true on each eligible node's CNINode (contract §2): it exists, it is
// owned by its Node (so deleting the Node deletes it), it carries the node's OS label, our cleanup
// finalizer and the cluster/instance tags. Pure: computes the object to create or the merge patch
// that adds what is missing, never removing what others (the VPC CNI) wrote.
import type { V1Node } from '@kubernetes/client-node';
import type { OwnerReference } from '../../apis/object-meta.js';
import { CNINODE_API_VERSION, type CNINode } from '../../apis/cninode.js';
import { CNINODE_FINALIZER, CNINODE_KIND, LABEL_OS, OS_LINUX, TAG_CLUSTER_NAME, TAG_INSTANCE_ID } from '../../apis/constants.js';

export interface CniNodeWants {
  node: V1Node;
  clusterName: string;
  instanceId: string;
}

function ownerRef(node: V1Node): OwnerReference {
  return { apiVersion: 'v1', kind: 'Node', name: node.metadata?.name ?? '', uid: node.metadata?.uid ?? '' };
}

function wantedTags(w: CniNodeWants): Record<string, string> {
  return { [TAG_CLUSTER_NAME]: w.clusterName, [TAG_INSTANCE_ID]: w.instanceId };
}

function wantedLabels(w: CniNodeWants): Record<string, string> {
  return { [LABEL_OS]: w.node.metadata?.labels?.[LABEL_OS] ?? OS_LINUX };
}

/** The CNINode to create for a node that has none. */
export function newCniNode(w: CniNodeWants): CNINode & { metadata: { ownerReferences: OwnerReference[] } } {
  return {
    apiVersion: CNINODE_API_VERSION,
    kind: CNINODE_KIND,
    metadata: {
      name: w.node.metadata?.name ?? '',
      labels: wantedLabels(w),
      finalizers: [CNINODE_FINALIZER],
      ownerReferences: [ownerRef(w.node)],
    },
    spec: { tags: wantedTags(w) },
  };
}

type ExistingCniNode = Pick<CNINode, 'spec'> & {
  metadata?: { resourceVersion?: string; labels?: Record<string, string>; finalizers?: string[]; ownerReferences?: OwnerReference[]; deletionTimestamp?: unknown };
};

/**
 * The merge patch that brings an existing CNINode up to what the controller needs, or undefined
 * when nothing is missing. Lists (finalizers, ownerReferences) are replaced whole by a merge
 * patch, so the patch carries the existing entries plus ours, and the resourceVersion so that a
 * concurrent change makes it fail (409) instead of being overwritten.
 */
export function cniNodePatch(existing: ExistingCniNode, w: CniNodeWants): object | undefined {
  const meta = existing.metadata ?? {};
  // Never add a finalizer to an object being deleted (the API server refuses it anyway).
  if (meta.deletionTimestamp) return undefined;
  const patchMeta: Record<string, unknown> = {};
  const patch: Record<string, unknown> = {};
  const labels = wantedLabels(w);
  const missingLabels = Object.fromEntries(Object.entries(labels).filter(([k, v]) => meta.labels?.[k] !== v));
  if (Object.keys(missingLabels).length > 0) patchMeta.labels = missingLabels;
  const finalizers = meta.finalizers ?? [];
  if (!finalizers.includes(CNINODE_FINALIZER)) patchMeta.finalizers = [...finalizers, CNINODE_FINALIZER];
  const owners = meta.ownerReferences ?? [];
  const uid = w.node.metadata?.uid;
  if (uid && !owners.some((o) => o.uid === uid)) {
    // An owner reference to an older Node of the same name is stale: replace it.
    patchMeta.ownerReferences = [...owners.filter((o) => !(o.kind === 'Node' && o.name === w.node.metadata?.name)), ownerRef(w.node)];
  }
  const tags = wantedTags(w);
  const missingTags = Object.fromEntries(Object.entries(tags).filter(([k, v]) => existing.spec?.tags?.[k] !== v));
  if (Object.keys(missingTags).length > 0) patch.spec = { tags: missingTags };
  if (Object.keys(patchMeta).length === 0 && patch.spec === undefined) return undefined;
  patch.metadata = { ...patchMeta, ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}) };
  return patch;
}
