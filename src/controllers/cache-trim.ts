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

// ---- Sharing what pods repeat. At 100,000 pods the trimmed cache was still ~2 KiB a pod, a third
// of it strings (heap snapshot in docs/tuning.md): every pod carried its own copy of its namespace,
// phase, ServiceAccount and labels, although the pods of one workload have identical label sets.
// Cached objects are never modified (the informer hands the same object to every reader), so equal
// strings and equal label maps can be one object. The pools only grow with distinct values; they are
// capped so that a cluster with unbounded distinct values (a label per pod) stops sharing rather
// than holding every value forever.
const POOL_LIMIT = 100_000;
const strings = new Map<string, string>();
const labelSets = new Map<string, Readonly<Record<string, string>>>();

/** One shared copy of a short string that many objects repeat. */
export function intern(s: string): string {
  if (s.length > 128) return s;
  const had = strings.get(s);
  if (had !== undefined) return had;
  if (strings.size < POOL_LIMIT) strings.set(s, s);
  return s;
}

/** One shared, frozen copy of a label map (pods of a workload share theirs). */
export function sharedLabels(labels: Record<string, string>): Readonly<Record<string, string>> {
  const keys = Object.keys(labels).sort();
  const id = JSON.stringify(keys.map((k) => [k, labels[k]]));
  const had = labelSets.get(id);
  if (had) return had;
  const copy: Record<string, string> = {};
  for (const k of keys) copy[intern(k)] = intern(labels[k] ?? '');
  const frozen = Object.freeze(copy);
  if (labelSets.size < POOL_LIMIT) labelSets.set(id, frozen);
  return frozen;
}

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
    return { name: intern(c.name), ...(r ? { resources: r } : {}) };
  });
  return any ? { list, any } : { list: [], any };
}

function meta(md: V1ObjectMeta | undefined, keepAnnotations: boolean): V1ObjectMeta {
  const m = md ?? {};
  const podEni = m.annotations?.[ANNOTATION_POD_ENI];
  return {
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.namespace !== undefined ? { namespace: intern(m.namespace) } : {}),
    ...(m.uid !== undefined ? { uid: m.uid } : {}),
    ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.labels ? { labels: sharedLabels(m.labels) } : {}),
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
    ...(spec?.serviceAccountName ? { serviceAccountName: intern(spec.serviceAccountName) } : {}),
    ...(spec?.hostNetwork ? { hostNetwork: true } : {}),
  };
  const condition: V1PodCondition | undefined = scheduled
    ? { type: scheduled.type, status: scheduled.status, ...(scheduled.lastTransitionTime ? { lastTransitionTime: scheduled.lastTransitionTime } : {}) }
    : undefined;
  return {
    ...(pod.apiVersion ? { apiVersion: intern(pod.apiVersion) } : {}),
    ...(pod.kind ? { kind: intern(pod.kind) } : {}),
    metadata: meta(pod.metadata, false),
    spec: trimmedSpec,
    status: {
      ...(pod.status?.phase ? { phase: intern(pod.status.phase) } : {}),
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
