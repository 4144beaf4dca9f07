// Fargate pods get their security groups from the `fargate.amazonaws.com/pod-sg` annotation (the
// groups, comma separated), not from a branch ENI: Fargate reads it when it starts the pod. Upstream
// (webhooks/core/pod_webhook.go, HandleFargatePod) sets it in the mutating webhook at creation and
// removes one the creator wrote when no policy matches; the validating webhook then guards it.
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_FARGATE_POD_SG, LABEL_FARGATE_PROFILE } from '../apis/constants.js';
import { jsonPointerEscape, type JsonPatchOp } from '../kube/patch.js';
import { isRecord } from './admission-review.js';

/** A pod Fargate will run: it carries the Fargate profile label (any value), as upstream checks. */
export function isFargatePod(pod: V1Pod): boolean {
  const labels: unknown = pod.metadata?.labels;
  return isRecord(labels) && Object.prototype.hasOwnProperty.call(labels, LABEL_FARGATE_PROFILE);
}

/** The annotation's value for these groups: comma separated, in the order given (policy order). */
export const fargatePodSgValue = (groups: readonly string[]): string => groups.join(',');

/**
 * The JSON patch that leaves the pod's annotation at exactly `groups`: set (adding the annotations
 * map if there is none), replaced when it differs, removed when `groups` is empty. Empty when the
 * pod already has the right value (or none and none is wanted).
 */
export function fargatePodSgPatch(pod: V1Pod, groups: readonly string[]): JsonPatchOp[] {
  const annotations: unknown = pod.metadata?.annotations;
  const has = isRecord(annotations) && Object.prototype.hasOwnProperty.call(annotations, ANNOTATION_FARGATE_POD_SG);
  const path = `/metadata/annotations/${jsonPointerEscape(ANNOTATION_FARGATE_POD_SG)}`;
  if (groups.length === 0) return has ? [{ op: 'remove', path }] : [];
  const value = fargatePodSgValue(groups);
  if (has && annotations[ANNOTATION_FARGATE_POD_SG] === value) return [];
  if (!isRecord(annotations)) {
    // No map (or an explicit null): `add` of the whole map; metadata itself always exists on a pod in review.
    return [{ op: 'add', path: '/metadata/annotations', value: { [ANNOTATION_FARGATE_POD_SG]: value } }];
  }
  return [{ op: has ? 'replace' : 'add', path, value }];
}

export function fargateResolverFailureWarning(cause: string): string {
  return (
    `vpc-resource-controller could not check SecurityGroupPolicies for this Fargate pod (${cause}); ` +
    `it was admitted without the ${ANNOTATION_FARGATE_POD_SG} annotation, so it runs without its policy's security groups: ` +
    'delete and recreate the pod once the controller is reachable'
  );
}
