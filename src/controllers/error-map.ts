// The one error map: whatever a reconcile fails with becomes a queue outcome here, and nowhere
// else. EC2 errors (Ec2Error, also when wrapped as the `cause` of a step error such as
// BranchCreateError or TrunkCreationError) keep their class and its recommended delay; Kubernetes
// API errors are classed by HTTP status (and Status reason); network errors are transient.
// Everything is retried with per-key backoff (the class only sets a floor and labels the metric):
// terminal outcomes are decided by the reconcilers, which know when input cannot change by itself.
import { Ec2Error, RETRY_AFTER_MS, type Ec2ErrorClass } from '../aws/error-classes.js';
import { reasonOf, statusOf } from '../kube/errors.js';
import { Outcome, type ReconcileOutcome } from '../kube/work-queue.js';

/** Error classes: EC2's, used for Kubernetes and network errors too, so one metric label set covers all. */
export type ErrorClass = Ec2ErrorClass | 'unknown';

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The EC2 error behind `err` (itself, or somewhere down its `cause` chain). */
export function ec2ErrorIn(err: unknown): Ec2Error | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== undefined && e !== null; depth++) {
    if (e instanceof Ec2Error) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/** The class of a Kubernetes API error by HTTP status; undefined when `err` is not one. */
export function kubeErrorClass(err: unknown): Ec2ErrorClass | undefined {
  const status = statusOf(err);
  if (status === undefined) return undefined;
  if (status === 404 || status === 410) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400 || status === 422) return reasonOf(err) === 'AlreadyExists' ? 'conflict' : 'invalid';
  if (status >= 500) return 'transient';
  return 'fatal';
}

/** Whether `err` (or its cause) is a connection-level failure that never reached a server. */
export function isNetworkError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (e instanceof Error && (e.name === 'FetchError' || e.name === 'AbortError')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The class of any error a reconcile can meet. */
export function errorClassOf(err: unknown): ErrorClass {
  const ec2 = ec2ErrorIn(err);
  if (ec2) return ec2.class;
  const kube = kubeErrorClass(err);
  if (kube) return kube;
  if (isNetworkError(err)) return 'transient';
  return 'unknown';
}

/**
 * The queue outcome of a failed reconcile: a retry labelled with the error's class, never sooner
 * than the class's recommended delay (EC2's own `retryAfterMs` when it is an EC2 error).
 */
export function outcomeOf(err: unknown): ReconcileOutcome {
  const ec2 = ec2ErrorIn(err);
  if (ec2) return Outcome.retry(err, { errorClass: ec2.class, minDelayMs: ec2.retryAfterMs });
  const cls = errorClassOf(err);
  if (cls === 'unknown') return Outcome.retry(err);
  // Kubernetes errors: only a throttled API server asks for a pause; others back off from the base.
  return Outcome.retry(err, { errorClass: cls, ...(cls === 'throttled' ? { minDelayMs: RETRY_AFTER_MS.throttled } : {}) });
}
