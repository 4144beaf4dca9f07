// The node reconciler's choices that need no I/O: what a placement refusal means for the node,
// what to do with a trunk in each attachment state, and the zone-mismatch warning. Pure, so the
// steps only carry them out.
import { REASON_INSUFFICIENT_INTERFACE_SLOTS, REASON_UNSUPPORTED } from '../../apis/constants.js';
import type { PlacementRefusal } from '../../domain/trunk-placement.js';
import type { NodeState } from './node-metrics.js';

export interface RefusalHandling {
  state: NodeState;
  /** Event reason of the node's Warning. */
  reason: string;
  /** Look again after this long; undefined = only when something about the node changes. */
  recheckMs?: number;
}

/** A slot may free up (the CNI detaches an ENI); the type or the custom-networking refusal cannot change. */
export function refusalHandling(code: PlacementRefusal, slotRecheckMs: number): RefusalHandling {
  const unsupported = code === 'unknown-type' || code === 'unsupported';
  return {
    state: unsupported ? 'unsupported' : 'refused',
    reason: unsupported ? REASON_UNSUPPORTED : REASON_INSUFFICIENT_INTERFACE_SLOTS,
    ...(code === 'no-free-slot' ? { recheckMs: slotRecheckMs } : {}),
  };
}

/** What an attached-or-not trunk found on the instance calls for. */
export type AttachmentStep = 'poll' | 'wait-detach' | 'adopt';

export function attachmentStep(status: string | undefined): AttachmentStep {
  if (status === 'attaching') return 'poll';
  // Someone is detaching it: wait until it is gone, then a new one is created.
  if (status !== 'attached') return 'wait-detach';
  return 'adopt';
}

export function zoneMismatchMessage(subnet: { subnetId: string; availabilityZone: string }, eniConfig: string | undefined, instanceZone: string): string {
  return (
    `Subnet ${subnet.subnetId}${eniConfig ? ` of ENIConfig ${eniConfig}` : ''} is in ${subnet.availabilityZone} but the node's instance is in ${instanceZone}; ` +
    `a trunk must be in the instance's zone: point the node at an ENIConfig for ${instanceZone}`
  );
}
