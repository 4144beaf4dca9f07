// Shared setup for the local EC2 integration tests: the unmodified SDK client pointed at a
// local EC2 started on an ephemeral port.
import { EC2Client } from '@aws-sdk/client-ec2';
import { startLocalEc2, type LocalEc2, type LocalEc2Options } from '../../../src/sim/ec2/index.js';

export interface Harness {
  ec2: LocalEc2;
  client: EC2Client;
  close(): Promise<void>;
}

export function clientFor(ec2: LocalEc2, maxAttempts = 1): EC2Client {
  return new EC2Client({
    endpoint: ec2.endpoint,
    region: ec2.region,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts,
    requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
}

export async function startHarness(opts: LocalEc2Options = {}): Promise<Harness> {
  const ec2 = await startLocalEc2({ throttle: 'off', idSeed: 7, ...opts });
  const client = clientFor(ec2);
  return {
    ec2,
    client,
    async close() {
      client.destroy();
      await ec2.close();
    },
  };
}

/** The error an SDK call fails with (name = EC2 error code), or a test failure if it succeeds. */
export async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
