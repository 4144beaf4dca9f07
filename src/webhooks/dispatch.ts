// The webhooks without the sockets: which path is which handler, and how a request body becomes
// an HTTP status and AdmissionReview. server.ts only moves bytes.
import type { Logger } from 'pino';
import {
  WEBHOOK_NAME_MUTATE_POD,
  WEBHOOK_NAME_VALIDATE_NODE,
  WEBHOOK_NAME_VALIDATE_POD,
  WEBHOOK_PATH_MUTATE_POD,
  WEBHOOK_PATH_VALIDATE_NODE,
  WEBHOOK_PATH_VALIDATE_POD,
} from '../apis/constants.js';
import { BadAdmissionRequest, parseAdmissionReview, type AdmissionReview, type AdmissionReviewRequest } from './admission-review.js';
import type { AdmissionOutcome, WebhookMetrics } from './metrics.js';
import { validateNodeUpdate } from './node-validator.js';
import { checkFargatePodSgAtCreate } from './fargate-pod-sg.js';
import { validatePodAnnotation } from './pod-annotation-validator.js';
import { mutatePod, type ResolvePodSecurityGroups } from './pod-mutator.js';

export interface WebhookHandlerDeps {
  resolvePodSecurityGroups: ResolvePodSecurityGroups;
  /** Identities allowed to change the pod-eni annotation (default DEFAULT_CONTROLLER_IDENTITIES). */
  controllerIdentities?: readonly string[];
  resolverTimeoutMs?: number;
  logger: Logger;
  metrics: WebhookMetrics;
}

export interface WebhookRoute {
  /** Webhook name as registered (mpod.vpc.k8s.aws …); the metrics label. */
  name: string;
  handle(review: AdmissionReviewRequest): Promise<AdmissionReview> | AdmissionReview;
}

export function webhookRoutes(deps: WebhookHandlerDeps): Map<string, WebhookRoute> {
  const identities = deps.controllerIdentities ? { controllerIdentities: deps.controllerIdentities } : {};
  return new Map<string, WebhookRoute>([
    [
      WEBHOOK_PATH_MUTATE_POD,
      {
        name: WEBHOOK_NAME_MUTATE_POD,
        handle: (review) =>
          mutatePod(review, {
            resolvePodSecurityGroups: deps.resolvePodSecurityGroups,
            logger: deps.logger,
            metrics: deps.metrics,
            ...(deps.resolverTimeoutMs !== undefined ? { resolverTimeoutMs: deps.resolverTimeoutMs } : {}),
          }),
      },
    ],
    [
      WEBHOOK_PATH_VALIDATE_POD,
      {
        name: WEBHOOK_NAME_VALIDATE_POD,
        handle: async (review) =>
          (await checkFargatePodSgAtCreate(review, deps.resolvePodSecurityGroups, deps.logger, deps.resolverTimeoutMs)) ??
          validatePodAnnotation(review, { logger: deps.logger, ...identities }),
      },
    ],
    [WEBHOOK_PATH_VALIDATE_NODE, { name: WEBHOOK_NAME_VALIDATE_NODE, handle: (review) => validateNodeUpdate(review, { logger: deps.logger }) }],
  ]);
}

export interface DispatchResult {
  statusCode: number;
  body: AdmissionReview | { error: string };
  outcome: AdmissionOutcome;
}

/**
 * Parses the body, runs the handler, and maps the result: a review (200, allowed/patched/denied),
 * a malformed envelope or object (400 naming the problem), or an unexpected failure (500). Never throws.
 */
export async function dispatchAdmission(route: WebhookRoute, body: string, deps: Pick<WebhookHandlerDeps, 'logger' | 'metrics'>): Promise<DispatchResult> {
  const end = deps.metrics.duration.startTimer({ webhook: route.name });
  const result = await dispatchInner(route, body, deps.logger);
  end();
  deps.metrics.admissions.inc({ webhook: route.name, outcome: result.outcome });
  return result;
}

async function dispatchInner(route: WebhookRoute, body: string, logger: Logger): Promise<DispatchResult> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return badRequest(route, parsed.message, logger);
  try {
    const review = await route.handle(parsed.review);
    const response = review.response;
    const outcome: AdmissionOutcome = !response?.allowed ? 'denied' : response.patch ? 'patched' : 'allowed';
    return { statusCode: 200, body: review, outcome };
  } catch (err) {
    if (err instanceof BadAdmissionRequest) return badRequest(route, err.message, logger);
    const message = err instanceof Error ? err.message : String(err);
    logger.error({ webhook: route.name, err: message }, 'admission handler failed');
    return { statusCode: 500, body: { error: `${route.name}: internal error: ${message}` }, outcome: 'error' };
  }
}

function badRequest(route: WebhookRoute, message: string, logger: Logger): DispatchResult {
  logger.warn({ webhook: route.name, err: message }, 'bad admission request');
  return { statusCode: 400, body: { error: `${route.name}: bad AdmissionReview: ${message}` }, outcome: 'bad_request' };
}
