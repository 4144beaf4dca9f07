// vpod.vpc.k8s.aws at /validate-v1-pod: the `vpc.amazonaws.com/pod-eni` annotation tells the CNI
// which branch ENI and VLAN to plumb into the pod, so a forged one would hand a pod another pod's
// network identity. No pod is created with it; only the controller may add, change or remove it.
// The `fargate.amazonaws.com/pod-sg` annotation (a Fargate pod's groups) is set by the mutating
// webhook at creation; after that, only the controller identities may change it (upstream denies
// every change, see docs/differences-from-eks.md).
import type { Logger } from 'pino';
import { ANNOTATION_FARGATE_POD_SG, ANNOTATION_POD_ENI, DEFAULT_CONTROLLER_IDENTITIES } from '../apis/constants.js';
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
    if (annotationOf(pod, ANNOTATION_POD_ENI) !== undefined) {
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

  const identities = deps.controllerIdentities ?? DEFAULT_CONTROLLER_IDENTITIES;
  if (identities.includes(user)) return allowed(request.uid);
  const oldPod = requireObject(request, 'oldObject');
  const newPod = requireObject(request, 'object');
  for (const key of [ANNOTATION_FARGATE_POD_SG, ANNOTATION_POD_ENI]) {
    const change = annotationChange(annotationOf(oldPod, key), annotationOf(newPod, key));
    if (change === undefined) continue;
    deps.logger.info(
      { webhook: 'vpod', namespace: request.namespace, name: request.name, user, change, annotation: key },
      'denied: guarded annotation changed by a non-controller identity',
    );
    const setBy = key === ANNOTATION_FARGATE_POD_SG ? 'it is set by the mutating webhook when the Fargate pod is created, and ' : '';
    return denied(
      request.uid,
      `${who} may not ${change} the ${key} annotation on pod ${request.namespace ?? ''}/${request.name ?? ''}: ` +
        `${setBy}only the VPC resource controller identities may (${identities.join(', ')})`,
    );
  }
  return allowed(request.uid);
}

function annotationOf(obj: Record<string, unknown>, key: string): string | undefined {
  const meta = obj.metadata;
  if (!isRecord(meta) || !isRecord(meta.annotations)) return undefined;
  const annotations = meta.annotations;
  if (!Object.prototype.hasOwnProperty.call(annotations, key)) return undefined;
  const value = annotations[key];
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
