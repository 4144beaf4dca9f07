// The EC2 side of a trunk ENI (contract §6): create it in the target subnet, attach it at the
// chosen device index, make it go with the instance (DeleteOnTermination), and undo all of it
// when any step fails. Waiting for `attached` is not done here: the reconciler requeues and
// looks again, so no worker is blocked on EC2's attachment time.
import type { Tag } from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { isNotFound, toEc2Error } from '../../aws/error-classes.js';
import {
  tagClusterKey,
  TAG_CLUSTER_VALUE,
  TAG_ENI_OWNER,
  TAG_ENI_OWNER_VALUE,
  TAG_INSTANCE_ID,
  TRUNK_ENI_DESCRIPTION,
} from '../../apis/constants.js';
import type { Logger } from '../../observability/logger.js';

export interface CreateTrunkInput {
  clusterName: string;
  instanceId: string;
  subnetId: string;
  groups: readonly string[];
  deviceIndex: number;
  networkCardIndex: number;
  /** Bumped after a rollback so the next attempt gets a fresh ClientToken (EC2 would return the deleted ENI). */
  generation: number;
  /** Extra tags from the CNINode's spec.tags; never override the controller's own. */
  extraTags?: Readonly<Record<string, string>>;
}

export interface CreatedTrunk {
  eniId: string;
  attachmentId: string;
}

/** The tags every trunk carries (contract §6), plus the CNINode's extra tags. */
export function trunkTags(clusterName: string, instanceId: string, extra: Readonly<Record<string, string>> = {}): Tag[] {
  const own: Record<string, string> = {
    [TAG_ENI_OWNER]: TAG_ENI_OWNER_VALUE,
    [tagClusterKey(clusterName)]: TAG_CLUSTER_VALUE,
    [TAG_INSTANCE_ID]: instanceId,
  };
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(extra)) if (!k.startsWith('aws:')) merged[k] = v;
  Object.assign(merged, own);
  return Object.entries(merged)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

/** A failed step of trunk creation, after the rollback ran; `rolledBack` false when cleanup is left to do. */
export class TrunkCreationError extends Error {
  constructor(
    readonly step: 'create' | 'attach' | 'delete-on-termination',
    override readonly cause: unknown,
    readonly leftover: { eniId: string; attachmentId?: string } | undefined,
  ) {
    super(`trunk ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Create → attach → DeleteOnTermination. On a failure after the ENI exists, detach (when attached)
 * and delete it; if the delete cannot happen yet (still detaching), the error's `leftover` names
 * what the caller must finish with `finishRollback`.
 */
export async function createAndAttachTrunk(ec2: Ec2Api, input: CreateTrunkInput, log: Logger): Promise<CreatedTrunk> {
  let eniId: string;
  try {
    const eni = await ec2.createNetworkInterface(
      {
        SubnetId: input.subnetId,
        Groups: [...input.groups],
        Description: TRUNK_ENI_DESCRIPTION,
        InterfaceType: 'trunk',
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: trunkTags(input.clusterName, input.instanceId, input.extraTags) }],
      },
      { priority: 'trunk', purpose: ['trunk', input.clusterName, input.instanceId, String(input.generation)] },
    );
    eniId = eni.NetworkInterfaceId as string;
  } catch (err) {
    throw new TrunkCreationError('create', err, undefined);
  }
  let attachmentId: string;
  try {
    const out = await ec2.attachNetworkInterface(
      { NetworkInterfaceId: eniId, InstanceId: input.instanceId, DeviceIndex: input.deviceIndex, NetworkCardIndex: input.networkCardIndex },
      { priority: 'trunk' },
    );
    if (!out.AttachmentId) throw new Error('AttachNetworkInterface returned no AttachmentId');
    attachmentId = out.AttachmentId;
  } catch (err) {
    // An attach can take effect although its answer was lost (a 500, a reset connection): keep the
    // trunk then, instead of detaching and deleting it and leaving the node without one (issue 10).
    const took = await attachmentTo(ec2, eniId, input.instanceId);
    if (!took) {
      const left = await rollback(ec2, { eniId }, log);
      throw new TrunkCreationError('attach', err, left);
    }
    log.warn({ eniId, instanceId: input.instanceId, attachmentId: took, err: toEc2Error('AttachNetworkInterface', err).message }, 'trunk attach reported failed but took effect; kept');
    attachmentId = took;
  }
  try {
    await setDeleteOnTermination(ec2, eniId, attachmentId);
  } catch (err) {
    const left = await rollback(ec2, { eniId, attachmentId }, log);
    throw new TrunkCreationError('delete-on-termination', err, left);
  }
  return { eniId, attachmentId };
}

/** The ID of the ENI's attachment to this instance (attaching or attached), if EC2 shows one. */
async function attachmentTo(ec2: Ec2Api, eniId: string, instanceId: string): Promise<string | undefined> {
  try {
    const [eni] = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [eniId] }, { priority: 'trunk' });
    const att = eni?.Attachment;
    return att?.InstanceId === instanceId && (att.Status === 'attached' || att.Status === 'attaching') ? att.AttachmentId : undefined;
  } catch {
    return undefined;
  }
}

export async function setDeleteOnTermination(ec2: Ec2Api, eniId: string, attachmentId: string): Promise<void> {
  await ec2.modifyNetworkInterfaceAttribute(
    { NetworkInterfaceId: eniId, Attachment: { AttachmentId: attachmentId, DeleteOnTermination: true } },
    { priority: 'trunk' },
  );
}

export async function setTrunkGroups(ec2: Ec2Api, eniId: string, groups: readonly string[]): Promise<void> {
  await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eniId, Groups: [...groups] }, { priority: 'background' });
}

/** Best effort now; returns what is still left (undefined = fully undone). */
async function rollback(ec2: Ec2Api, what: { eniId: string; attachmentId?: string }, log: Logger): Promise<{ eniId: string; attachmentId?: string } | undefined> {
  try {
    const done = await finishRollback(ec2, what);
    return done ? undefined : what;
  } catch (err) {
    log.warn({ eniId: what.eniId, err: toEc2Error('rollback', err).message }, 'trunk rollback incomplete; will retry');
    return what;
  }
}

/**
 * One step towards removing a half-made trunk: detach when attached, delete once available.
 * Returns true when the ENI is gone. Safe to call repeatedly (NotFound counts as done).
 */
export async function finishRollback(ec2: Ec2Api, what: { eniId: string; attachmentId?: string }): Promise<boolean> {
  let enis;
  try {
    enis = await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [what.eniId] }, { priority: 'release' });
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
  const eni = enis[0];
  if (!eni) return true;
  const att = eni.Attachment;
  if (att?.AttachmentId && (att.Status === 'attached' || att.Status === 'attaching')) {
    try {
      await ec2.detachNetworkInterface({ AttachmentId: att.AttachmentId, Force: true }, { priority: 'release' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return false;
  }
  if (att && att.Status === 'detaching') return false;
  try {
    await ec2.deleteNetworkInterface({ NetworkInterfaceId: what.eniId }, { priority: 'release' });
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
  return true;
}
