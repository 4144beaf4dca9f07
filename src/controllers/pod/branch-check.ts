// Is a branch ENI really there and on the trunk? EC2 answers a repeated ClientToken with what it
// first made, whatever became of it since (deleted, or its association dissolved), so before a pod
// is annotated with an ENI whose create or association may have been such a replay, EC2 is asked
// (issue 10): the ENI exists, and it is associated with this trunk on the VLAN we hold.
import { isNotFound } from '../../aws/error-classes.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { TRUNK_ASSOCIATIONS_PAGE } from './branch-eni-ops.js';

export type BranchCheck =
  | { kind: 'ok'; associationId: string }
  /** EC2 has no such ENI. */
  | { kind: 'gone' }
  /** The ENI exists but is not associated with this trunk on this VLAN (maybe not at all). */
  | { kind: 'unassociated'; elsewhere?: { trunkEniId?: string; vlanId?: number; associationId?: string } };

export async function checkBranch(ec2: Ec2Api, eniId: string, trunkEniId: string, vlanId: number): Promise<BranchCheck> {
  try {
    const found = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [eniId] }, { priority: 'pod-start' });
    if (!found.some((e) => e.NetworkInterfaceId === eniId)) return { kind: 'gone' };
  } catch (err) {
    if (isNotFound(err)) return { kind: 'gone' };
    throw err;
  }
  const assocs = await ec2.describeTrunkInterfaceAssociations(
    { Filters: [{ Name: 'trunk-interface-association.branch-interface-id', Values: [eniId] }], MaxResults: TRUNK_ASSOCIATIONS_PAGE },
    { priority: 'pod-start' },
  );
  const mine = assocs.find((a) => a.TrunkInterfaceId === trunkEniId && a.VlanId === vlanId && a.AssociationId);
  if (mine?.AssociationId) return { kind: 'ok', associationId: mine.AssociationId };
  const other = assocs[0];
  if (!other) return { kind: 'unassociated' };
  return {
    kind: 'unassociated',
    elsewhere: {
      ...(other.TrunkInterfaceId ? { trunkEniId: other.TrunkInterfaceId } : {}),
      ...(other.VlanId !== undefined ? { vlanId: other.VlanId } : {}),
      ...(other.AssociationId ? { associationId: other.AssociationId } : {}),
    },
  };
}

/**
 * checkBranch, looked at once more after `settleMs` when it is not ok: EC2's reads are eventually
 * consistent, and an ENI or association made a moment ago may not show yet. Only a finding that
 * stays is acted on.
 */
export async function checkBranchSettled(ec2: Ec2Api, eniId: string, trunkEniId: string, vlanId: number, settleMs = 1_000): Promise<BranchCheck> {
  const first = await checkBranch(ec2, eniId, trunkEniId, vlanId);
  if (first.kind === 'ok' || settleMs <= 0) return first;
  await new Promise((r) => setTimeout(r, settleMs));
  return checkBranch(ec2, eniId, trunkEniId, vlanId);
}

