// `vpcrc cleanup` (issue 10, item 7): every ENI this cluster's controller owns, for uninstall and
// cluster teardown (upstream's user guide tells users to delete them by hand). Ownership is the
// contract's tags only — `eks:eni:owner=eks-vpc-resource-controller` AND
// `kubernetes.io/cluster/<cluster>=owned` — so another cluster's ENIs (or anything else in the
// account) are never listed. Branch ENIs first (disassociated, then deleted), then trunks whose
// instance is terminated or gone (a trunk still attached to a running instance is kept and listed
// as such: deleting it would need a detach from a live node).
//
// Run it after the controller is stopped (or uninstalled): a running controller would make new
// branch ENIs for the pods that still ask for them.
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import {
  BRANCH_ENI_DESCRIPTION,
  TAG_INSTANCE_ID,
  TAG_POD_NAME,
  TAG_POD_NAMESPACE,
  TAG_TRUNK_ENI_ID,
  TRUNK_ENI_DESCRIPTION,
} from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { isNotFound } from '../../aws/error-classes.js';
import { ownedEniFilters, releaseBranch, tagOf } from '../pod/branch-eni-ops.js';

export interface OwnedEni {
  eniId: string;
  kind: 'branch' | 'trunk';
  /** Branch: its trunk; trunk: its instance. */
  parent?: string;
  /** Branch: the pod it was made for (ns/name). */
  pod?: string;
  /** Trunk: why it is deleted or kept. */
  instanceState?: string;
}

export interface CleanupPlan {
  clusterName: string;
  branches: OwnedEni[];
  /** Trunks to delete: their instance is terminated or gone, or they are attached to nothing. */
  trunks: OwnedEni[];
  /** Trunks attached to an instance that still runs: left alone. */
  kept: OwnedEni[];
}

export interface CleanupResult {
  deleted: string[];
  failed: { eniId: string; error: string }[];
}

const isTrunk = (e: NetworkInterface): boolean => e.InterfaceType === 'trunk' || e.Description === TRUNK_ENI_DESCRIPTION;
const isBranch = (e: NetworkInterface): boolean => !isTrunk(e) && (e.Description === BRANCH_ENI_DESCRIPTION || tagOf(e, TAG_TRUNK_ENI_ID) !== undefined);

/** What `cleanup` would delete, read from EC2 (paged describes). */
export async function planCleanup(ec2: Ec2Api, clusterName: string): Promise<CleanupPlan> {
  const owned = await ec2.describeNetworkInterfaces(
    {
      Filters: ownedEniFilters(clusterName),
    },
    { priority: 'background' },
  );
  const plan: CleanupPlan = { clusterName, branches: [], trunks: [], kept: [] };
  const trunks = owned.filter(isTrunk);
  for (const e of owned.filter(isBranch)) {
    const ns = tagOf(e, TAG_POD_NAMESPACE);
    const name = tagOf(e, TAG_POD_NAME);
    const parent = tagOf(e, TAG_TRUNK_ENI_ID);
    plan.branches.push({ eniId: e.NetworkInterfaceId as string, kind: 'branch', ...(parent ? { parent } : {}), ...(ns && name ? { pod: `${ns}/${name}` } : {}) });
  }
  const instanceIds = [...new Set(trunks.map((t) => t.Attachment?.InstanceId ?? tagOf(t, TAG_INSTANCE_ID)).filter((i): i is string => !!i))];
  const states = new Map<string, string>();
  if (instanceIds.length > 0) {
    const found = await ec2.describeInstances({ Filters: [{ Name: 'instance-id', Values: instanceIds }] }, { priority: 'background' });
    for (const i of found) if (i.InstanceId) states.set(i.InstanceId, i.State?.Name ?? 'unknown');
  }
  for (const t of trunks) {
    const instanceId = t.Attachment?.InstanceId ?? tagOf(t, TAG_INSTANCE_ID);
    const state = instanceId ? (states.get(instanceId) ?? 'gone') : 'none';
    const attachedLive = !!t.Attachment?.InstanceId && state !== 'terminated' && state !== 'gone' && state !== 'shutting-down';
    const item: OwnedEni = { eniId: t.NetworkInterfaceId as string, kind: 'trunk', ...(instanceId ? { parent: instanceId } : {}), instanceState: state };
    (attachedLive ? plan.kept : plan.trunks).push(item);
  }
  return plan;
}

/** Delete what the plan lists: branches first, then trunks. NotFound counts as deleted. */
export async function runCleanup(ec2: Ec2Api, plan: CleanupPlan, onDeleted: (e: OwnedEni) => void = () => {}): Promise<CleanupResult> {
  const result: CleanupResult = { deleted: [], failed: [] };
  const one = async (e: OwnedEni, del: () => Promise<void>): Promise<void> => {
    try {
      await del();
      result.deleted.push(e.eniId);
      onDeleted(e);
    } catch (err) {
      if (isNotFound(err)) {
        result.deleted.push(e.eniId);
        return;
      }
      result.failed.push({ eniId: e.eniId, error: err instanceof Error ? err.message : String(err) });
    }
  };
  // A few at a time: the gateway paces them anyway, and a teardown need not be slow.
  await inBatches(plan.branches, 8, (e) => one(e, () => releaseBranch(ec2, { eniId: e.eniId })));
  await inBatches(plan.trunks, 8, (e) => one(e, () => ec2.deleteNetworkInterface({ NetworkInterfaceId: e.eniId }, { priority: 'release' })));
  return result;
}

async function inBatches<T>(items: readonly T[], size: number, f: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(f));
}

/** The plan as text lines, one ENI a line (what the dry run prints). */
export function describePlan(plan: CleanupPlan): string[] {
  const lines: string[] = [];
  for (const b of plan.branches) lines.push(`branch ${b.eniId}${b.parent ? ` trunk=${b.parent}` : ''}${b.pod ? ` pod=${b.pod}` : ''}`);
  for (const t of plan.trunks) lines.push(`trunk  ${t.eniId}${t.parent ? ` instance=${t.parent}` : ''} (${t.instanceState})`);
  for (const t of plan.kept) lines.push(`kept   ${t.eniId}${t.parent ? ` instance=${t.parent}` : ''} (trunk of a ${t.instanceState} instance; not deleted)`);
  return lines;
}
