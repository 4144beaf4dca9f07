// What the controller keeps of each cached object: only the fields it reads. Applied by the
// informers before anything is stored (list pages and watch events alike), so a cluster of 100,000
// pods costs the controller a few hundred bytes per pod instead of the several KiB of a full pod
// (managedFields, container specs, status). The upstream controller made the same cut (its PR 631:
// 240 MB → 25 MB).
//
// Each trimmed object keeps metadata.resourceVersion: client-node's cache compares it to tell an
// update from a repeat.
//
// Who reads what (keep this in step when a reader starts using another field):
// - pods: the pod side (pod-side.ts, rebuild.ts, gc.ts, backstop.ts) and the policy matcher read
//   name, namespace, uid, labels, the pod-eni annotation, deletionTimestamp, spec.nodeName,
//   serviceAccountName, hostNetwork, the pod-eni requests/limits of (init) containers,
//   status.phase and the PodScheduled condition's time. A pod that neither requests pod-eni nor
//   carries the annotation only ever needs what the backstop's policy match reads (no node, no
//   containers, no conditions).
// - nodes: the node reconciler and node-watch read name, uid, labels, annotations,
//   deletionTimestamp, spec.providerID and the pod-eni capacity.
// - CNINodes: everything but managedFields (spec.features/tags, finalizers, ownerReferences).
import type { V1Container, V1Node, V1ObjectMeta, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI, RESOURCE_POD_ENI } from '../apis/constants.js';
import type { CNINodeObject } from './informers.js';

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined;

function podEniResources(r: Resources): V1Container['resources'] | undefined {
  const req = r?.requests?.[RESOURCE_POD_ENI];
  const lim = r?.limits?.[RESOURCE_POD_ENI];
  if (req === undefined && lim === undefined) return undefined;
  return {
    ...(req !== undefined ? { requests: { [RESOURCE_POD_ENI]: req as string } } : {}),
    ...(lim !== undefined ? { limits: { [RESOURCE_POD_ENI]: lim as string } } : {}),
  };
}

/** The containers with only their pod-eni resources; [] when none asks for pod-eni. Positions are kept (error messages name them). */
function trimContainers(cs: readonly V1Container[] | undefined): { list: V1Container[]; any: boolean } {
  let any = false;
  const list = (cs ?? []).map((c) => {
    const r = podEniResources(c.resources);
    if (r) any = true;
    return { name: c.name, ...(r ? { resources: r } : {}) };
  });
  return any ? { list, any } : { list: [], any };
}

function meta(md: V1ObjectMeta | undefined, keepAnnotations: boolean): V1ObjectMeta {
  const m = md ?? {};
  const podEni = m.annotations?.[ANNOTATION_POD_ENI];
  return {
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
    ...(m.uid !== undefined ? { uid: m.uid } : {}),
    ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.labels ? { labels: m.labels } : {}),
    ...(keepAnnotations && m.annotations ? { annotations: m.annotations } : podEni !== undefined ? { annotations: { [ANNOTATION_POD_ENI]: podEni } } : {}),
    ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
  };
}

export function trimPod(pod: V1Pod): V1Pod {
  const spec = pod.spec;
  const containers = trimContainers(spec?.containers);
  const init = trimContainers(spec?.initContainers);
  const annotated = pod.metadata?.annotations?.[ANNOTATION_POD_ENI] !== undefined;
  const branchPod = containers.any || init.any || annotated;
  const scheduled = branchPod ? pod.status?.conditions?.find((c) => c.type === 'PodScheduled') : undefined;
  const trimmedSpec = {
    containers: containers.list,
    ...(init.any ? { initContainers: init.list } : {}),
    ...(branchPod && spec?.nodeName ? { nodeName: spec.nodeName } : {}),
    ...(spec?.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(spec?.hostNetwork ? { hostNetwork: true } : {}),
  };
  const condition: V1PodCondition | undefined = scheduled
    ? { type: scheduled.type, status: scheduled.status, ...(scheduled.lastTransitionTime ? { lastTransitionTime: scheduled.lastTransitionTime } : {}) }
    : undefined;
  return {
    ...(pod.apiVersion ? { apiVersion: pod.apiVersion } : {}),
    ...(pod.kind ? { kind: pod.kind } : {}),
    metadata: meta(pod.metadata, false),
    spec: trimmedSpec,
    status: {
      ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
      ...(condition ? { conditions: [condition] } : {}),
    },
  };
}

export function trimNode(node: V1Node): V1Node {
  const podEni = (node.status?.capacity)?.[RESOURCE_POD_ENI];
  return {
    ...(node.apiVersion ? { apiVersion: node.apiVersion } : {}),
    ...(node.kind ? { kind: node.kind } : {}),
    metadata: meta(node.metadata, true),
    spec: node.spec?.providerID ? { providerID: node.spec.providerID } : {},
    status: podEni !== undefined ? { capacity: { [RESOURCE_POD_ENI]: podEni } } : {},
  };
}

export function trimCniNode(cni: CNINodeObject): CNINodeObject {
  if (!cni.metadata?.managedFields) return cni;
  const { managedFields: _drop, ...metadata } = cni.metadata;
  return { ...cni, metadata };
}

/** True for a pod that may hold branch ENIs: it requests pod-eni or carries the annotation. */
export function mayHoldBranchEnis(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[ANNOTATION_POD_ENI] !== undefined) return true;
  const asks = (cs: readonly V1Container[] | undefined): boolean => (cs ?? []).some((c) => podEniResources(c.resources) !== undefined);
  return asks(pod.spec?.containers) || asks(pod.spec?.initContainers);
}
