// Every EC2 failure, mapped to one of a few classes that decide what happens next.
//
//   throttled     RequestLimitExceeded: the call was NOT performed; slow down and resend
//   not-found     *.NotFound: gone (release paths treat it as done) or not yet visible (eventual consistency)
//   quota         subnet out of addresses, attachment / groups-per-interface limits: needs room, retry later
//   invalid       malformed or rejected parameters: retrying the same call cannot help; fix the input
//   unauthorized  IAM says no: retry slowly and tell the user which policy is missing
//   conflict      interface in use, idempotency token reused with other parameters, wrong state
//   transient     5xx, timeouts, connection failures: retry soon
//   fatal         anything else
//
// `retryAfterMs` is the class's recommended delay before the work queue retries (a floor under its
// per-key exponential backoff): an exhausted subnet is retried sooner than an unauthorised call.
export const ERROR_CLASSES = ['throttled', 'not-found', 'quota', 'invalid', 'unauthorized', 'conflict', 'transient', 'fatal'] as const;
export type Ec2ErrorClass = (typeof ERROR_CLASSES)[number];

export const RETRY_AFTER_MS: Readonly<Record<Ec2ErrorClass, number>> = {
  throttled: 1_000,
  'not-found': 2_000,
  quota: 15_000,
  invalid: 60_000,
  unauthorized: 120_000,
  conflict: 2_000,
  transient: 1_000,
  fatal: 300_000,
};

const THROTTLE_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);
const QUOTA_CODES = new Set([
  'InsufficientFreeAddressesInSubnet',
  'AttachmentLimitExceeded',
  'SecurityGroupsPerInterfaceLimitExceeded',
  'NetworkInterfaceLimitExceeded',
  'PrivateIpAddressLimitExceeded',
  'InsufficientCapacity',
]);
const INVALID_CODES = new Set([
  'InvalidParameterValue',
  'InvalidParameter',
  'InvalidParameterCombination',
  'MissingParameter',
  'UnknownParameter',
  'InvalidAction',
  'ValidationError',
  'InvalidRequest',
]);
const UNAUTHORIZED_CODES = new Set([
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'OptInRequired',
  'Blocked',
  'AccessDenied',
  'AccessDeniedException',
]);
const CONFLICT_CODES = new Set([
  'InvalidNetworkInterface.InUse',
  'IdempotentParameterMismatch',
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidAttachment.InUse',
  'DependencyViolation',
]);
const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalFailure',
  'Unavailable',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestExpired',
]);
const NETWORK_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED']);

/** Class of an EC2 error code (and HTTP status when known). */
export function classifyCode(code: string, httpStatus?: number): Ec2ErrorClass {
  if (THROTTLE_CODES.has(code)) return 'throttled';
  if (code.endsWith('NotFound')) return 'not-found';
  if (QUOTA_CODES.has(code) || (code.endsWith('LimitExceeded') && code !== 'RequestLimitExceeded')) return 'quota';
  if (UNAUTHORIZED_CODES.has(code)) return 'unauthorized';
  if (CONFLICT_CODES.has(code)) return 'conflict';
  if (TRANSIENT_CODES.has(code) || NETWORK_ERRNOS.has(code)) return 'transient';
  if (INVALID_CODES.has(code) || code.endsWith('.Malformed') || code.startsWith('Invalid')) return 'invalid';
  if (httpStatus !== undefined && httpStatus >= 500) return 'transient';
  return 'fatal';
}

/** A failed EC2 call, as every gateway method throws it. */
export class Ec2Error extends Error {
  override readonly name = 'Ec2Error';
  readonly action: string;
  readonly code: string;
  readonly class: Ec2ErrorClass;
  readonly retryAfterMs: number;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;

  constructor(args: {
    action: string;
    code: string;
    class: Ec2ErrorClass;
    message: string;
    httpStatus?: number;
    requestId?: string;
    cause?: unknown;
  }) {
    super(`${args.action}: ${args.code}: ${args.message}`, { cause: args.cause });
    this.action = args.action;
    this.code = args.code;
    this.class = args.class;
    this.retryAfterMs = RETRY_AFTER_MS[args.class];
    this.httpStatus = args.httpStatus;
    this.requestId = args.requestId;
  }

  /** A message fit for a Kubernetes event (adds the IAM hint the contract asks for on UnauthorizedOperation). */
  userMessage(): string {
    const base = `${this.action} failed: ${this.code}: ${this.rawMessage()}`;
    if (this.class === 'unauthorized') {
      return `${base} (the controller's IAM role needs ec2:${this.action}; see the AmazonEKSVPCResourceController managed policy)`;
    }
    return base;
  }

  private rawMessage(): string {
    const prefix = `${this.action}: ${this.code}: `;
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }
}

/** True for the classes where a release path can count the call as done. */
export function isNotFound(err: unknown): boolean {
  return err instanceof Ec2Error && err.class === 'not-found';
}

/**
 * Whether a failed mutating call may still have taken effect: its answer was lost (5xx, reset,
 * timeout), or EC2 refused it because the state it would make is already there (an earlier
 * attempt's call, say a killed process's, landed first: "in use", "already in use"). Throttled,
 * unauthorised, quota and not-found answers mean the call was not performed.
 */
export function mayHaveTakenEffect(err: unknown): boolean {
  if (!(err instanceof Ec2Error)) return true;
  return err.class === 'transient' || err.class === 'conflict' || err.class === 'invalid' || err.class === 'fatal';
}

/** Turn whatever the SDK (or the network) threw into an Ec2Error. */
export function toEc2Error(action: string, err: unknown): Ec2Error {
  if (err instanceof Ec2Error) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
    $fault?: unknown;
  };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const requestId = typeof e.$metadata?.requestId === 'string' ? e.$metadata.requestId : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  // SDK service errors carry the EC2 code as `name` (and `Code`); network errors carry an errno `code`.
  let code: string;
  if (typeof e.Code === 'string') code = e.Code;
  else if (typeof e.code === 'string' && NETWORK_ERRNOS.has(e.code)) code = e.code;
  else if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'EC2ServiceException') code = e.name;
  else if (typeof e.code === 'string') code = e.code;
  else if (status !== undefined) code = `HTTP${status}`;
  else code = 'UnknownError';
  let cls = classifyCode(code, status);
  // An unknown failure that never got a response is a network problem: transient.
  if (cls === 'fatal' && status === undefined && e.$fault === undefined) cls = 'transient';
  return new Ec2Error({
    action,
    code,
    class: cls,
    message,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(requestId ? { requestId } : {}),
    cause: err,
  });
}
