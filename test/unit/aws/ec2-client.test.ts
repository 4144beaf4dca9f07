import { describe, expect, it } from 'vitest';
import { createEc2Client, resolveEc2Endpoint, SDK_MAX_ATTEMPTS } from '../../../src/aws/ec2-client.js';

describe('EC2 client', () => {
  it('resolves the endpoint from the option, then AWS_ENDPOINT_URL_EC2', () => {
    expect(resolveEc2Endpoint({ endpoint: 'http://127.0.0.1:1234', env: { AWS_ENDPOINT_URL_EC2: 'http://x:1' } })).toBe('http://127.0.0.1:1234');
    expect(resolveEc2Endpoint({ env: { AWS_ENDPOINT_URL_EC2: 'http://x:1' } })).toBe('http://x:1');
    expect(resolveEc2Endpoint({ env: {} })).toBeUndefined();
    expect(() => resolveEc2Endpoint({ endpoint: 'localhost:4566', env: {} })).toThrow(/must be http or https|not a URL/);
  });

  it('never retries in the SDK (the gateway owns retries) and uses the endpoint', async () => {
    const c = createEc2Client({
      region: 'us-west-2',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    });
    expect(await c.config.maxAttempts()).toBe(SDK_MAX_ATTEMPTS);
    expect(SDK_MAX_ATTEMPTS).toBe(1);
    const mode: unknown = c.config.retryMode;
    expect(typeof mode === 'function' ? await (mode as () => Promise<string>)() : mode).toBe('standard');
    const ep = await c.config.endpoint!();
    expect(`${ep.protocol}//${ep.hostname}:${ep.port}`).toBe('http://127.0.0.1:9');
    c.destroy();
  });

  it('requires a region', () => {
    expect(() => createEc2Client({ region: '' })).toThrow(/region is required/);
  });
});
