// Throttling, fault injection, latency and counters, observed through the real SDK. Buckets are
// overridden small so the tests are quick; the AWS-sized buckets are measured by the benchmark.
import * as E from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { clientFor, errorOf, startHarness, type Harness } from './client.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('throttling', () => {
  it('refuses calls beyond the bucket with RequestLimitExceeded / 503 and refills over time', async () => {
    // 2 tokens/s: the burst of 4 fits well inside one refill interval even on a loaded machine.
    h = await startHarness({ throttle: { base: 'aws', overrides: { DescribeVpcs: { capacity: 3, refillPerSecond: 2 } } } });
    const c = h.client;
    for (let i = 0; i < 3; i++) await c.send(new E.DescribeVpcsCommand({}));
    const e = await errorOf(c.send(new E.DescribeVpcsCommand({})));
    expect(e.name).toBe('RequestLimitExceeded');
    expect(e.status).toBe(503);
    // Other actions have their own buckets.
    await c.send(new E.DescribeSubnetsCommand({}));
    // The bucket refills: poll (with a deadline) until a call passes again.
    const deadline = Date.now() + 3000;
    let passed = false;
    while (!passed && Date.now() < deadline) {
      try {
        await c.send(new E.DescribeVpcsCommand({}));
        passed = true;
      } catch (err) {
        expect((err as Error).name).toBe('RequestLimitExceeded');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(passed).toBe(true);
    const counters = h.ec2.control.counter('DescribeVpcs');
    expect(counters.ok).toBe(4);
    expect(counters.throttled).toBeGreaterThanOrEqual(1);
    expect(counters.calls).toBe(counters.ok + counters.throttled);
    expect(counters.errors).toBe(0);
  });

  it('unfiltered, unpaginated describes draw from the lower bucket', async () => {
    h = await startHarness({ throttle: { base: 'aws', overrides: { 'DescribeNetworkInterfaces:unfiltered': { capacity: 2, refillPerSecond: 0 } } } });
    const c = h.client;
    await c.send(new E.DescribeNetworkInterfacesCommand({}));
    await c.send(new E.DescribeNetworkInterfacesCommand({}));
    expect((await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({})))).name).toBe('RequestLimitExceeded');
    // Filtered or paginated calls are metered by the regular bucket and still pass.
    await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'status', Values: ['available'] }] }));
    await c.send(new E.DescribeNetworkInterfacesCommand({ MaxResults: 5 }));
    expect(h.ec2.control.counter('DescribeNetworkInterfaces')).toMatchObject({ calls: 5, throttled: 1 });
  });

  it('AWS profile: the ENI mutation bucket holds 100 and refills at 5/s', async () => {
    h = await startHarness({ throttle: 'aws' });
    expect(h.ec2.control.bucketTokens('CreateNetworkInterface')).toBe(100);
    expect(h.ec2.control.bucketTokens('DescribeInstances:unfiltered')).toBe(50);
    const subnet = h.ec2.defaults?.subnets[0]?.subnetId ?? '';
    await h.client.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet }));
    expect(h.ec2.control.bucketTokens('CreateNetworkInterface')).toBeLessThan(100);
    expect(h.ec2.control.bucketTokens('CreateNetworkInterface')).toBeGreaterThanOrEqual(99);
  });

  it('profile and per-action overrides change at run time', async () => {
    h = await startHarness({ throttle: 'off' });
    const c = h.client;
    h.ec2.control.setBucket('DescribeSubnets', { capacity: 1, refillPerSecond: 0 });
    await c.send(new E.DescribeSubnetsCommand({}));
    expect((await errorOf(c.send(new E.DescribeSubnetsCommand({})))).name).toBe('RequestLimitExceeded');
    h.ec2.control.setBucket('DescribeSubnets', null); // unlimited
    for (let i = 0; i < 5; i++) await c.send(new E.DescribeSubnetsCommand({}));
    h.ec2.control.setThrottle({ base: 'off', overrides: { DescribeVpcs: { capacity: 1, refillPerSecond: 0 } } });
    await c.send(new E.DescribeVpcsCommand({}));
    expect((await errorOf(c.send(new E.DescribeVpcsCommand({})))).name).toBe('RequestLimitExceeded');
    expect(() => h?.ec2.control.setBucket('DescribeVpcs', { capacity: 0, refillPerSecond: 1 })).toThrow(/capacity/);
  });

  it('time scale speeds up refill', async () => {
    h = await startHarness({ timeScale: 100, throttle: { base: 'aws', overrides: { DescribeVpcs: { capacity: 1, refillPerSecond: 1 } } } });
    const c = h.client;
    await c.send(new E.DescribeVpcsCommand({}));
    // 1/s at ×100 is one token every 10 ms.
    await new Promise((r) => setTimeout(r, 30));
    await c.send(new E.DescribeVpcsCommand({}));
    expect(h.ec2.control.counter('DescribeVpcs').throttled).toBe(0);
  });
});

describe('faults', () => {
  it('fails the next N calls of an action with the given code and EC2 status, then recovers', async () => {
    h = await startHarness();
    const c = h.client;
    const subnet = h.ec2.defaults?.subnets[0]?.subnetId ?? '';
    h.ec2.control.injectFault('CreateNetworkInterface', { code: 'InternalError', count: 2 });
    for (let i = 0; i < 2; i++) {
      const e = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet })));
      expect(e.name).toBe('InternalError');
      expect(e.status).toBe(500);
    }
    await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet }));
    // Faulted calls changed nothing: exactly one ENI beyond the default world.
    expect(h.ec2.world.eniCount).toBe(1);
    h.ec2.control.injectFault('AssociateTrunkInterface', { code: 'UnauthorizedOperation', count: 1, message: 'You are not authorized to perform this operation.' });
    const u = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: 'eni-0123456789abcdef0', TrunkInterfaceId: 'eni-0123456789abcdef1', VlanId: 1 })));
    expect(u).toMatchObject({ name: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' });
    expect(h.ec2.control.counter('CreateNetworkInterface')).toMatchObject({ calls: 3, ok: 1, errors: 2, faults: 2 });
  });

  it('a rate fails roughly that share of calls; the SDK retries transient faults', async () => {
    h = await startHarness();
    const retrying = clientFor(h.ec2, 3);
    try {
      h.ec2.control.injectFault('DescribeVpcs', { code: 'InternalError', count: 1 });
      // One 500 then success: the SDK's standard retry hides it.
      const r = await retrying.send(new E.DescribeVpcsCommand({}));
      expect(r.Vpcs?.length).toBe(1);
      expect(h.ec2.control.counter('DescribeVpcs')).toMatchObject({ calls: 2, faults: 1, ok: 1 });
    } finally {
      retrying.destroy();
    }
    h.ec2.control.injectFault('DescribeSubnets', { code: 'Unavailable', rate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 100; i++) {
      try {
        await h.client.send(new E.DescribeSubnetsCommand({}));
      } catch (e) {
        expect((e as Error).name).toBe('Unavailable');
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(25);
    expect(failed).toBeLessThan(75);
    h.ec2.control.clearFaults();
    await h.client.send(new E.DescribeSubnetsCommand({}));
  });

  it('a wildcard fault hits every action', async () => {
    h = await startHarness({ faults: { '*': { code: 'Unavailable', count: 2 } } });
    expect((await errorOf(h.client.send(new E.DescribeVpcsCommand({})))).status).toBe(503);
    expect((await errorOf(h.client.send(new E.DescribeSubnetsCommand({})))).name).toBe('Unavailable');
    await h.client.send(new E.DescribeVpcsCommand({}));
  });
});

describe('latency and counters', () => {
  it('adds per-action latency (scaled by time scale) and records it', async () => {
    h = await startHarness({ latency: { DescribeVpcs: { ms: 400 } } });
    const t0 = performance.now();
    await h.client.send(new E.DescribeVpcsCommand({}));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    await h.client.send(new E.DescribeSubnetsCommand({}));
    // Server-side time per action, latency model included.
    expect(h.ec2.control.counter('DescribeVpcs').maxLatencyMs).toBeGreaterThanOrEqual(390);
    expect(h.ec2.control.counter('DescribeSubnets').maxLatencyMs).toBeLessThan(390);
    h.ec2.control.resetCounters();
    h.ec2.control.setTimeScale(20); // 400 ms becomes 20 ms
    await h.client.send(new E.DescribeVpcsCommand({}));
    const scaled = h.ec2.control.counter('DescribeVpcs').maxLatencyMs;
    expect(scaled).toBeGreaterThanOrEqual(19);
    expect(scaled).toBeLessThan(390);
    h.ec2.control.resetCounters();
    expect(h.ec2.control.counterSnapshot()).toEqual({});
  });
});
