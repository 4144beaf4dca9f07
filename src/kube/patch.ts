// Patch helpers. client-node 1.4 sends `application/json-patch+json` unless told otherwise, so every
// merge or strategic-merge patch must set the Content-Type through `setHeaderOptions`; doing it here
// once keeps that trap out of the reconcilers.
//
//   await mergePatchNodeStatus(kube.core, 'ip-10-0-0-1', { status: { capacity: { [RESOURCE_POD_ENI]: '9' } } });
//   await mergePatchPod(kube.core, ns, name, { metadata: { annotations: { [ANNOTATION_POD_ENI]: json } } });
//   await jsonPatchPod(kube.core, ns, name, [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, ...]);
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type CoreV1Event,
  type CustomObjectsApi,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';

/** One RFC 6902 operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Escape a map key (e.g. `vpc.amazonaws.com/pod-eni`) for use in a JSON-pointer path. */
export function jsonPointerEscape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const merge = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = () => setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const json = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export function mergePatchNode(core: CoreV1Api, name: string, body: object): Promise<V1Node> {
  return core.patchNode({ name, body }, merge());
}

export function mergePatchNodeStatus(core: CoreV1Api, name: string, body: object): Promise<V1Node> {
  return core.patchNodeStatus({ name, body }, merge());
}

export function mergePatchPod(core: CoreV1Api, namespace: string, name: string, body: object): Promise<V1Pod> {
  return core.patchNamespacedPod({ name, namespace, body }, merge());
}

export function strategicPatchPod(core: CoreV1Api, namespace: string, name: string, body: object): Promise<V1Pod> {
  return core.patchNamespacedPod({ name, namespace, body }, strategic());
}

export function jsonPatchPod(core: CoreV1Api, namespace: string, name: string, ops: JsonPatchOp[]): Promise<V1Pod> {
  return core.patchNamespacedPod({ name, namespace, body: ops }, json());
}

export function mergePatchEvent(core: Pick<CoreV1Api, 'patchNamespacedEvent'>, namespace: string, name: string, body: object): Promise<CoreV1Event> {
  return core.patchNamespacedEvent({ name, namespace, body }, merge());
}

/** Which custom resource: cluster-scoped when `namespace` is absent. */
export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
  name: string;
  namespace?: string;
}

/** Merge-patch a custom object (CRDs do not support strategic merge). */
export async function mergePatchCustomObject(custom: CustomObjectsApi, ref: CustomResourceRef, body: object): Promise<unknown> {
  if (ref.namespace) {
    return custom.patchNamespacedCustomObject({ ...ref, namespace: ref.namespace, body }, merge());
  }
  return custom.patchClusterCustomObject({ group: ref.group, version: ref.version, plural: ref.plural, name: ref.name, body }, merge());
}

export async function jsonPatchCustomObject(custom: CustomObjectsApi, ref: CustomResourceRef, ops: JsonPatchOp[]): Promise<unknown> {
  if (ref.namespace) {
    return custom.patchNamespacedCustomObject({ ...ref, namespace: ref.namespace, body: ops }, json());
  }
  return custom.patchClusterCustomObject({ group: ref.group, version: ref.version, plural: ref.plural, name: ref.name, body: ops }, json());
}

/** Merge-patch the status subresource of a namespaced custom object (only `status` is taken). */
export async function mergePatchNamespacedCustomObjectStatus(custom: CustomObjectsApi, ref: CustomResourceRef & { namespace: string }, body: object): Promise<unknown> {
  return custom.patchNamespacedCustomObjectStatus({ ...ref, body }, merge());
}
