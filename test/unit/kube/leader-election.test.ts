import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector } from '../../../src/kube/leader-election.js';

/** An in-memory Lease API with resourceVersion conflicts, like the API server's. */
class FakeLeases {
  lease: V1Lease | undefined;
  rv = 0;
  down = false;
  writes = 0;
  private check(): void {
    if (this.down) throw new Error('connect ECONNREFUSED');
  }
  readNamespacedLease = async (req: { name: string; namespace: string }): Promise<V1Lease> => {
    await Promise.resolve();
    this.check();
    if (!this.lease || req.name !== this.lease.metadata?.name) throw new ApiException(404, 'nf', '{"reason":"NotFound"}', {});
    return structuredClone(this.lease);
  };
  createNamespacedLease = async (req: { namespace: string; body: V1Lease }): Promise<V1Lease> => {
    await Promise.resolve();
    this.check();
    if (this.lease) throw new ApiException(409, 'exists', '{"reason":"AlreadyExists"}', {});
    this.writes++;
    this.lease = { ...req.body, metadata: { ...req.body.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  };
  replaceNamespacedLease = async (req: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease> => {
    await Promise.resolve();
    this.check();
    if (req.body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      throw new ApiException(409, 'conflict', '{"reason":"Conflict"}', {});
    }
    this.writes++;
    this.lease = { ...req.body, metadata: { ...req.body.metadata, resourceVersion: String(++this.rv) } };
    return structuredClone(this.lease);
  };
}

function elector(api: FakeLeases, identity: string, events: string[]) {
  return new LeaderElector({
    coordination: api,
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    onStartedLeading: () => events.push(`${identity}:start`),
    onStoppedLeading: () => events.push(`${identity}:stop`),
  });
}

/** Candidate a starts first and leads; b starts 10 ms later as the standby. */
async function leaderThenStandby() {
  const api = new FakeLeases();
  const events: string[] = [];
  const a = elector(api, 'a', events);
  const b = elector(api, 'b', events);
  a.start();
  await vi.advanceTimersByTimeAsync(10);
  b.start();
  return { api, events, a, b };
}

describe('LeaderElector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates the lease kube-system/cp-vpc-resource-controller and leads; a second candidate waits', async () => {
    const { api, events, a, b } = await leaderThenStandby();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(events).toEqual(['a:start']);
    expect(api.lease?.metadata).toMatchObject({ name: 'cp-vpc-resource-controller', namespace: 'kube-system' });
    expect(api.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    await a.stop();
    await b.stop();
  });

  it('a standby takes over once the leader stops renewing for a lease duration', async () => {
    const { api, a, b } = await leaderThenStandby();
    await vi.advanceTimersByTimeAsync(5_000);
    // a dies without releasing (its timers stop; the lease stays with its name).
    const frozen = a as unknown as { running: boolean };
    frozen.running = false;
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(b.isLeader()).toBe(true);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.stop();
  });

  it('a standby takes over within a lease duration and one retry period of the dead leader\'s last renewal, not at a later retry tick', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const { api, a, b } = await leaderThenStandby();
    await vi.advanceTimersByTimeAsync(4_100);
    (a as unknown as { running: boolean }).running = false;
    await vi.advanceTimersByTimeAsync(2_000);
    const lastRenewal = (api.lease?.spec?.renewTime as Date).getTime();
    let tookOverAt = 0;
    for (let t = 0; t < 30_000 && !tookOverAt; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      if (b.isLeader()) tookOverAt = Date.now();
    }
    expect(tookOverAt - lastRenewal).toBeGreaterThanOrEqual(15_000);
    expect(tookOverAt - lastRenewal).toBeLessThanOrEqual(15_000 + 2_000 * 1.2 + 100);
    vi.restoreAllMocks();
    await b.stop();
  });

  it('stop() releases the lease so a standby takes over at its next try', async () => {
    const { api, events, a, b } = await leaderThenStandby();
    await vi.advanceTimersByTimeAsync(3_000);
    await a.stop();
    expect(api.lease?.spec?.holderIdentity).toBe('');
    await vi.advanceTimersByTimeAsync(2_500);
    expect(b.isLeader()).toBe(true);
    expect(events).toEqual(['a:start', 'a:stop', 'b:start']);
    await b.stop();
  });

  it('gives up leadership when it cannot renew within the renew deadline', async () => {
    const api = new FakeLeases();
    const events: string[] = [];
    const a = elector(api, 'a', events);
    a.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(a.isLeader()).toBe(true);
    api.down = true;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(a.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['a:start', 'a:stop']);
    // And campaigns again once the API is back.
    api.down = false;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(a.isLeader()).toBe(true);
    await a.stop();
  });

  it('rejects inconsistent durations', () => {
    const api = new FakeLeases();
    expect(
      () =>
        new LeaderElector({
          coordination: api,
          identity: 'a',
          leaseDurationMs: 5_000,
          renewDeadlineMs: 6_000,
          onStartedLeading: () => {},
          onStoppedLeading: () => {},
        }),
    ).toThrow(/renewDeadline must be shorter than leaseDuration/);
  });
});
