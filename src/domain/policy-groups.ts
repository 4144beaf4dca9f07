// Which security group IDs a policy's spec.securityGroups stands for. IDs are taken as given (EC2
// reports a missing one at allocation, as upstream); names and tags (ours) are looked up in the
// cluster's VPC, whose groups the caller passes as a catalog. Pure: the catalog is read elsewhere.
import type { PolicySecurityGroups } from '../apis/security-group-policy.js';

/** One security group of the cluster's VPC, as DescribeSecurityGroups tells it. */
export interface GroupFacts {
  groupId: string;
  groupName: string;
  tags: Readonly<Record<string, string>>;
}

/** Why a policy's groups cannot be used; also the reason of its Ready condition. */
export type GroupProblem = 'GroupsNotFound' | 'QuotaExceeded' | 'GroupsNotResolved';

export type GroupResolution = { ok: true; groups: string[] } | { ok: false; reason: GroupProblem; message: string };

/** Whether the policy needs the VPC's groups (names or tags) to know its group IDs. */
export function usesGroupLookup(sg: PolicySecurityGroups | undefined): boolean {
  return (sg?.groupNames?.length ?? 0) > 0 || Object.keys(sg?.groupTags ?? {}).length > 0;
}

const tagText = (tags: Readonly<Record<string, string>>): string =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * The policy's groups: IDs in listed order, then names in listed order, then the groups carrying
 * every tag sorted by ID; duplicates removed. `catalog` undefined means the VPC's groups are not
 * known yet. A name or tag set that finds nothing, or more groups than `quota`, is a problem whose
 * message names what to fix: pods of such a policy must not get an ENI with only part of its groups.
 */
export function resolvePolicyGroups(sg: PolicySecurityGroups | undefined, catalog: readonly GroupFacts[] | undefined, quota: number): GroupResolution {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string): void => {
    if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  };
  for (const id of sg?.groupIds ?? []) add(id);
  if (usesGroupLookup(sg)) {
    if (!catalog) {
      return { ok: false, reason: 'GroupsNotResolved', message: "the security groups of the cluster's VPC have not been read yet; pods of this policy wait until they are" };
    }
    const missing: string[] = [];
    for (const name of sg?.groupNames ?? []) {
      // Names are unique within a VPC, so at most one group answers.
      const g = catalog.find((c) => c.groupName === name);
      if (g) add(g.groupId);
      else missing.push(`name "${name}"`);
    }
    const tags = sg?.groupTags ?? {};
    if (Object.keys(tags).length > 0) {
      const tagged = catalog.filter((c) => Object.entries(tags).every(([k, v]) => c.tags[k] === v)).map((c) => c.groupId);
      tagged.sort();
      if (tagged.length === 0) missing.push(`tags ${tagText(tags)}`);
      for (const id of tagged) add(id);
    }
    if (missing.length > 0) {
      return {
        ok: false,
        reason: 'GroupsNotFound',
        message: `no security group in the cluster's VPC matches ${missing.join('; ')}; create the group (or fix the name or tags) and the policy is applied within the next refresh`,
      };
    }
  }
  if (out.length > quota) {
    return {
      ok: false,
      reason: 'QuotaExceeded',
      message:
        `the policy resolves to ${out.length} security groups [${out.join(' ')}], more than the quota of ${quota} per network interface; ` +
        `narrow its names or tags, or raise the EC2 quota "Security groups per network interface" (and the controller's setting to match)`,
    };
  }
  return { ok: true, groups: out };
}
