// vpod.vpc.k8s.aws at /validate-v1-pod: the `vpc.amazonaws.com/pod-eni` annotation tells the CNI
// which branch ENI and VLAN to plumb into the pod, so a forged one would hand a pod another pod's
// network identity. No pod is created with it; only the controller may add, change or remove it.
import type { Logger } from 'pino';
import { ANNOTATION_POD_ENI, DEFAULT_CONTROLLER_IDENTITIES } from '../apis/constants.js';
import {
  allowed,
  denied,
  isRecord,
  requireKind,
  requireObject,
  type AdmissionReview,
  type AdmissionReviewRequest,
} from './admission-review.js';

export interface PodAnnotationValidatorDeps {
  /** Usernames allowed to add, change or remove the annotation (default DEFAULT_CONTROLLER_IDENTITIES). */
  controllerIdentities?: readonly string[];
  logger: Logger;
}

type AnnotationChange = 'add' | 'change' | 'remove' | undefined;

export function validatePodAnnotation(review: AdmissionReviewRequest, deps: PodAnnotationValidatorDeps): AdmissionReview {
  const { request } = review;
  requireKind(request, 'Pod');
  const user = request.userInfo.username ?? '';
  const who = user === '' ? 'an anonymous user' : `user "${user}"`;
  if (request.operation === 'CREATE') {
    const pod = requireObject(request, 'object');
    if (annotationOf(pod) !== undefined) {
      deps.logger.info({ webhook: 'vpod', namespace: request.namespace, user }, 'denied: pod created with the pod-eni annotation');
      return denied(
        request.uid,
        `pod cannot be created with the ${ANNOTATION_POD_ENI} annotation (requested by ${who}): ` +
          'only the VPC resource controller sets it, after it has allocated a branch ENI to the running pod',
      );
    }
    return allowed(request.uid);
  }
  if (request.operation !== 'UPDATE') return allowed(request.uid);

  const change = annotationChange(annotationOf(requireObject(request, 'oldObject')), annotationOf(requireObject(request, 'object')));
  if (change === undefined) return allowed(request.uid);
  const identities = deps.controllerIdentities ?? DEFAULT_CONTROLLER_IDENTITIES;
  if (identities.includes(user)) return allowed(request.uid);
  deps.logger.info(
    { webhook: 'vpod', namespace: request.namespace, name: request.name, user, change },
    'denied: pod-eni annotation changed by a non-controller identity',
  );
  return denied(
    request.uid,
    `${who} may not ${change} the ${ANNOTATION_POD_ENI} annotation on pod ${request.namespace ?? ''}/${request.name ?? ''}: ` +
      `only the VPC resource controller identities may (${identities.join(', ')})`,
  );
}

function annotationOf(obj: Record<string, unknown>): string | undefined {
  const meta = obj.metadata;
  if (!isRecord(meta) || !isRecord(meta.annotations)) return undefined;
  const annotations = meta.annotations;
  if (!Object.prototype.hasOwnProperty.call(annotations, ANNOTATION_POD_ENI)) return undefined;
  const value = annotations[ANNOTATION_POD_ENI];
  // An annotation value is a string; anything else still counts as "present" (and as tampering).
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Presence matters, not just the value: adding an empty annotation is a change too. */
function annotationChange(before: string | undefined, after: string | undefined): AnnotationChange {
  if (before === after) return undefined;
  if (before === undefined) return 'add';
  if (after === undefined) return 'remove';
  return 'change';
}
