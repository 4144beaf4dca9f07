// The EC2 side of one branch ENI: create + associate (+ permission) with rollback, and release
// (disassociate + delete, NotFound counting as done). Every call goes through the gateway with the
// contract's priorities: 'pod-start' to create, 'release' for rollback and cooldown deletes,
// 'background' for lookups.
import type { Filter, NetworkInterface, Tag, TrunkInterfaceAssociation } from '@aws-sdk/client-ec2';
import {
  BRANCH_ENI_DESCRIPTION,
  TAG_CLUSTER_VALUE,
  TAG_ENI_OWNER,
  TAG_ENI_OWNER_VALUE,
  TAG_INSTANCE_ID,
  TAG_POD_NAME,
  TAG_POD_NAMESPACE,
  TAG_POD_UID,
  TAG_TRUNK_ENI_ID,
  TAG_VLAN_ID,
  tagClusterKey,
} from '../../apis/constants.js';
import { Ec2Error, isNotFound, mayHaveTakenEffect } from '../../aws/error-classes.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { TrunkInfo } from '../trunk-registry.js';
import type { PodRef } from '../../domain/branch-state.js';

export interface CreateBranchInput {
  clusterName: string;
  trunk: TrunkInfo;
  pod: PodRef;
  /** Position in the pod's request. */
  index: number;
  /** Bumped after a rollback deleted an ENI, so the next create gets a fresh ClientToken. */
  generation: number;
  vlanId: number;
  groups: readonly string[];
  /** Cross-account setups: grant INSTANCE-ATTACH to this account. */
  permissionAccountId?: string;
  /** ENIs the caller already holds for some pod (never taken over as this create's ENI). */
  isKnown?: (eniId: string) => boolean;
  /** The association's attempt component (attempts.ts): never the same as a dead process's. */
  associateAttempt?: string;
  /** Asked before a rollback destroys the ENI (delete-guard.ts); false keeps it for the release queue. */
  mayDelete?: (eniId: string) => Promise<boolean>;
  /**
   * Asked when the associate failed in a way that may have taken effect: the association ID when
   * EC2 shows the ENI on this trunk on this VLAN after all (its answer was lost, or a killed
   * process's associate of the same ENI landed first), else undefined (then it is rolled back).
   */
  associatedAfterAll?: (eniId: string) => Promise<string | undefined>;
  /** The gateway pool of the create and associate: 'pod-start' (default), 'background' for warm top-ups. */
  priority?: 'pod-start' | 'background';
  /** Tags besides branchTags (e.g. the warm tag of a top-up). */
  extraTags?: Tag[];
}

export interface CreatedBranch {
  eniId: string;
  associationId: string;
  macAddress: string;
  privateIp: string;
  ipv6Address?: string;
}

/**
 * Why an allocation step failed. `eniLeft` is set when an ENI exists that the rollback could not
 * delete: the caller must keep it (and its VLAN) and retry the delete later. `staleToken` means
 * EC2 answered the ClientToken with an ENI that no longer exists: use a new generation.
 */
export class BranchCreateError extends Error {
  override readonly name = 'BranchCreateError';
  constructor(
    readonly step: 'create' | 'associate' | 'permission',
    override readonly cause: unknown,
    readonly eniLeft: string | undefined,
    readonly eniCreated: boolean,
    readonly staleToken: boolean,
  ) {
    super(cause instanceof Ec2Error ? cause.userMessage() : cause instanceof Error ? cause.message : String(cause));
  }

  /** Retry hints for the work queue (Ec2Error classes). */
  get class(): string | undefined {
    return this.cause instanceof Ec2Error ? this.cause.class : undefined;
  }

  get retryAfterMs(): number | undefined {
    return this.cause instanceof Ec2Error ? this.cause.retryAfterMs : undefined;
  }
}

/**
 * The tags of a branch ENI: the contract's (§6) plus the owning pod (ours). A warm top-up has no
 * pod: only its own UID (the ClientToken's subject) is tagged, no namespace or name.
 */
export function branchTags(input: Pick<CreateBranchInput, 'clusterName' | 'trunk' | 'pod' | 'vlanId'>): Tag[] {
  return [
    { Key: TAG_ENI_OWNER, Value: TAG_ENI_OWNER_VALUE },
    { Key: tagClusterKey(input.clusterName), Value: TAG_CLUSTER_VALUE },
    { Key: TAG_INSTANCE_ID, Value: input.trunk.instanceId },
    { Key: TAG_TRUNK_ENI_ID, Value: input.trunk.trunkEniId },
    { Key: TAG_VLAN_ID, Value: String(input.vlanId) },
    ...(input.pod.namespace ? [{ Key: TAG_POD_NAMESPACE, Value: input.pod.namespace }] : []),
    ...(input.pod.name ? [{ Key: TAG_POD_NAME, Value: input.pod.name }] : []),
    { Key: TAG_POD_UID, Value: input.pod.uid },
  ];
}

/** The ClientToken purpose of a branch create: stable across retries and restarts of the same attempt. */
export function branchPurpose(clusterName: string, podUid: string, index: number, generation: number): string[] {
  return ['branch', clusterName, podUid, String(index), String(generation)];
}

/**
 * The ClientToken purpose of an association. `attempt` keeps a new process (or a new try after a
 * rollback) from getting EC2's replay of an association that was dissolved since (issue 10).
 */
export function associatePurpose(clusterName: string, eniId: string, trunkEniId: string, vlanId: number, attempt: string | undefined): string[] {
  const base = ['associate', clusterName, eniId, trunkEniId, String(vlanId)];
  return attempt ? [...base, attempt] : base;
}

/**
 * CreateNetworkInterface → AssociateTrunkInterface → (CreateNetworkInterfacePermission). On a
 * failure after the create, the ENI is disassociated/deleted again; throws BranchCreateError.
 */
export async function createBranch(ec2: Ec2Api, input: CreateBranchInput): Promise<CreatedBranch> {
  let eni: NetworkInterface;
  try {
    eni = await ec2.createNetworkInterface(
      {
        SubnetId: input.trunk.subnetId,
        Groups: [...input.groups],
        Description: BRANCH_ENI_DESCRIPTION,
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: [...branchTags(input), ...(input.extraTags ?? [])] }],
      },
      { priority: input.priority ?? 'pod-start', purpose: branchPurpose(input.clusterName, input.pod.uid, input.index, input.generation) },
    );
  } catch (err) {
    const mismatch = err instanceof Ec2Error && err.code === 'IdempotentParameterMismatch';
    if (!mismatch) throw new BranchCreateError('create', err, undefined, false, false);
    // The token was used before with other parameters: a controller killed mid-create had picked
    // another VLAN (its tag is part of the request). That ENI exists unassociated; take it over
    // rather than leak it and make a second one, or delete it when it no longer fits (groups).
    const earlier = await tokenEni(ec2, input).catch(() => undefined);
    if (!earlier) throw new BranchCreateError('create', err, undefined, false, true);
    if (!sameSet(earlier.Groups?.map((g) => g.GroupId ?? '') ?? [], input.groups) || earlier.SubnetId !== input.trunk.subnetId) {
      const left = await rollback(ec2, earlier.NetworkInterfaceId as string, undefined, input.mayDelete);
      throw new BranchCreateError('create', err, left, false, true);
    }
    eni = earlier;
    try {
      await ec2.createTags({ Resources: [eni.NetworkInterfaceId as string], Tags: [{ Key: TAG_VLAN_ID, Value: String(input.vlanId) }] }, { priority: input.priority ?? 'pod-start' });
    } catch (tagErr) {
      const left = await rollback(ec2, eni.NetworkInterfaceId as string, undefined, input.mayDelete);
      throw new BranchCreateError('create', tagErr, left, true, false);
    }
  }
  const eniId = eni.NetworkInterfaceId as string;
  let associationId: string;
  try {
    const assoc = await ec2.associateTrunkInterface(
      { BranchInterfaceId: eniId, TrunkInterfaceId: input.trunk.trunkEniId, VlanId: input.vlanId },
      { priority: input.priority ?? 'pod-start', purpose: associatePurpose(input.clusterName, eniId, input.trunk.trunkEniId, input.vlanId, input.associateAttempt) },
    );
    associationId = assoc.AssociationId as string;
  } catch (err) {
    // The branch itself not found right after its create: the token answered with an ENI that was
    // deleted since (an earlier attempt's rollback). Nothing to clean up; retry with a new token.
    const stale = isNotFound(err) && err instanceof Ec2Error && err.code.startsWith('InvalidNetworkInterfaceID');
    // Undoing an association that is there after all would cost two calls and a new ENI, and
    // under a restart race it dissolves the one a killed process's associate just made.
    const found = !stale && mayHaveTakenEffect(err) && input.associatedAfterAll ? await input.associatedAfterAll(eniId).catch(() => undefined) : undefined;
    if (!found) {
      const left = stale ? undefined : await rollback(ec2, eniId, undefined, input.mayDelete);
      throw new BranchCreateError('associate', err, left, true, stale);
    }
    associationId = found;
  }
  if (input.permissionAccountId) {
    try {
      await ec2.createNetworkInterfacePermission(
        { NetworkInterfaceId: eniId, AwsAccountId: input.permissionAccountId, Permission: 'INSTANCE-ATTACH' },
        { priority: input.priority ?? 'pod-start' },
      );
    } catch (err) {
      const left = await rollback(ec2, eniId, associationId, input.mayDelete);
      throw new BranchCreateError('permission', err, left, true, false);
    }
  }
  return {
    eniId,
    associationId,
    macAddress: eni.MacAddress ?? '',
    privateIp: eni.PrivateIpAddress ?? '',
    ...(eni.Ipv6Address ? { ipv6Address: eni.Ipv6Address } : {}),
  };
}

/** The unassociated ENI an earlier create made for this pod on this trunk under another VLAN, if any. */
async function tokenEni(ec2: Ec2Api, input: CreateBranchInput): Promise<NetworkInterface | undefined> {
  const found = await ec2.describeNetworkInterfaces(
    {
      Filters: [
        { Name: `tag:${TAG_POD_UID}`, Values: [input.pod.uid] },
        { Name: `tag:${TAG_TRUNK_ENI_ID}`, Values: [input.trunk.trunkEniId] },
        { Name: 'status', Values: ['available'] },
      ],
    },
    { priority: input.priority ?? 'pod-start' },
  );
  const candidates = found.filter((e) => e.NetworkInterfaceId && !input.isKnown?.(e.NetworkInterfaceId) && tagOf(e, TAG_VLAN_ID) !== String(input.vlanId));
  return candidates.length === 1 ? candidates[0] : undefined;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');

/** Undo a create: returns the ENI ID when it could not be deleted (the caller keeps it for a later retry). */
async function rollback(ec2: Ec2Api, eniId: string, associationId: string | undefined, mayDelete?: (eniId: string) => Promise<boolean>): Promise<string | undefined> {
  try {
    if (mayDelete && !(await mayDelete(eniId))) return eniId;
    await releaseBranch(ec2, { eniId, associationId });
    return undefined;
  } catch {
    return eniId;
  }
}

/**
 * Disassociate (when an association is known or found) and delete. NotFound at either step counts
 * as done. Throws the Ec2Error of a failed step otherwise (the caller retries with backoff).
 */
export async function releaseBranch(ec2: Ec2Api, target: { eniId: string; associationId?: string | undefined }): Promise<void> {
  let associationId = target.associationId;
  if (!associationId) {
    const found = await ec2.describeTrunkInterfaceAssociations(
      { Filters: [{ Name: 'trunk-interface-association.branch-interface-id', Values: [target.eniId] }], MaxResults: TRUNK_ASSOCIATIONS_PAGE },
      { priority: 'background' },
    );
    associationId = found[0]?.AssociationId;
  }
  if (associationId) {
    try {
      await ec2.disassociateTrunkInterface({ AssociationId: associationId }, { priority: 'release' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  try {
    await ec2.deleteNetworkInterface({ NetworkInterfaceId: target.eniId }, { priority: 'release' });
  } catch (err) {
    if (isNotFound(err)) return;
    // Disassociation can take a moment to show; an association we did not know about may also exist.
    if (err instanceof Ec2Error && err.code === 'InvalidNetworkInterface.InUse' && target.associationId) {
      await releaseBranch(ec2, { eniId: target.eniId });
      return;
    }
    throw err;
  }
}

/** Tag value lookup on an SDK ENI. */
export function tagOf(eni: NetworkInterface, key: string): string | undefined {
  return (eni.TagSet ?? []).find((t) => t.Key === key)?.Value;
}

/** DescribeTrunkInterfaceAssociations accepts MaxResults 5..255 (not the 1000 of other describes). */
export const TRUNK_ASSOCIATIONS_PAGE = 255;

/**
 * The DescribeNetworkInterfaces filters for ENIs this cluster's controller owns (contract tags:
 * owner and cluster). Callers add what narrows it further (branch ENIs by their trunk tag, …).
 */
export function ownedEniFilters(clusterName: string): Filter[] {
  return [
    { Name: `tag:${TAG_ENI_OWNER}`, Values: [TAG_ENI_OWNER_VALUE] },
    { Name: `tag:${tagClusterKey(clusterName)}`, Values: [TAG_CLUSTER_VALUE] },
  ];
}

/** Every branch ENI this cluster's controller owns (they carry their trunk's ID; trunks do not) and every trunk association, paged. */
export async function describeClusterBranches(ec2: Ec2Api, clusterName: string): Promise<{ enis: NetworkInterface[]; associations: TrunkInterfaceAssociation[] }> {
  const [enis, associations] = await Promise.all([
    ec2.describeNetworkInterfaces({ Filters: [...ownedEniFilters(clusterName), { Name: 'tag-key', Values: [TAG_TRUNK_ENI_ID] }] }, { priority: 'background' }),
    ec2.describeTrunkInterfaceAssociations({ MaxResults: TRUNK_ASSOCIATIONS_PAGE }, { priority: 'background' }),
  ]);
  return { enis, associations };
}

export type ClusterBranches = Awaited<ReturnType<typeof describeClusterBranches>>;

/**
 * describeClusterBranches shared by callers that look at the same time: a call while one is in
 * flight gets its result; a call after it finished describes again. At start the restart snapshot
 * (branch-snapshot.ts) and the repair pass run after trunks are published (repair.ts) both look at
 * every branch ENI of the cluster; at 1,000 nodes and 10,000 branch ENIs that is ~50 paged describes
 * each, and sharing them keeps a restart within its EC2 budget. A finished look is never reused: a
 * repair pass reading a look older than an allocation would take the new ENI for a missing one.
 */
export function sharedClusterBranches(ec2: Ec2Api, clusterName: string): () => Promise<ClusterBranches> {
  let inFlight: Promise<ClusterBranches> | undefined;
  return () => {
    if (inFlight) return inFlight;
    const p = describeClusterBranches(ec2, clusterName).finally(() => {
      if (inFlight === p) inFlight = undefined;
    });
    inFlight = p;
    return p;
  };
}
