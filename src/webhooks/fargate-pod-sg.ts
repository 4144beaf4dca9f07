// Fargate pods get their security groups from the `fargate.amazonaws.com/pod-sg` annotation (the
// groups, comma separated), not from a branch ENI: Fargate reads it when it starts the pod. Upstream
// (webhooks/core/pod_webhook.go, HandleFargatePod) sets it in the mutating webhook at creation and
// removes one the creator wrote when no policy matches; the validating webhook then guards it.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ANNOTATION_FARGATE_POD_SG, LABEL_FARGATE_PROFILE } from '../apis/constants.js';
import { jsonPointerEscape, type JsonPatchOp } from '../kube/patch.js';
import { allowed, denied, isRecord, type AdmissionReview, type AdmissionReviewRequest } from './admission-review.js';
import type { ResolvePodSecurityGroups } from './pod-mutator.js';
import { DEFAULT_RESOLVER_TIMEOUT_MS, withTimeout } from './resolver-deadline.js';

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

/**
 * vpod's check of a Fargate pod created with the annotation. Inside mpod's scope mpod has already
 * set it to the matched groups, so it passes. Outside that scope (kube-system and the controller's
 * own pods by default, docs/webhooks.md) nothing else would stop a creator from choosing a pod's
 * groups, so a value other than the matched groups is denied. Undefined when the request is not
 * such a CREATE (the ordinary annotation rules apply). A failed lookup admits, with a warning, as
 * the mutating webhook does.
 */
export async function checkFargatePodSgAtCreate(
  review: AdmissionReviewRequest,
  resolve: ResolvePodSecurityGroups,
  logger: Logger,
  timeoutMs: number = DEFAULT_RESOLVER_TIMEOUT_MS,
): Promise<AdmissionReview | undefined> {
  const { request } = review;
  if (request.operation !== 'CREATE' || !isRecord(request.object)) return undefined;
  const pod = request.object as V1Pod;
  const annotations: unknown = pod.metadata?.annotations;
  if (!isFargatePod(pod) || !isRecord(annotations) || !Object.prototype.hasOwnProperty.call(annotations, ANNOTATION_FARGATE_POD_SG)) return undefined;
  if (pod.spec?.hostNetwork === true) return undefined;
  const namespace = request.namespace || pod.metadata?.namespace || '';
  const given = annotations[ANNOTATION_FARGATE_POD_SG];
  let groups: string[];
  try {
    ({ groups } = await withTimeout(resolve(pod, namespace), timeoutMs));
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    logger.warn({ webhook: 'vpod', namespace, err: cause }, 'could not check the pod-sg annotation of a new Fargate pod');
    return allowed(request.uid, { warnings: [`vpc-resource-controller could not check the ${ANNOTATION_FARGATE_POD_SG} annotation against the SecurityGroupPolicies (${cause})`] });
  }
  const want = fargatePodSgValue(groups);
  if (groups.length > 0 && given === want) return undefined;
  const user = request.userInfo.username ?? '';
  logger.info({ webhook: 'vpod', namespace, user }, 'denied: Fargate pod created with a pod-sg annotation the policies do not give');
  return denied(
    request.uid,
    `pod cannot be created with ${ANNOTATION_FARGATE_POD_SG}=${JSON.stringify(given)} (requested by ${user === '' ? 'an anonymous user' : `user "${user}"`}): ` +
      (groups.length > 0
        ? `the SecurityGroupPolicies of namespace ${namespace} give "${want}"`
        : `no SecurityGroupPolicy of namespace ${namespace} selects this pod`) +
      '; remove the annotation, the VPC resource controller sets it',
  );
}
