/* eslint-disable @typescript-eslint/require-await -- fake senders implement an async interface */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { Ec2Gateway, type Ec2Sender } from '../../../src/aws/gateway.js';
import { clientToken } from '../../../src/aws/client-token.js';
import { Ec2Error } from '../../../src/aws/error-classes.js';
import { AWS_BUCKETS, budgetKey, type Ec2Action } from '../../../src/aws/budgets.js';
import { defaultPacingConfig, REFERENCE_PACING, type PacingConfig } from '../../../src/aws/pacing-config.js';

interface Sent {
  action: string;
  input: Record<string, unknown>;
  at: number;
}

/** An SDK-shaped service error, as @aws-sdk/client-ec2 throws them. */
function serviceError(code: string, status = 400): Error {
  return Object.assign(new Error(`${code} happened`), { name: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/**
 * A fake EC2 that meters every call with AWS's buckets (capacity, refill/s) on the (fake) clock and
 * answers RequestLimitExceeded when one is empty, like the real API.
 */
class FakeEc2 implements Ec2Sender {
  sent: Sent[] = [];
  throttled = 0;
  tokens = new Map<string, { t: number; at: number }>();
  handlers: Partial<Record<string, (input: Record<string, unknown>, n: number) => unknown>> = {};
  /** Fraction of each bucket another client spends (refill the rest). */
  constructor(private readonly othersShare = 0) {}

  private take(key: string): boolean {
    const b = AWS_BUCKETS[key as keyof typeof AWS_BUCKETS];
    const now = Date.now();
    const s = this.tokens.get(key) ?? { t: b.capacity * (1 - this.othersShare), at: now };
    s.t = Math.min(b.capacity, s.t + ((now - s.at) / 1000) * b.refillPerSecond * (1 - this.othersShare));
    s.at = now;
    this.tokens.set(key, s);
    if (s.t < 1) return false;
    s.t -= 1;
    return true;
  }

  async send(cmd: { input: Record<string, unknown>; constructor: { name: string } }): Promise<unknown> {
    const action = cmd.constructor.name.replace(/Command$/, '');
    const input = cmd.input;
    this.sent.push({ action, input, at: Date.now() });
    const unfiltered = Object.keys(input).length === 0;
    if (!this.take(budgetKey(action as Ec2Action, unfiltered))) {
      this.throttled++;
      throw serviceError('RequestLimitExceeded', 503);
    }
    const h = this.handlers[action];
    const n = this.sent.filter((s) => s.action === action).length;
    if (h) return h(input, n);
    if (action === 'CreateNetworkInterface') return { NetworkInterface: { NetworkInterfaceId: `eni-${String(input.ClientToken).slice(0, 8)}` } };
    if (action === 'AssociateTrunkInterface') return { InterfaceAssociation: { AssociationId: 'trunk-assoc-1' } };
    return {};
  }
}

function config(over: Partial<PacingConfig> = {}): PacingConfig {
  return { ...defaultPacingConfig(), accountShare: 1, ...over };
}

describe('Ec2Gateway', () => {
  let gw: Ec2Gateway | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    const closing = gw?.close();
    await vi.advanceTimersByTimeAsync(200);
    await closing;
    gw = undefined;
    vi.useRealTimers();
  });

  it('sends every CreateNetworkInterface with a ClientToken derived from its purpose', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const purpose = ['branch', 'cluster-a', 'pod-uid-1', '0'];
    const a = gw.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose });
    const b = gw.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose });
    const c = gw.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['branch', 'cluster-a', 'pod-uid-2', '0'] });
    await vi.advanceTimersByTimeAsync(50);
    const [ea, eb, ec] = await Promise.all([a, b, c]);
    const tokens = ec2.sent.map((s) => s.input.ClientToken as string);
    expect(tokens[0]).toBe(clientToken(purpose));
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    for (const t of tokens) expect(t).toMatch(/^[\x21-\x7e]{1,64}$/);
    expect(ea.NetworkInterfaceId).toBe(eb.NetworkInterfaceId);
    expect(ec.NetworkInterfaceId).not.toBe(ea.NetworkInterfaceId);
  });

  it('throws Ec2Error with action, code, class and retry delay', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.CreateNetworkInterface = () => {
      throw serviceError('InsufficientFreeAddressesInSubnet');
    };
    ec2.handlers.AttachNetworkInterface = () => {
      throw serviceError('UnauthorizedOperation', 403);
    };
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const p1 = gw.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['x'] }).catch((e: unknown) => e);
    const p2 = gw.attachNetworkInterface({ NetworkInterfaceId: 'eni-1', InstanceId: 'i-1', DeviceIndex: 2 }, { priority: 'trunk' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    const e1 = (await p1) as Ec2Error;
    const e2 = (await p2) as Ec2Error;
    expect(e1).toBeInstanceOf(Ec2Error);
    expect([e1.action, e1.code, e1.class]).toEqual(['CreateNetworkInterface', 'InsufficientFreeAddressesInSubnet', 'quota']);
    expect([e2.action, e2.code, e2.class]).toEqual(['AttachNetworkInterface', 'UnauthorizedOperation', 'unauthorized']);
    expect(e1.retryAfterMs).toBeLessThan(e2.retryAfterMs);
    expect(e2.userMessage()).toMatch(/IAM/);
  });

  it('when alone at full share never causes RequestLimitExceeded, and runs at the bucket rate', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const n = 400;
    let done = 0;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      void gw.createNetworkInterface({ SubnetId: 's' }, { priority: 'pod-start', purpose: ['p', String(i)] }).then(() => void done++);
      void gw.associateTrunkInterface({ BranchInterfaceId: `eni-${i}`, TrunkInterfaceId: 'eni-t', VlanId: 1 }, { priority: 'pod-start' }).then(() => void done++);
    }
    while (done < 2 * n && Date.now() - t0 < 200_000) await vi.advanceTimersByTimeAsync(250);
    expect(done).toBe(2 * n);
    expect(ec2.throttled).toBe(0);
    // Bound: AWS's buckets allow (400 - 100) / 5 = 60 s for creates and (400 - 50) / 5 = 70 s for associates.
    const elapsed = (Date.now() - t0) / 1000;
    expect(elapsed).toBeGreaterThanOrEqual(70);
    expect(70 / elapsed).toBeGreaterThanOrEqual(0.95);
  });

  it('when another client spends half the bucket: slows down on throttling, finishes, and keeps throttles rare', async () => {
    const ec2 = new FakeEc2(0.5);
    const registry = new Registry();
    gw = new Ec2Gateway({ client: ec2, config: config(), registry });
    const n = 400;
    let done = 0;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      void gw.createNetworkInterface({ SubnetId: 's' }, { priority: 'pod-start', purpose: ['p', String(i)] }).then(() => void done++);
    }
    while (done < n && Date.now() - t0 < 600_000) await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(n);
    expect(ec2.throttled).toBeGreaterThan(0);
    expect(ec2.throttled / ec2.sent.length).toBeLessThan(0.05);
    // Remaining budget: 50 burst + 2.5/s → (400 - 50) / 2.5 = 140 s.
    const efficiency = 140 / ((Date.now() - t0) / 1000);
    expect(efficiency).toBeGreaterThanOrEqual(0.8);
    const stats = gw.stats().CreateNetworkInterface!;
    expect(stats.throttles).toBe(ec2.throttled);
    const text = await registry.metrics();
    expect(text).toMatch(/vpcrc_ec2_throttles_total\{action="CreateNetworkInterface"\} [1-9]/);
    expect(text).toMatch(/vpcrc_ec2_rate_decreases_total\{action="CreateNetworkInterface"\} [1-9]/);
  });

  it('retries a throttled call itself (it was not performed) and lowers that action rate', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.DeleteNetworkInterface = (_i, n) => {
      if (n <= 2) throw serviceError('RequestLimitExceeded', 503);
      return {};
    };
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const before = gw.pacingState().DeleteNetworkInterface!.currentRate;
    const p = gw.deleteNetworkInterface({ NetworkInterfaceId: 'eni-1' }, { priority: 'release' });
    await vi.advanceTimersByTimeAsync(5_000);
    await p;
    expect(ec2.sent.filter((s) => s.action === 'DeleteNetworkInterface')).toHaveLength(3);
    expect(gw.pacingState().DeleteNetworkInterface!.currentRate).toBeLessThan(before);
    expect(gw.stats().DeleteNetworkInterface).toEqual({ calls: 3, errors: 2, throttles: 2 });
  });

  it('reports which actions are slowed by throttling, and forgets them after recovery', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.AssociateTrunkInterface = (_i, n) => {
      if (n === 1) throw serviceError('RequestLimitExceeded', 503);
      return { InterfaceAssociation: { AssociationId: 'a-1' } };
    };
    gw = new Ec2Gateway({ client: ec2, config: config() });
    expect(gw.throttledActions()).toEqual([]);
    const p = gw.associateTrunkInterface({ BranchInterfaceId: 'eni-b', TrunkInterfaceId: 'eni-t', VlanId: 1 }, { priority: 'pod-start' });
    await vi.advanceTimersByTimeAsync(1_000);
    await p;
    expect(gw.throttledActions()).toEqual(['AssociateTrunkInterface']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(gw.throttledActions()).toEqual([]);
  });

  it('gives up after maxThrottleRetries with a throttled Ec2Error', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.CreateTags = () => {
      throw serviceError('RequestLimitExceeded', 503);
    };
    gw = new Ec2Gateway({ client: ec2, config: config(), maxThrottleRetries: 2 });
    const p = gw.createTags({ Resources: ['eni-1'], Tags: [] }, { priority: 'background' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(30_000);
    const err = (await p) as Ec2Error;
    expect(err.class).toBe('throttled');
    expect(ec2.sent).toHaveLength(3);
  });

  it('resends reads once after a transient failure, but not attaches', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.DescribeSubnets = (_i, n) => {
      if (n === 1) throw serviceError('InternalError', 500);
      return { Subnets: [{ SubnetId: 'subnet-1' }] };
    };
    ec2.handlers.AttachNetworkInterface = () => {
      throw serviceError('InternalError', 500);
    };
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const subnets = gw.describeSubnets({ SubnetIds: ['subnet-1'] }, { priority: 'trunk' });
    const attach = gw.attachNetworkInterface({ NetworkInterfaceId: 'eni-1', InstanceId: 'i-1', DeviceIndex: 1 }, { priority: 'trunk' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await subnets).toEqual([{ SubnetId: 'subnet-1' }]);
    expect(((await attach) as Ec2Error).class).toBe('transient');
    expect(ec2.sent.filter((s) => s.action === 'AttachNetworkInterface')).toHaveLength(1);
    expect(ec2.sent.filter((s) => s.action === 'DescribeSubnets')).toHaveLength(2);
  });

  it('pages describes with MaxResults when listing, not when looking up IDs', async () => {
    const ec2 = new FakeEc2();
    ec2.handlers.DescribeNetworkInterfaces = (input) => {
      if (input.NetworkInterfaceIds) return { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-x' }] };
      return input.NextToken
        ? { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-2' }] }
        : { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1' }], NextToken: 'page-2' };
    };
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const all = gw.describeNetworkInterfaces({ Filters: [{ Name: 'tag:eks:eni:owner', Values: ['x'] }] }, { priority: 'background' });
    const byId = gw.describeNetworkInterfaces({ NetworkInterfaceIds: ['eni-x'] }, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(50);
    expect((await all).map((e) => e.NetworkInterfaceId)).toEqual(['eni-1', 'eni-2']);
    expect((await byId).map((e) => e.NetworkInterfaceId)).toEqual(['eni-x']);
    const sent = ec2.sent.map((s) => s.input);
    expect(sent[0]).toMatchObject({ MaxResults: 1000 });
    expect(sent.find((i) => i.NextToken === 'page-2')).toMatchObject({ MaxResults: 1000 });
    expect(sent.find((i) => i.NetworkInterfaceIds)).not.toHaveProperty('MaxResults');
  });

  it('keeps page sizes within each action range (trunk associations: at most 255)', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const p = gw.describeTrunkInterfaceAssociations({ Filters: [{ Name: 'trunk-interface-association.trunk-interface-id', Values: ['eni-t'] }] }, { priority: 'background' });
    await vi.advanceTimersByTimeAsync(50);
    await p;
    expect(ec2.sent[0]!.input.MaxResults).toBe(255);
  });

  it('serves pod-start calls before release and background ones when tokens are scarce', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config({ rates: { DeleteNetworkInterface: 1 }, bursts: { DeleteNetworkInterface: 1 } }) });
    const order: string[] = [];
    const del = (id: string, priority: 'pod-start' | 'release' | 'background') =>
      void gw!.deleteNetworkInterface({ NetworkInterfaceId: id }, { priority }).then(() => void order.push(id));
    del('first', 'background');
    await vi.advanceTimersByTimeAsync(20);
    del('gc', 'background');
    del('release', 'release');
    del('rollback-for-pod', 'pod-start');
    await vi.advanceTimersByTimeAsync(3_500);
    expect(order).toEqual(['first', 'rollback-for-pod', 'release', 'gc']);
  });

  it('a slow call in one pool does not hold up another pool', async () => {
    const ec2 = new FakeEc2();
    let releaseSlow!: () => void;
    ec2.handlers.DeleteNetworkInterface = () => new Promise<unknown>((r) => (releaseSlow = () => r({})));
    gw = new Ec2Gateway({ client: ec2, config: config({ pools: { 'pod-start': 1, trunk: 1, release: 1, background: 1 } }) });
    const slow = gw.deleteNetworkInterface({ NetworkInterfaceId: 'eni-old' }, { priority: 'release' });
    const queuedRelease = gw.deleteNetworkInterface({ NetworkInterfaceId: 'eni-old-2' }, { priority: 'release' });
    const fast = gw.createNetworkInterface({ SubnetId: 's' }, { priority: 'pod-start', purpose: ['p'] });
    await vi.advanceTimersByTimeAsync(50);
    await expect(fast).resolves.toBeDefined();
    expect(gw.poolStats('release')).toMatchObject({ running: 1, waiting: 1 });
    releaseSlow();
    await vi.advanceTimersByTimeAsync(50);
    releaseSlow();
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([slow, queuedRelease]);
  });

  it('with a shared budget (the reference policy) all actions draw from one 12/s bucket of 18', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config({ shared: REFERENCE_PACING }) });
    let done = 0;
    for (let i = 0; i < 40; i++) {
      void gw.createNetworkInterface({ SubnetId: 's' }, { priority: 'pod-start', purpose: ['ref', String(i)] }).then(() => void done++);
      void gw.createTags({ Resources: [`eni-${i}`], Tags: [] }, { priority: 'background' }).then(() => void done++);
    }
    await vi.advanceTimersByTimeAsync(50);
    expect(done).toBe(18);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBeGreaterThanOrEqual(29);
    expect(done).toBeLessThanOrEqual(31);
    expect(Object.keys(gw.pacingState())).toEqual(['*']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(80);
  });

  it('reconfigure changes rates and pool sizes live', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config() });
    gw.reconfigure(config({ accountShare: 0.5, rates: { CreateTags: 2 }, pools: { 'pod-start': 4, trunk: 2, release: 2, background: 1 } }));
    expect(gw.pacingState().CreateTags!.configuredRate).toBe(2);
    expect(gw.pacingState().CreateNetworkInterface!.configuredRate).toBeCloseTo(5 * 0.5 * 0.98);
    expect(gw.pacingState().CreateNetworkInterface!.burst).toBe(48);
    expect(gw.poolStats('pod-start').size).toBe(4);
  });

  it('fails calls after close with a GatewayClosed error', async () => {
    const ec2 = new FakeEc2();
    gw = new Ec2Gateway({ client: ec2, config: config() });
    const closing = gw.close();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    await expect(gw.createTags({ Resources: [], Tags: [] }, { priority: 'background' })).rejects.toMatchObject({ code: 'GatewayClosed' });
  });
});
