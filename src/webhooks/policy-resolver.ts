// The mutating webhook's view of SecurityGroupPolicies: a resolver over whatever holds the
// policies and ServiceAccounts (the controller's informer caches), built on the pure matcher.
import type { V1Pod } from '@kubernetes/client-node';
import { matchSecurityGroups, needsServiceAccountLabels, serviceAccountOf, type PodFacts } from '../domain/sgp-matching.js';

export interface PolicySource {
  /**
   * False while the caches behind this source are still loading (informers not synced). The
   * resolver then fails instead of answering "no policy matches" from an empty cache, so the pod is
   * admitted with a warning and counted (see pod-mutator), rather than silently missed.
   */
  ready?(): boolean;
  /** SecurityGroupPolicies in a namespace, as raw objects (the matcher validates them). */
  listPolicies(namespace: string): readonly unknown[] | Promise<readonly unknown[]>;
  /** Labels of a ServiceAccount; undefined when it does not exist (or is not cached yet). */
  serviceAccountLabels(
    namespace: string,
    name: string,
  ): Readonly<Record<string, string>> | undefined | Promise<Readonly<Record<string, string>> | undefined>;
}

export interface ResolvedSecurityGroups {
  groups: string[];
  /** Some policy selects the pod (its groups by name or tag may still be unresolved). */
  matched: boolean;
  /** Shown to the user creating the pod (AdmissionResponse.warnings): what was not applied and why. */
  warnings?: string[];
  /**
   * Matching policies that name groups by name or tag: not resolved at admission (no EC2 call in the
   * webhook), so their groups are missing from `groups`. Only Fargate pods care (their groups are
   * written at admission); for others the controller resolves them later.
   */
  unresolvedPolicies?: string[];
}

/**
 * Resolves a pod's groups at admission. The ServiceAccount is looked up only when some policy's
 * answer depends on it, so a missing or uncached ServiceAccount never delays a pod no policy wants;
 * when it is missing, the policies that needed it do not match and the response says so.
 */
export function createPolicyResolver(source: PolicySource): (pod: V1Pod, namespace: string) => Promise<ResolvedSecurityGroups> {
  return async (pod, namespace) => {
    if (source.ready && !source.ready()) throw new Error('SecurityGroupPolicy and ServiceAccount caches are not synced yet');
    const facts: PodFacts = {
      namespace,
      labels: pod.metadata?.labels ?? {},
      serviceAccountName: pod.spec?.serviceAccountName ?? null,
      hostNetwork: pod.spec?.hostNetwork ?? null,
    };
    const policies = await source.listPolicies(namespace);
    if (policies.length === 0) return { groups: [], matched: false };
    const sa = serviceAccountOf(facts);
    const saLabels = needsServiceAccountLabels({ pod: facts, policies }) ? await source.serviceAccountLabels(namespace, sa) : undefined;
    const result = matchSecurityGroups({ pod: facts, policies, serviceAccountLabels: saLabels });
    const warnings = result.undecidedWithoutServiceAccount.map(
      (name) => `SecurityGroupPolicy ${namespace}/${name} not applied: it selects by ServiceAccount labels and ServiceAccount ${namespace}/${sa} was not found`,
    );
    const matched = result.matchedPolicies.length > 0;
    const unresolved = result.unresolvedPolicies.map((u) => u.name);
    return {
      groups: result.groups,
      matched,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(unresolved.length > 0 ? { unresolvedPolicies: unresolved } : {}),
    };
  };
}
