// Which nodes get a trunk ENI (contract §1, §3): Linux nodes backed by an EC2 instance whose
// VPC CNI asked for one — feature SecurityGroupsForPods on the CNINode (newer CNIs) or the
// legacy label vpc.amazonaws.com/has-trunk-attached (older CNIs) — and never EKS Auto Mode
// nodes, whose networking EKS manages itself.
import { hasFeature, type CNINodeFeature } from '../apis/cninode.js';
import {
  COMPUTE_TYPE_AUTO,
  FEATURE_SECURITY_GROUPS_FOR_PODS,
  LABEL_COMPUTE_TYPE,
  LABEL_HAS_TRUNK_ATTACHED,
  LABEL_OS,
  OS_LINUX,
} from '../apis/constants.js';
import type { ParseResult } from '../apis/parse-result.js';

export interface ProviderId {
  availabilityZone: string;
  instanceId: string;
}

const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const ZONE = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

/** `aws:///<az>/<i-…>` (kubelet's format; an authority part, if any, is ignored). */
export function parseProviderId(providerID: string | undefined | null): ParseResult<ProviderId> {
  if (!providerID) return { ok: false, errors: ['spec.providerID is not set (the kubelet sets aws:///<zone>/<instance-id>)'] };
  const m = /^aws:\/\/[^/]*\/([^/]+)\/([^/]+)$/.exec(providerID);
  if (!m) return { ok: false, errors: [`spec.providerID "${providerID}" is not of the form aws:///<zone>/<instance-id>`] };
  const [, zone, instance] = m as unknown as [string, string, string];
  const errors: string[] = [];
  if (!ZONE.test(zone)) errors.push(`spec.providerID "${providerID}": "${zone}" is not an availability zone`);
  if (!INSTANCE_ID.test(instance)) errors.push(`spec.providerID "${providerID}": "${instance}" is not an EC2 instance ID`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { availabilityZone: zone, instanceId: instance } };
}

export interface NodeFacts {
  name: string;
  labels?: Readonly<Record<string, string>> | null;
  providerID?: string | null;
}

export type IneligibleCode = 'auto-mode' | 'not-linux' | 'not-requested' | 'no-instance';

export type NodeEligibility =
  | { eligible: true; instanceId: string; availabilityZone: string; requestedBy: 'cninode-feature' | 'legacy-label' }
  | { eligible: false; code: IneligibleCode; reason: string };

/**
 * Whether a node gets a trunk. `cniNodeFeatures` is undefined when the node has no CNINode
 * (yet). A node with no kubernetes.io/os label is taken as Linux: the kubelet has set the label
 * since 1.14, so its absence means a hand-made Node, and Windows nodes always carry it.
 */
export function nodeEligibility(node: NodeFacts, cniNodeFeatures: readonly CNINodeFeature[] | undefined): NodeEligibility {
  const labels = node.labels ?? {};
  if (labels[LABEL_COMPUTE_TYPE] === COMPUTE_TYPE_AUTO) {
    return { eligible: false, code: 'auto-mode', reason: `node ${node.name} is an EKS Auto Mode node (${LABEL_COMPUTE_TYPE}=${COMPUTE_TYPE_AUTO}); EKS manages its network interfaces` };
  }
  const os = labels[LABEL_OS];
  if (os !== undefined && os !== OS_LINUX) {
    return { eligible: false, code: 'not-linux', reason: `node ${node.name} runs ${os}; security groups for pods with trunk ENIs need a Linux node` };
  }
  const byFeature = hasFeature(cniNodeFeatures ?? [], FEATURE_SECURITY_GROUPS_FOR_PODS);
  const byLabel = Object.prototype.hasOwnProperty.call(labels, LABEL_HAS_TRUNK_ATTACHED);
  if (!byFeature && !byLabel) {
    return {
      eligible: false,
      code: 'not-requested',
      reason: `the VPC CNI has not asked for a trunk on node ${node.name} (no ${FEATURE_SECURITY_GROUPS_FOR_PODS} feature on its CNINode, no ${LABEL_HAS_TRUNK_ATTACHED} label); set ENABLE_POD_ENI=true on the aws-node DaemonSet`,
    };
  }
  const provider = parseProviderId(node.providerID);
  if (!provider.ok) {
    return { eligible: false, code: 'no-instance', reason: `node ${node.name}: ${provider.errors.join('; ')}` };
  }
  return { eligible: true, ...provider.value, requestedBy: byFeature ? 'cninode-feature' : 'legacy-label' };
}
