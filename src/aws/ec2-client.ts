// EC2 SDK client construction, with retries and timeouts chosen deliberately.
//
// Retries: the SDK is set to standard mode with maxAttempts 1, i.e. it never retries by itself. All
// retrying happens in one visible place: the gateway resends a throttled call (EC2 did not perform
// it) through the slowed limiter, and resends reads and token-carrying creates once after a
// transient failure; everything else returns to the reconciler, whose work queue backs off per key.
// Otherwise SDK retries (3 by default, each of which would bypass our limiter) and queue retries
// multiply, and throttling gets worse exactly when the account is short of budget.
//
// Timeouts: `requestTimeout` only warns unless `throwOnRequestTimeout` is set, so a hung call would
// never return; both are set here, with a connection timeout.
import { EC2Client } from '@aws-sdk/client-ec2';

export interface Ec2ClientOptions {
  region: string;
  /** Endpoint URL; default AWS_ENDPOINT_URL_EC2 when set, else the regional AWS endpoint. */
  endpoint?: string;
  /** Static credentials (the sandbox); default the SDK's provider chain (IRSA, pod identity, IMDS, env). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-request socket timeout, ms. Default 10 s. */
  requestTimeoutMs?: number;
  /** TCP connect timeout, ms. Default 3 s. */
  connectionTimeoutMs?: number;
  /** For tests: the environment to read AWS_ENDPOINT_URL_EC2 from. */
  env?: NodeJS.ProcessEnv;
}

export const SDK_MAX_ATTEMPTS = 1;

/** The resolved endpoint: explicit option, then AWS_ENDPOINT_URL_EC2, else undefined (AWS default). */
export function resolveEc2Endpoint(opts: Pick<Ec2ClientOptions, 'endpoint' | 'env'>): string | undefined {
  const raw = opts.endpoint ?? (opts.env ?? process.env).AWS_ENDPOINT_URL_EC2;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`EC2 endpoint "${raw}" is not a URL (expected e.g. http://127.0.0.1:4566)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`EC2 endpoint "${raw}" must be http or https`);
  return raw;
}

/**
 * Turns off the AWS SDK's NodeVersionSupportWarning: a multi-line notice on stderr, printed once
 * per process, that SDK releases after January 2027 will need Node 22. It says nothing about the
 * pinned SDK this code runs (which supports Node 20, our `engines`), and as raw lines among the JSON
 * logs it breaks log parsers and alarms operators. An explicit setting of the variable wins.
 */
export function silenceSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export function createEc2Client(opts: Ec2ClientOptions): EC2Client {
  if (!opts.region) throw new Error('EC2 region is required (--region or AWS_REGION)');
  silenceSdkNodeVersionNotice();
  const endpoint = resolveEc2Endpoint(opts);
  return new EC2Client({
    region: opts.region,
    ...(endpoint ? { endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: {
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
      throwOnRequestTimeout: true,
    },
  });
}
