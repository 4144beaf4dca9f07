// mpod.vpc.k8s.aws at /mutate-v1-pod: a pod that matches a SecurityGroupPolicy asks the scheduler
// for one branch ENI, by container[0] requesting and limiting `vpc.amazonaws.com/pod-eni: "1"`.
// A Fargate pod never asks for a branch ENI: Fargate reads its groups from the
// `fargate.amazonaws.com/pod-sg` annotation, which this webhook sets (fargate-pod-sg.ts).
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LABEL_OS, REASON_MISSING_POD_ENI_RESOURCE, RESOURCE_POD_ENI } from '../apis/constants.js';
import { fargatePodSgPatch, fargateResolverFailureWarning, isFargatePod } from './fargate-pod-sg.js';
import {
  allowed,
  isRecord,
  requireKind,
  requireObject,
  BadAdmissionRequest,
  type AdmissionReview,
  type AdmissionReviewRequest,
} from './admission-review.js';
import { jsonPointerEscape, type JsonPatchOp } from '../kube/patch.js';
import type { WebhookMetrics } from './metrics.js';

/**
 * Groups from the SecurityGroupPolicies matching the pod (empty when none match), plus optional
 * warnings for the user (e.g. a policy skipped because the pod's ServiceAccount is missing).
 * `matched` is true when some policy selects the pod even if its groups (by name or tag) are not
 * known at admission: the pod needs its branch ENI all the same.
 */
export type ResolvePodSecurityGroups = (
  pod: V1Pod,
  namespace: string,
) => Promise<{ groups: string[]; matched?: boolean; warnings?: string[]; unresolvedPolicies?: string[] }>;

export interface PodMutatorDeps {
  resolvePodSecurityGroups: ResolvePodSecurityGroups;
  logger: Logger;
  metrics?: WebhookMetrics;
  /**
   * Deadline for the resolver, well under the webhook's timeoutSeconds, so that a stuck lookup
   * answers "allowed, unpatched" (and is counted) instead of letting the API server time out.
   */
  resolverTimeoutMs?: number;
}

export const DEFAULT_RESOLVER_TIMEOUT_MS = 2_000;
const POD_ENI_COUNT = '1';

/**
 * Answers a pod CREATE review. Anything but a matching, non-hostNetwork pod that does not yet ask
 * for pod-eni is allowed unchanged. A resolver failure never blocks the pod: it is allowed
 * unpatched with a warning, logged and counted, and the controller's backstop reports the pod if
 * it did match a policy (see docs/webhooks.md).
 */
export async function mutatePod(review: AdmissionReviewRequest, deps: PodMutatorDeps): Promise<AdmissionReview> {
  const { request } = review;
  requireKind(request, 'Pod');
  if (request.operation !== 'CREATE') return allowed(request.uid);
  const pod = requireObject(request, 'object') as V1Pod;
  const namespace = request.namespace || pod.metadata?.namespace;
  if (!namespace) throw new BadAdmissionRequest('AdmissionReview request.namespace is missing for a Pod');
  if (!isRecord(pod.spec) || !Array.isArray(pod.spec.containers)) {
    throw new BadAdmissionRequest('Pod in request.object has no spec.containers list');
  }
  if (pod.spec.hostNetwork === true) return allowed(request.uid);
  // Before the Windows check, as upstream: the Fargate profile label decides.
  const fargate = isFargatePod(pod);
  if (!fargate) {
    // Trunks exist only on Linux nodes: a Windows pod asking for pod-eni could never be scheduled.
    if (isWindowsPod(pod)) return allowed(request.uid);
    // The user (or a template) already chose how many branch ENIs it wants: keep that choice.
    if (podAlreadyRequestsPodEni(pod)) return allowed(request.uid);
  }

  const log = deps.logger.child({ webhook: 'mpod', namespace, pod: pod.metadata?.name ?? pod.metadata?.generateName });
  let groups: string[];
  let matched: boolean | undefined;
  let warnings: string[] | undefined;
  let unresolvedPolicies: string[] | undefined;
  try {
    ({ groups, matched, warnings, unresolvedPolicies } = await withTimeout(
      deps.resolvePodSecurityGroups(pod, namespace),
      deps.resolverTimeoutMs ?? DEFAULT_RESOLVER_TIMEOUT_MS,
    ));
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    const reason = err instanceof ResolverTimeout ? 'timeout' : 'error';
    deps.metrics?.resolverFailures.inc({ reason });
    log.warn({ err: cause, fargate }, 'admitting pod without the SecurityGroupPolicy check: resolution failed');
    if (fargate) {
      // Never let a pod-sg annotation the creator wrote through unchecked.
      const patch = fargatePodSgPatch(pod, []);
      return allowed(request.uid, { ...(patch.length > 0 ? { patch } : {}), warnings: [fargateResolverFailureWarning(cause)] });
    }
    return allowed(request.uid, {
      warnings: [
        `vpc-resource-controller could not check SecurityGroupPolicies for this pod (${cause}); ` +
          `if one matches it, the controller reports the pod with a ${REASON_MISSING_POD_ENI_RESOURCE} event`,
      ],
    });
  }
  if (fargate) return fargateResponse(request.uid, pod, namespace, groups, warnings, unresolvedPolicies, log);
  const extra = warnings && warnings.length > 0 ? { warnings } : {};
  if (groups.length === 0 && matched !== true) return allowed(request.uid, extra);
  const patch = podEniPatch(pod.spec.containers[0]);
  log.debug({ groups, patch }, 'pod matches a SecurityGroupPolicy: requesting a branch ENI');
  return allowed(request.uid, { patch, ...extra });
}

/**
 * A Fargate pod: its `pod-sg` annotation set to the matched groups (policy order), replaced when the
 * creator wrote another value, removed when no policy matches. Groups named by name or tag cannot be
 * resolved at admission: the pod gets the IDs that are known and a warning naming the policy.
 */
function fargateResponse(
  uid: string,
  pod: V1Pod,
  namespace: string,
  groups: string[],
  warnings: string[] | undefined,
  unresolvedPolicies: string[] | undefined,
  log: Logger,
): AdmissionReview {
  const all = [...(warnings ?? [])];
  for (const name of unresolvedPolicies ?? []) {
    all.push(
      `SecurityGroupPolicy ${namespace}/${name} gives groups by name or tag, which cannot be resolved for a Fargate pod at admission: ` +
        'its groups are not in the fargate.amazonaws.com/pod-sg annotation; list them by ID (spec.securityGroups.groupIds) and recreate the pod',
    );
  }
  const patch = fargatePodSgPatch(pod, groups);
  log.debug({ groups, patch }, 'Fargate pod: pod-sg annotation');
  return allowed(uid, { ...(patch.length > 0 ? { patch } : {}), ...(all.length > 0 ? { warnings: all } : {}) });
}

/** True when any container already requests or limits pod-eni. */
export function podAlreadyRequestsPodEni(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const r: unknown = c?.resources;
    if (!isRecord(r)) return false;
    return hasKey(r.limits, RESOURCE_POD_ENI) || hasKey(r.requests, RESOURCE_POD_ENI);
  });
}

/**
 * The JSON patch giving container[0] limits and requests `pod-eni: "1"` without touching its other
 * resources: a missing `resources`, `limits` or `requests` map is added whole; an existing map
 * gets just the key (JSON-pointer escaped). Empty when there is no container[0].
 */
export function podEniPatch(container0: unknown): JsonPatchOp[] {
  if (!isRecord(container0)) return [];
  const base = '/spec/containers/0/resources';
  const resources = container0.resources;
  if (!isRecord(resources)) {
    return [
      { op: 'add', path: base, value: { limits: { [RESOURCE_POD_ENI]: POD_ENI_COUNT }, requests: { [RESOURCE_POD_ENI]: POD_ENI_COUNT } } },
    ];
  }
  const ops: JsonPatchOp[] = [];
  for (const field of ['limits', 'requests'] as const) {
    const existing = resources[field];
    if (isRecord(existing)) {
      ops.push({ op: 'add', path: `${base}/${field}/${jsonPointerEscape(RESOURCE_POD_ENI)}`, value: POD_ENI_COUNT });
    } else {
      // `add` replaces an explicit null too, which is what we want.
      ops.push({ op: 'add', path: `${base}/${field}`, value: { [RESOURCE_POD_ENI]: POD_ENI_COUNT } });
    }
  }
  return ops;
}

// The beta OS label is still set by kubelets and still used in old manifests' nodeSelectors.
const OS_LABELS = [LABEL_OS, 'beta.kubernetes.io/os'];

/** A pod pinned to Windows nodes by its nodeSelector. */
export function isWindowsPod(pod: V1Pod): boolean {
  const selector: unknown = pod.spec?.nodeSelector;
  return isRecord(selector) && OS_LABELS.some((l) => selector[l] === 'windows');
}

const hasKey = (map: unknown, key: string): boolean => isRecord(map) && Object.prototype.hasOwnProperty.call(map, key);

class ResolverTimeout extends Error {
  override readonly name = 'ResolverTimeout';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ResolverTimeout(`SecurityGroupPolicy lookup timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
