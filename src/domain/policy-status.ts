// The status a SecurityGroupPolicy should show (issue 14): a Ready condition whose reason says
// why not (Invalid, GroupsNotFound, QuotaExceeded, GroupsNotResolved), the group IDs it stands
// for, how many running pods it selects, and the generation this describes. Pure: the caller
// validates, resolves and counts, and writes the result through the status subresource.
import type { PolicyCondition, SecurityGroupPolicyStatus } from '../apis/security-group-policy.js';
import type { GroupResolution } from './policy-groups.js';

export const CONDITION_READY = 'Ready';
export const READY_REASON_RESOLVED = 'Resolved';
export const READY_REASON_INVALID = 'Invalid';

export interface PolicyStatusInput {
  generation: number | undefined;
  /** Validation errors (empty when the policy is valid). */
  errors: readonly string[];
  /** The groups resolution; undefined for an invalid policy. */
  resolution: GroupResolution | undefined;
  /** Whether the policy has a pod or ServiceAccount selector (without one it matches nothing). */
  selects: boolean;
  matchedPods: number;
  previous: SecurityGroupPolicyStatus | undefined;
  /** RFC 3339 time for a condition that changes now. */
  now: string;
}

export function desiredPolicyStatus(input: PolicyStatusInput): SecurityGroupPolicyStatus {
  const ready = readyCondition(input);
  const prev = input.previous?.conditions?.find((c) => c.type === CONDITION_READY);
  // A condition keeps its transition time until its status changes (metav1.Condition's rule).
  const lastTransitionTime = prev && prev.status === ready.status ? prev.lastTransitionTime : input.now;
  const condition: PolicyCondition = {
    ...ready,
    lastTransitionTime,
    ...(input.generation !== undefined ? { observedGeneration: input.generation } : {}),
  };
  return {
    ...(input.generation !== undefined ? { observedGeneration: input.generation } : {}),
    conditions: [condition],
    resolvedGroupIds: input.resolution?.ok ? input.resolution.groups : [],
    matchedPods: input.matchedPods,
  };
}

function readyCondition(input: PolicyStatusInput): Pick<PolicyCondition, 'type' | 'status' | 'reason' | 'message'> {
  if (input.errors.length > 0) {
    return { type: CONDITION_READY, status: 'False', reason: READY_REASON_INVALID, message: `the policy is invalid and ignored: ${input.errors.join('; ')}` };
  }
  const r = input.resolution;
  if (!r) return { type: CONDITION_READY, status: 'Unknown', reason: 'GroupsNotResolved', message: 'not resolved yet' };
  if (!r.ok) return { type: CONDITION_READY, status: r.reason === 'GroupsNotResolved' ? 'Unknown' : 'False', reason: r.reason, message: r.message };
  const selects = input.selects ? '' : '; it has neither podSelector nor serviceAccountSelector, so it selects no pod';
  return { type: CONDITION_READY, status: 'True', reason: READY_REASON_RESOLVED, message: `security groups [${r.groups.join(' ')}]${selects}` };
}

/** Whether two statuses say the same (so no write is needed). */
export function sameStatus(a: SecurityGroupPolicyStatus | undefined, b: SecurityGroupPolicyStatus): boolean {
  return JSON.stringify(normal(a)) === JSON.stringify(normal(b));
}

function normal(s: SecurityGroupPolicyStatus | undefined): unknown {
  if (!s) return undefined;
  return {
    observedGeneration: s.observedGeneration,
    matchedPods: s.matchedPods,
    resolvedGroupIds: s.resolvedGroupIds ?? [],
    conditions: (s.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime, observedGeneration: c.observedGeneration })),
  };
}
