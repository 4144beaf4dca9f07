// What the node reconciler writes to the API server, as explicit deps (unit tests hand it a
// recording fake): the node's CNINode, and the Node's pod-eni capacity and trunk label. Each
// rejects with the API server's ApiException; the reconciler judges 404/409 itself.
import type { CNINode } from '../../apis/cninode.js';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION } from '../../apis/constants.js';
import type { KubeClients } from '../../kube/client.js';
import { mergePatchCustomObject, mergePatchNode, mergePatchNodeStatus } from '../../kube/patch.js';

export interface NodeWrites {
  createCniNode(body: CNINode): Promise<unknown>;
  /** Merge-patch a CNINode. */
  patchCniNode(name: string, patch: object): Promise<unknown>;
  /** Merge-patch the Node's status subresource. */
  patchNodeStatus(name: string, body: object): Promise<unknown>;
  /** Merge-patch the Node. */
  patchNode(name: string, body: object): Promise<unknown>;
}

export function kubeNodeWrites(kube: Pick<KubeClients, 'core' | 'custom'>): NodeWrites {
  const crd = { group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL };
  return {
    createCniNode: (body) => kube.custom.createClusterCustomObject({ ...crd, body }),
    patchCniNode: (name, patch) => mergePatchCustomObject(kube.custom, { ...crd, name }, patch),
    patchNodeStatus: (name, body) => mergePatchNodeStatus(kube.core, name, body),
    patchNode: (name, body) => mergePatchNode(kube.core, name, body),
  };
}
