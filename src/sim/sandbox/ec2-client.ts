// The SDK client the sandbox's own parts (node agents, setup) use against the local EC2: fixed
// dummy credentials, a request timeout that really throws (else a hung call never returns), and
// the SDK's standard retries, which back off on RequestLimitExceeded like any AWS client.
import { EC2Client } from '@aws-sdk/client-ec2';

export function makeSandboxEc2Client(endpoint: string, region: string): EC2Client {
  return new EC2Client({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox' },
    maxAttempts: 8,
    requestHandler: { requestTimeout: 15_000, throwOnRequestTimeout: true },
  });
}
