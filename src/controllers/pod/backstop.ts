// The backstop for the mutating webhook (its failurePolicy is Ignore, and it can be bypassed): a
// pod that a SecurityGroupPolicy selects but that does not request vpc.amazonaws.com/pod-eni runs
// on the node's security groups. That must never go unnoticed. Pure: the caller emits the event.
import { ANNOTATION_POD_ENI, LABEL_FARGATE_PROFILE, RESOURCE_POD_ENI } from '../../apis/constants.js';
import { matchSecurityGroups, type PodFacts } from '../../domain/sgp-matching.js';

export interface BackstopInput {
  pod: PodFacts;
  /** Effective pod-eni request of the pod (0 = none). */
  requested: number;
  phase: string | undefined;
  annotations: Readonly<Record<string, string>> | undefined;
  policies: readonly unknown[];
  serviceAccountLabels: Readonly<Record<string, string>> | undefined;
}

/** The Warning message when the pod should have asked for a branch ENI and did not; undefined otherwise. */
export function missingResourceWarning(input: BackstopInput): string | undefined {
  if (input.requested > 0) return undefined;
  if (input.phase === 'Succeeded' || input.phase === 'Failed') return undefined;
  // A Fargate pod gets its groups from the pod-sg annotation, never a branch ENI.
  if (Object.hasOwn(input.pod.labels ?? {}, LABEL_FARGATE_PROFILE)) return undefined;
  // Annotated by someone (another controller): it has its branch ENI, whatever its resources say.
  if (input.annotations?.[ANNOTATION_POD_ENI]) return undefined;
  const match = matchSecurityGroups({ pod: input.pod, policies: input.policies, serviceAccountLabels: input.serviceAccountLabels });
  if (match.matchedPolicies.length === 0) return undefined;
  return (
    `pod matches SecurityGroupPolicy ${match.matchedPolicies.join(', ')} (security groups [${match.groups.join(' ')}${match.unresolvedPolicies.length > 0 ? ' and those it names by name or tag' : ''}]) ` +
    `but does not request ${RESOURCE_POD_ENI}, so it runs with the node's security groups instead: the ` +
    `mutating webhook was unreachable, bypassed or does not cover this namespace. Fix: make sure the ` +
    `vpc-resource-controller webhook is reachable and covers namespace ${input.pod.namespace}, then recreate the pod ` +
    `(e.g. kubectl rollout restart, or delete it so its controller makes a new one)`
  );
}
