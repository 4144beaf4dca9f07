// Which security groups a pod gets from SecurityGroupPolicies (contract §2). Pure: the caller
// passes the pod's facts, the policies from its cache and the labels of the pod's
// ServiceAccount (undefined when that ServiceAccount is not known).
import { parseSecurityGroupPolicy, type SecurityGroupPolicy } from '../apis/security-group-policy.js';
import { matchesLabelSelector } from './label-selector.js';
import { usesGroupLookup, type GroupProblem, type GroupResolution } from './policy-groups.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface PodFacts {
  namespace: string;
  labels?: Readonly<Record<string, string>> | null;
  /** spec.serviceAccountName; empty or missing means `default`. */
  serviceAccountName?: string | null;
  hostNetwork?: boolean | null;
}

export interface MatchInput {
  pod: PodFacts;
  /** SecurityGroupPolicies as read from the cluster: validated here, so raw cache objects are fine. */
  policies: readonly unknown[];
  /** Labels of the ServiceAccount object the pod runs as; undefined when it does not exist (yet). */
  serviceAccountLabels: Readonly<Record<string, string>> | undefined;
  /**
   * The group IDs of a policy that names groups by name or tag (policy-groups.ts). Without it such
   * a policy still matches but its groups are unresolved: the caller must not allocate on a part.
   */
  resolveGroups?: (policy: SecurityGroupPolicy) => GroupResolution;
}

export interface UnresolvedPolicy {
  name: string;
  reason: GroupProblem;
  message: string;
}

export interface MatchResult {
  /** Union of the matching policies' groups: policies by name, then listed order, no duplicates. */
  groups: string[];
  /** Names of the matching policies, sorted (unresolved ones included). */
  matchedPolicies: string[];
  /**
   * Matching policies whose groups by name or tag could not be resolved: their groups are missing
   * from `groups`, so a caller that would create an ENI must wait instead (never give a part).
   */
  unresolvedPolicies: UnresolvedPolicy[];
  /** Policies in the pod's namespace that failed validation; ignored for matching. */
  invalidPolicies: { name: string; errors: string[] }[];
  /**
   * Policies that would need the ServiceAccount's labels to decide (their pod selector, if any,
   * matched) while those labels were unknown: they did not match. Lets the caller say "policy X
   * not applied: ServiceAccount Y not found" instead of failing silently or blocking the pod.
   */
  undecidedWithoutServiceAccount: string[];
}

export const serviceAccountOf = (pod: Pick<PodFacts, 'serviceAccountName'>): string =>
  pod.serviceAccountName ? pod.serviceAccountName : DEFAULT_SERVICE_ACCOUNT;

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function policyName(obj: unknown): string {
  const name = (obj as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' && name !== '' ? name : '(unnamed)';
}

function policyNamespace(obj: unknown): unknown {
  return (obj as { metadata?: { namespace?: unknown } } | null)?.metadata?.namespace;
}

// Validation is by far the costliest step (zod), and the same policy objects come back from
// the informer cache for every pod, so results are remembered per object. Cache objects are
// replaced, never mutated, on update; a caller that mutates a policy in place must pass a copy.
const parsedPolicies = new WeakMap<object, ReturnType<typeof parseSecurityGroupPolicy>>();

function parsePolicy(obj: unknown): ReturnType<typeof parseSecurityGroupPolicy> {
  if (typeof obj !== 'object' || obj === null) return parseSecurityGroupPolicy(obj);
  let parsed = parsedPolicies.get(obj);
  if (!parsed) {
    parsed = parseSecurityGroupPolicy(obj);
    parsedPolicies.set(obj, parsed);
  }
  return parsed;
}

interface Candidate {
  name: string;
  policy: SecurityGroupPolicy;
}

/** Valid policies of the pod's namespace, sorted by name, plus the invalid ones reported. */
function candidates(namespace: string, policies: MatchInput['policies']): { valid: Candidate[]; invalid: MatchResult['invalidPolicies'] } {
  const valid: Candidate[] = [];
  const invalid: MatchResult['invalidPolicies'] = [];
  for (const obj of policies) {
    if (policyNamespace(obj) !== namespace) continue;
    const parsed = parsePolicy(obj);
    if (parsed.ok) valid.push({ name: parsed.value.metadata.name, policy: parsed.value });
    else invalid.push({ name: policyName(obj), errors: [...parsed.errors] });
  }
  valid.sort((a, b) => byName(a.name, b.name));
  invalid.sort((a, b) => byName(a.name, b.name));
  return { valid, invalid };
}

export type Verdict = 'match' | 'no-match' | 'needs-service-account';

/** Whether one (valid) policy selects the pod; hostNetwork is the caller's to check. */
export function judge(policy: SecurityGroupPolicy, pod: PodFacts, saLabels: MatchInput['serviceAccountLabels']): Verdict {
  const { podSelector, serviceAccountSelector } = policy.spec;
  // Neither selector: matches nothing (as upstream), rather than everything.
  if (!podSelector && !serviceAccountSelector) return 'no-match';
  if (podSelector && !matchesLabelSelector(podSelector, pod.labels ?? {})) return 'no-match';
  if (!serviceAccountSelector) return 'match';
  // A ServiceAccount that does not exist has no labels to select on, not even for `{}`.
  if (saLabels === undefined) return 'needs-service-account';
  return matchesLabelSelector(serviceAccountSelector, saLabels) ? 'match' : 'no-match';
}

/** The security groups a pod gets, which policies gave them, and which policies are broken. */
export function matchSecurityGroups(input: MatchInput): MatchResult {
  const { valid, invalid } = candidates(input.pod.namespace, input.policies);
  const result: MatchResult = { groups: [], matchedPolicies: [], unresolvedPolicies: [], invalidPolicies: invalid, undecidedWithoutServiceAccount: [] };
  // Pods on the host network use the node's interfaces; a branch ENI would never be used.
  if (input.pod.hostNetwork === true) return result;
  const seen = new Set<string>();
  for (const { name, policy } of valid) {
    const verdict = judge(policy, input.pod, input.serviceAccountLabels);
    if (verdict === 'needs-service-account') result.undecidedWithoutServiceAccount.push(name);
    if (verdict !== 'match') continue;
    result.matchedPolicies.push(name);
    let ids: readonly string[] = policy.spec.securityGroups?.groupIds ?? [];
    if (usesGroupLookup(policy.spec.securityGroups)) {
      const r: GroupResolution = input.resolveGroups
        ? input.resolveGroups(policy)
        : { ok: false, reason: 'GroupsNotResolved', message: 'its groups by name or tag are not resolved here' };
      if (!r.ok) {
        result.unresolvedPolicies.push({ name, reason: r.reason, message: r.message });
        continue;
      }
      ids = r.groups;
    }
    for (const id of ids) {
      if (!seen.has(id)) {
        seen.add(id);
        result.groups.push(id);
      }
    }
  }
  return result;
}

/**
 * Whether the ServiceAccount's labels could change the answer for this pod: some valid policy
 * in its namespace has a ServiceAccount selector and its pod selector (if any) matches. When
 * false, the caller need not look the ServiceAccount up at all, so a missing or uncached
 * ServiceAccount can never delay or block a pod that no policy wants.
 */
export function needsServiceAccountLabels(input: Omit<MatchInput, 'serviceAccountLabels'>): boolean {
  if (input.pod.hostNetwork === true) return false;
  return candidates(input.pod.namespace, input.policies).valid.some(
    ({ policy }) => judge(policy, input.pod, undefined) === 'needs-service-account',
  );
}

/**
 * Undefined when `groups` fit the per-interface quota; otherwise the message for the Warning
 * event, naming the count, the groups and the quota, and what to do.
 */
export function checkGroupQuota(groups: readonly string[], quota: number): string | undefined {
  if (!Number.isInteger(quota) || quota < 1) throw new RangeError(`security group quota must be an integer >= 1 (got ${quota})`);
  if (groups.length <= quota) return undefined;
  return (
    `the matching SecurityGroupPolicies give ${groups.length} security groups [${groups.join(' ')}], ` +
    `more than the quota of ${quota} per network interface; reduce the groups in the policies or raise ` +
    `the EC2 quota "Security groups per network interface" (and the controller's setting to match)`
  );
}
