// The VPC CNI's requests for a trunk, pure. With ENABLE_POD_ENI=true a newer CNI adds CNINode
// features (SecurityGroupsForPods; CustomNetworking=<ENIConfig name> with custom networking on);
// an older one labels the Node instead. Features are added one at a time in a configurable order,
// which is how the sandbox reproduces the CNI upgrade that registered SecurityGroupsForPods first.
import type { CNINodeFeature } from '../../../apis/cninode.js';
import { FEATURE_CUSTOM_NETWORKING, FEATURE_SECURITY_GROUPS_FOR_PODS, LABEL_HAS_TRUNK_ATTACHED, LABEL_VPC_ENICONFIG } from '../../../apis/constants.js';

export type CniMode = 'cninode' | 'label';
export type FeatureOrder = 'sgp-first' | 'cn-first';

export interface CniInputs {
  /** The instance has a trunk already, or a free interface slot for one. */
  sgpAllowed: boolean;
  customNetworking: boolean;
  /** The node's ENIConfig name (the sandbox names them by zone). */
  eniConfigName: string;
  order: FeatureOrder;
}

/** The features the CNI wants on the node's CNINode, in the order it adds them. */
export function desiredFeatures(inputs: CniInputs): CNINodeFeature[] {
  const sgp: CNINodeFeature[] = inputs.sgpAllowed ? [{ name: FEATURE_SECURITY_GROUPS_FOR_PODS }] : [];
  const cn: CNINodeFeature[] = inputs.customNetworking ? [{ name: FEATURE_CUSTOM_NETWORKING, value: inputs.eniConfigName }] : [];
  return inputs.order === 'sgp-first' ? [...sgp, ...cn] : [...cn, ...sgp];
}

const sameFeature = (a: CNINodeFeature, b: CNINodeFeature): boolean => a.name === b.name && (a.value ?? '') === (b.value ?? '');

/** The next feature to add, or undefined when the CNINode already says everything the CNI wants. */
export function nextFeature(current: readonly CNINodeFeature[] | undefined, desired: readonly CNINodeFeature[]): CNINodeFeature | undefined {
  return desired.find((d) => !(current ?? []).some((c) => sameFeature(c, d)));
}

/** `current` with `feature` set: a feature of the same name is replaced in place, otherwise it is appended. Others' features are kept. */
export function withFeature(current: readonly CNINodeFeature[] | undefined, feature: CNINodeFeature): CNINodeFeature[] {
  const list = [...(current ?? [])];
  const i = list.findIndex((f) => f.name === feature.name);
  const entry = feature.value === undefined ? { name: feature.name } : { name: feature.name, value: feature.value };
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  return list;
}

/**
 * Legacy (label) mode: the labels the CNI wants to add. It asks for a trunk with
 * has-trunk-attached=false only when the label is absent (the controller flips it to true), and
 * names the ENIConfig with the older CNI's label.
 */
export function labelsToRequest(inputs: CniInputs, current: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const have = current ?? {};
  const out: Record<string, string> = {};
  if (inputs.sgpAllowed && have[LABEL_HAS_TRUNK_ATTACHED] === undefined) out[LABEL_HAS_TRUNK_ATTACHED] = 'false';
  if (inputs.customNetworking && have[LABEL_VPC_ENICONFIG] !== inputs.eniConfigName) out[LABEL_VPC_ENICONFIG] = inputs.eniConfigName;
  return out;
}

/** Whether an instance may ask for a trunk: it has one, or one of its interface slots is free. */
export function trunkRequestAllowed(facts: { hasTrunk: boolean; attachedInterfaces: number; maxInterfaces: number }): boolean {
  return facts.hasTrunk || facts.attachedInterfaces < facts.maxInterfaces;
}
