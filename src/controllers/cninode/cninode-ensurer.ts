// Every node the controller serves gets its CNINode from the controller, as soon as the Node
// appears and whether or not the VPC CNI has asked for anything: the real `aws-node` (v1.15 and
// later) never creates a CNINode, it only reads and patches the one the controller made (upstream
// pkg/node/manager/manager.go AddNode → CreateCNINodeIfNotExisting). Which nodes, and what to do
// with a CNINode someone deleted while its Node lives, are decided here; the node reconciler only
// calls `ensure`.
import type { V1Node } from '@kubernetes/client-node';
import type { CNINode } from '../../apis/cninode.js';
import { COMPUTE_TYPE_AUTO, COMPUTE_TYPE_FARGATE, LABEL_COMPUTE_TYPE, LABEL_FARGATE_PROFILE, LABEL_OS, OS_LINUX } from '../../apis/constants.js';
import { parseProviderId } from '../../domain/node-eligibility.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import type { NodeWrites } from '../node/node-writes.js';
import { cniNodePatch, newCniNode } from './cninode-spec.js';

export type CniNodeWanted = { wanted: true; instanceId: string } | { wanted: false; reason: string };

/**
 * Whether the controller keeps a CNINode for this Node: Linux nodes backed by an EC2 instance,
 * except EKS Auto Mode nodes (EKS manages their networking; upstream node_controller.go skips
 * them) and Fargate nodes (no VPC CNI runs there; Fargate nodes carry compute-type=fargate and the
 * fargate-profile label). A Node without a usable providerID gets its CNINode once the kubelet or
 * cloud provider sets one (a providerID change enqueues the node): the instance tag could not be
 * written otherwise, and cleanup needs it.
 */
export function wantsCniNode(node: V1Node): CniNodeWanted {
  const name = node.metadata?.name ?? '';
  const labels = node.metadata?.labels ?? {};
  const computeType = labels[LABEL_COMPUTE_TYPE];
  if (computeType === COMPUTE_TYPE_AUTO) return { wanted: false, reason: `node ${name} is an EKS Auto Mode node` };
  if (computeType === COMPUTE_TYPE_FARGATE || labels[LABEL_FARGATE_PROFILE] !== undefined) return { wanted: false, reason: `node ${name} is a Fargate node` };
  // No os label: a hand-made Node (kubelets set it since 1.14), taken as Linux as node-eligibility does.
  const os = labels[LABEL_OS];
  if (os !== undefined && os !== OS_LINUX) return { wanted: false, reason: `node ${name} runs ${os}` };
  const provider = parseProviderId(node.spec?.providerID);
  if (!provider.ok) return { wanted: false, reason: `node ${name}: ${provider.errors.join('; ')}` };
  return { wanted: true, instanceId: provider.value.instanceId };
}

type Spec = NonNullable<CNINode['spec']>;

/**
 * What a CNINode deleted by hand while its Node lives carried, so that its re-creation keeps the
 * features the CNI wrote (the CNI adds them at its start and would not add them again) and any
 * extra ENI tags a user set. Filled by the CNINode cleanup when it drops the finalizer of such an
 * object, taken by the ensurer when it creates the new one. In memory only: after a restart the
 * new object starts without features until aws-node restarts, as with a first creation.
 */
export class CniNodeCarryOver {
  private readonly specs = new Map<string, { nodeUid: string; spec: Spec }>();

  remember(name: string, nodeUid: string, spec: Spec | undefined): void {
    if (spec) this.specs.set(name, { nodeUid, spec: structuredClone(spec) });
  }

  /** The spec to carry into the new CNINode of this Node incarnation, if any. */
  peek(name: string, nodeUid: string): Spec | undefined {
    const e = this.specs.get(name);
    return e && e.nodeUid === nodeUid ? e.spec : undefined;
  }

  forget(name: string): void {
    this.specs.delete(name);
  }
}

export interface CniNodeEnsurerDeps {
  writes: Pick<NodeWrites, 'createCniNode' | 'patchCniNode'>;
  clusterName: string;
  carryOver?: CniNodeCarryOver;
}

export type EnsureResult = 'not-wanted' | 'created' | 'patched' | 'unchanged' | 'being-deleted' | 'raced';

export class CniNodeEnsurer {
  private readonly carryOver: CniNodeCarryOver;

  constructor(private readonly d: CniNodeEnsurerDeps) {
    this.carryOver = d.carryOver ?? new CniNodeCarryOver();
  }

  /**
   * Creates the node's CNINode when it has none, or adds what the controller needs to an existing
   * one (owner reference, os label, finalizer, tags), never removing what others wrote. A CNINode
   * being deleted is left alone: the cleanup drops its finalizer and its deletion brings the node
   * here again, to create a fresh one. Rejects with the API server's error on anything but a race.
   */
  async ensure(node: V1Node, cni: CNINode | undefined): Promise<EnsureResult> {
    const w = wantsCniNode(node);
    if (!w.wanted) return 'not-wanted';
    const name = node.metadata?.name ?? '';
    const wants = { node, clusterName: this.d.clusterName, instanceId: w.instanceId };
    if (!cni) {
      const body = newCniNode(wants);
      const carried = this.carryOver.peek(name, node.metadata?.uid ?? '');
      if (carried) {
        // The old object's features and extra tags, with our tags on top.
        body.spec = { ...carried, tags: { ...carried.tags, ...body.spec?.tags } };
      }
      try {
        await this.d.writes.createCniNode(body);
      } catch (err) {
        // Another writer (or our own earlier attempt) made it: the informer brings it and the node is reconciled again.
        if (isAlreadyExists(err) || isConflict(err)) return 'raced';
        throw err;
      }
      this.carryOver.forget(name);
      return 'created';
    }
    if (cni.metadata?.deletionTimestamp) return 'being-deleted';
    const patch = cniNodePatch(cni, wants);
    if (!patch) return 'unchanged';
    try {
      await this.d.writes.patchCniNode(name, patch);
    } catch (err) {
      // A newer CNINode (or its deletion) is on its way through the informer; the node is reconciled again then.
      if (isConflict(err) || isNotFound(err)) return 'raced';
      throw err;
    }
    return 'patched';
  }
}
