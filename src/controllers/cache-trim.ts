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
const containerLists = new Map<string, V1Container[]>();

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

// ---- Building the trimmed objects. They are built by assigning properties to an empty literal, never
// by spreading conditional object literals: V8 gives an object made by such a spread (`{ ...(a ? { a }
// : {}), ... }`) a hidden class of its own once the spread site has seen enough shapes, so every
// cached pod carried two private hidden classes, their descriptor arrays and property arrays (about
// 500 bytes a pod, measured). Objects grown by assignment in a fixed order share one class chain.

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined;

/** The containers list of every pod that asks nothing of pod-eni (one shared, frozen array). */
const NO_CONTAINERS: V1Container[] = Object.freeze([]) as unknown as V1Container[];

function podEniResources(r: Resources): V1Container['resources'] | undefined {
  const req = r?.requests?.[RESOURCE_POD_ENI];
  const lim = r?.limits?.[RESOURCE_POD_ENI];
  if (req === undefined && lim === undefined) return undefined;
  const out: NonNullable<V1Container['resources']> = {};
  if (req !== undefined) out.requests = { [RESOURCE_POD_ENI]: typeof req === 'string' ? intern(req) : (req as string) };
  if (lim !== undefined) out.limits = { [RESOURCE_POD_ENI]: typeof lim === 'string' ? intern(lim) : (lim as string) };
  return out;
}

/**
 * The containers with only their pod-eni resources; [] when none asks for pod-eni. Positions are
 * kept (error messages name them). The pods of a workload have equal lists: one shared, frozen copy.
 */
function trimContainers(cs: readonly V1Container[] | undefined): { list: V1Container[]; any: boolean } {
  let any = false;
  const list = (cs ?? []).map((c) => {
    const r = podEniResources(c.resources);
    const out: V1Container = { name: intern(c.name) };
    if (r) {
      out.resources = r;
      any = true;
    }
    return out;
  });
  if (!any) return { list: NO_CONTAINERS, any };
  const id = JSON.stringify(list);
  const had = containerLists.get(id);
  if (had) return { list: had, any };
  const frozen = deepFreeze(list);
  if (containerLists.size < POOL_LIMIT) containerLists.set(id, frozen);
  return { list: frozen, any };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function meta(md: V1ObjectMeta | undefined, keepAnnotations: boolean): V1ObjectMeta {
  const m = md ?? {};
  const podEni = m.annotations?.[ANNOTATION_POD_ENI];
  // One literal with the fields every object has (held in the object itself; assigned one by one,
  // the fifth would spill into a separate property array), the rare ones assigned after it. A field
  // the object lacks is present as undefined (readers use ?. and JSON drops it).
  const out: V1ObjectMeta = {
    name: m.name,
    namespace: m.namespace !== undefined ? intern(m.namespace) : undefined,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    labels: m.labels ? sharedLabels(m.labels) : undefined,
  };
  if (keepAnnotations && m.annotations) out.annotations = m.annotations;
  else if (podEni !== undefined) out.annotations = { [ANNOTATION_POD_ENI]: podEni };
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  return out;
}

export function trimPod(pod: V1Pod): V1Pod {
  const spec = pod.spec;
  const containers = trimContainers(spec?.containers);
  const init = trimContainers(spec?.initContainers);
  const annotated = pod.metadata?.annotations?.[ANNOTATION_POD_ENI] !== undefined;
  const branchPod = containers.any || init.any || annotated;
  const scheduled = branchPod ? pod.status?.conditions?.find((c) => c.type === 'PodScheduled') : undefined;
  const trimmedSpec: NonNullable<V1Pod['spec']> = { containers: containers.list };
  if (init.any) trimmedSpec.initContainers = init.list;
  // Node names are shared by every pod of a node: one copy each.
  if (branchPod && spec?.nodeName) trimmedSpec.nodeName = intern(spec.nodeName);
  if (spec?.serviceAccountName) trimmedSpec.serviceAccountName = intern(spec.serviceAccountName);
  if (spec?.hostNetwork) trimmedSpec.hostNetwork = true;
  const status: NonNullable<V1Pod['status']> = {};
  if (pod.status?.phase) status.phase = intern(pod.status.phase);
  if (scheduled) {
    const condition: V1PodCondition = { type: intern(scheduled.type), status: intern(scheduled.status) };
    if (scheduled.lastTransitionTime) condition.lastTransitionTime = scheduled.lastTransitionTime;
    status.conditions = [condition];
  }
  return {
    apiVersion: pod.apiVersion ? intern(pod.apiVersion) : undefined,
    kind: pod.kind ? intern(pod.kind) : undefined,
    metadata: meta(pod.metadata, false),
    spec: trimmedSpec,
    status,
  };
}

export function trimNode(node: V1Node): V1Node {
  const podEni = (node.status?.capacity)?.[RESOURCE_POD_ENI];
  const out: V1Node = {};
  if (node.apiVersion) out.apiVersion = node.apiVersion;
  if (node.kind) out.kind = node.kind;
  out.metadata = meta(node.metadata, true);
  out.spec = node.spec?.providerID ? { providerID: node.spec.providerID } : {};
  out.status = podEni !== undefined ? { capacity: { [RESOURCE_POD_ENI]: podEni } } : {};
  return out;
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
