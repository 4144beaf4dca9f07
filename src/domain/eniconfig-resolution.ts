// Settling a node's ENIConfig before its trunk ENI is created (contract §5). A trunk's subnet
// can never change, so "don't know yet" must never be read as "not needed": with custom
// networking on cluster-wide, a node whose name for its ENIConfig is not known yet waits
// (the CNI upgrade race, where SecurityGroupsForPods was registered before CustomNetworking).
import type { CNINodeFeature } from '../apis/cninode.js';
import { FEATURE_CUSTOM_NETWORKING, LABEL_USER_ENICONFIG, LABEL_VPC_ENICONFIG } from '../apis/constants.js';
import { parseENIConfig } from '../apis/eniconfig.js';

export interface EniConfigSettings {
  /** Custom networking is on for the whole cluster (--custom-networking). */
  customNetworking: boolean;
  /** A node label whose value names the ENIConfig, e.g. topology.kubernetes.io/zone. */
  eniConfigLabelKey?: string;
}

export interface EniConfigInput {
  node: {
    name: string;
    labels?: Readonly<Record<string, string>> | null;
    annotations?: Readonly<Record<string, string>> | null;
  };
  /** The node's CNINode features; undefined when it has no CNINode (yet). */
  cniNodeFeatures: readonly CNINodeFeature[] | undefined;
  settings: EniConfigSettings;
  /** Known ENIConfigs by name (raw objects are fine: they are validated here), or a lookup. */
  eniConfigs: ReadonlyMap<string, unknown> | ((name: string) => unknown);
}

export type EniConfigResolution =
  | { state: 'not-needed' }
  | { state: 'resolved'; name: string; subnet: string; securityGroups: string[]; source: string }
  | { state: 'unsettled'; reason: string; name?: string }
  | { state: 'invalid'; reason: string; name: string };

interface Named {
  name: string;
  source: string;
}

/** The ENIConfig name for the node and where it came from, in precedence order. */
function findName(input: EniConfigInput): Named | { missingValue: string } | undefined {
  const labels = input.node.labels ?? {};
  const annotations = input.node.annotations ?? {};
  const legacy = labels[LABEL_VPC_ENICONFIG];
  if (legacy) return { name: legacy, source: `label ${LABEL_VPC_ENICONFIG}` };
  const feature = (input.cniNodeFeatures ?? []).find((f) => f.name === FEATURE_CUSTOM_NETWORKING);
  if (feature?.value) return { name: feature.value, source: `CNINode feature ${FEATURE_CUSTOM_NETWORKING}` };
  if (input.settings.customNetworking) {
    const user = labels[LABEL_USER_ENICONFIG];
    if (user) return { name: user, source: `label ${LABEL_USER_ENICONFIG}` };
    const annotated = annotations[LABEL_USER_ENICONFIG];
    if (annotated) return { name: annotated, source: `annotation ${LABEL_USER_ENICONFIG}` };
    const key = input.settings.eniConfigLabelKey;
    const byKey = key ? labels[key] : undefined;
    if (key && byKey) return { name: byKey, source: `label ${key}` };
  }
  if (feature) return { missingValue: `CNINode ${input.node.name} lists feature ${FEATURE_CUSTOM_NETWORKING} without an ENIConfig name` };
  return undefined;
}

function lookup(eniConfigs: EniConfigInput['eniConfigs'], name: string): unknown {
  return typeof eniConfigs === 'function' ? eniConfigs(name) : eniConfigs.get(name);
}

export function resolveEniConfig(input: EniConfigInput): EniConfigResolution {
  const found = findName(input);
  const node = input.node.name;
  if (found === undefined) {
    if (!input.settings.customNetworking) return { state: 'not-needed' };
    const key = input.settings.eniConfigLabelKey;
    return {
      state: 'unsettled',
      reason:
        `custom networking is on but node ${node} has no ENIConfig name yet, so its trunk ENI is not created ` +
        `(its subnet could never change): label or annotate the node with ${LABEL_USER_ENICONFIG}=<ENIConfig name>` +
        (key ? `, or give it label ${key}` : '') +
        `, or wait for the VPC CNI to register feature ${FEATURE_CUSTOM_NETWORKING} on CNINode ${node}`,
    };
  }
  if ('missingValue' in found) {
    return {
      state: 'unsettled',
      reason: `${found.missingValue}, so the node's trunk ENI is not created yet: check ENI_CONFIG_LABEL_DEF / ENI_CONFIG_ANNOTATION_DEF on the aws-node DaemonSet and the node's labels`,
    };
  }
  const raw = lookup(input.eniConfigs, found.name);
  if (raw === undefined || raw === null) {
    return {
      state: 'unsettled',
      name: found.name,
      reason: `ENIConfig ${found.name} (named by the ${found.source} of node ${node}) does not exist, so the node's trunk ENI is not created yet: create ENIConfig ${found.name} with the subnet for this node's pods`,
    };
  }
  const parsed = parseENIConfig(raw);
  if (!parsed.ok) {
    return {
      state: 'invalid',
      name: found.name,
      reason: `ENIConfig ${found.name} (named by the ${found.source} of node ${node}) is invalid, so the node's trunk ENI is not created: ${parsed.errors.join('; ')}; fix the ENIConfig`,
    };
  }
  return {
    state: 'resolved',
    name: found.name,
    subnet: parsed.value.spec.subnet,
    securityGroups: [...(parsed.value.spec.securityGroups ?? [])],
    source: found.source,
  };
}
