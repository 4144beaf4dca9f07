// What went wrong, in words a cluster operator can act on: any error of an EC2 or Kubernetes call
// → a cause (a short name for metrics, conditions and logs) and a message that names the cause and
// the fix. Used for NodeTrunkFailedInit events, the `ec2` condition of /readyz and the startup
// checks, so each failure is explained the same way wherever it shows.
import { Ec2Error, toEc2Error } from '../aws/error-classes.js';
import { messageOf, reasonOf, statusOf } from '../kube/errors.js';

export type FailureCause =
  | 'ec2-unreachable'
  | 'aws-credentials-missing'
  | 'aws-credentials-rejected'
  | 'iam-denied'
  | 'ec2-throttled'
  | 'ec2-error'
  | 'kubernetes-forbidden'
  | 'kubernetes-error'
  | 'error';

export interface ExplainedFailure {
  cause: FailureCause;
  /** One sentence: what failed, why, and what to do. Stable for a given failure (no request IDs), so events aggregate. */
  message: string;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED', 'EPIPE', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout']);
const MISSING_CREDENTIALS_CODES = new Set(['CredentialsProviderError', 'CredentialsError', 'ProviderError', 'TokenProviderError']);
const REJECTED_CREDENTIALS_CODES = new Set(['AuthFailure', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'IncompleteSignature']);
const IAM_CODES = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/** The first line of a message, without the SDK's trailing noise. */
const firstLine = (s: string): string => (s.split('\n')[0] ?? s).trim();

function isKubernetesError(err: unknown): boolean {
  return statusOf(err) !== undefined;
}

/** An EC2 failure explained. `action` names the call when `err` is not yet an Ec2Error. */
export function explainEc2Failure(err: unknown, action = 'EC2'): ExplainedFailure {
  const e = toEc2Error(action, err);
  const raw = firstLine(e.message.replace(`${e.action}: ${e.code}: `, ''));
  if (UNREACHABLE_CODES.has(e.code) || (e.class === 'transient' && /connect|socket|getaddrinfo|timed? ?out/i.test(raw))) {
    return {
      cause: 'ec2-unreachable',
      message: `EC2 endpoint unreachable (${e.action}: ${e.code}: ${raw}): let the controller reach EC2 (check --ec2-endpoint or AWS_ENDPOINT_URL_EC2, DNS, the VPC endpoint or proxy, and network policies)`,
    };
  }
  if (MISSING_CREDENTIALS_CODES.has(e.code) || /could not load credentials|credential/i.test(e.code)) {
    return {
      cause: 'aws-credentials-missing',
      message: `no AWS credentials (${raw}): give the controller's ServiceAccount an IAM role (IRSA or EKS Pod Identity, see docs/deploy.md), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    };
  }
  if (REJECTED_CREDENTIALS_CODES.has(e.code)) {
    return {
      cause: 'aws-credentials-rejected',
      message: `EC2 rejected the controller's AWS credentials (${e.action}: ${e.code}: ${raw}): check the role or keys the controller runs with (expired, wrong account or region)`,
    };
  }
  if (IAM_CODES.has(e.code)) {
    return {
      cause: 'iam-denied',
      message: `IAM denies ec2:${e.action} (${e.code}): add ec2:${e.action} to the controller's IAM role (deploy/iam-policy.json lists every action it needs)`,
    };
  }
  if (e.class === 'throttled') {
    return {
      cause: 'ec2-throttled',
      message: `EC2 throttled ${e.action} (${e.code}): the account's EC2 API budget is used up; the controller slows down and retries (see docs/tuning.md: --ec2-account-share, or ask AWS for a higher limit)`,
    };
  }
  return { cause: 'ec2-error', message: e.userMessage() };
}

/** A Kubernetes API failure explained (the Status message, not the body). */
export function explainKubernetesFailure(err: unknown): ExplainedFailure {
  const code = statusOf(err);
  const reason = reasonOf(err);
  const msg = messageOf(err);
  if (code === 403) {
    return { cause: 'kubernetes-forbidden', message: `the Kubernetes API refused a request (403 Forbidden: ${msg}): grant it in the controller's ClusterRole (deploy/)` };
  }
  return { cause: 'kubernetes-error', message: `Kubernetes API error (${code ?? 'no response'}${reason ? ` ${reason}` : ''}: ${msg})` };
}

/**
 * Any failure of a reconcile explained: EC2 errors (the gateway throws every EC2 failure as an
 * Ec2Error) by their class, Kubernetes API errors by their Status, anything else by its message.
 */
export function explainFailure(err: unknown): ExplainedFailure {
  if (err instanceof Ec2Error) return explainEc2Failure(err);
  if (isKubernetesError(err)) return explainKubernetesFailure(err);
  const cause = err instanceof Error && err.cause !== undefined ? ` (${firstLine(String((err.cause as Error).message ?? err.cause))})` : '';
  return { cause: 'error', message: `${err instanceof Error ? firstLine(err.message) : String(err)}${cause}` };
}
