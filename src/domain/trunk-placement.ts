// Where a new trunk ENI goes on an instance (contract §5): the highest free device index on
// the default network card, because the VPC CNI fills slots from the low end. Refusals carry
// the text for the node's Warning event: what is wrong and what to do.
import { messageUnsupported } from '../apis/constants.js';
import type { InstanceLimits } from './instance-limits.js';

export interface PlacementInput {
  instanceType: string;
  /** From the limits table; undefined when the type is unknown to it. */
  limits: InstanceLimits | undefined;
  /** Device indexes of interfaces already attached on the default network card (0 = primary). */
  attachedDeviceIndexes: readonly number[];
  /** Custom networking applies to this node (its ENIConfig was resolved). */
  customNetworking: boolean;
}

export type PlacementRefusal = 'unknown-type' | 'unsupported' | 'custom-networking-needs-slots' | 'no-free-slot';

export type Placement = { ok: true; deviceIndex: number } | { ok: false; code: PlacementRefusal; reason: string };

export function planTrunkPlacement(input: PlacementInput): Placement {
  const { instanceType, limits } = input;
  if (!limits) {
    return {
      ok: false,
      code: 'unknown-type',
      reason: `${messageUnsupported(instanceType)}: the type is not in the controller's instance limits; if it supports trunking, add it with --instance-limits-file`,
    };
  }
  if (!limits.trunkSupported) return { ok: false, code: 'unsupported', reason: messageUnsupported(instanceType) };
  // With custom networking the primary ENI (index 0) carries no pods and the CNI attaches the
  // ENIConfig's ENI at the next slot; a 2-slot type has nothing left for the trunk, and taking
  // that slot would leave the node half-configured.
  if (input.customNetworking && limits.deviceSlots <= 2) {
    return {
      ok: false,
      code: 'custom-networking-needs-slots',
      reason:
        `The instance type ${instanceType} has only ${limits.deviceSlots} network interface slots: with custom networking the primary ENI ` +
        `and the ENIConfig's ENI need both, leaving none for the trunk ENI, so security groups for pods cannot be enabled on this node. ` +
        `Use an instance type with at least 3 network interfaces, or turn off custom networking for this node.`,
    };
  }
  const attached = new Set(input.attachedDeviceIndexes);
  for (let index = limits.deviceSlots - 1; index >= 1; index--) {
    if (!attached.has(index)) return { ok: true, deviceIndex: index };
  }
  return {
    ok: false,
    code: 'no-free-slot',
    reason:
      `All ${limits.deviceSlots} network interface slots of this ${instanceType} instance are in use, so no trunk ENI can be attached. ` +
      `Lower the VPC CNI's WARM_ENI_TARGET/MAX_ENI so it leaves a slot free, or use a larger instance type, then replace the node.`,
  };
}
