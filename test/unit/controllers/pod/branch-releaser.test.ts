// The branch releaser's decisions against an in-memory EC2: cooldown, the owner re-check with the
// API server, deletion, NotFound counting as done, and waking pods waiting for capacity.
import { describe, expect, it } from 'vitest';
import { apiError, harness, pod, policy } from './pod-harness.js';

async function allocatedThenDeleted(h: ReturnType<typeof harness>): Promise<string> {
  h.policies.push(policy('web', ['sg-0000000a']));
  const k = h.add(pod('a'));
  await h.reconcile(k);
  h.pods.delete(k);
  await h.reconcile(k);
  return h.releaseQueue[0] ?? '';
}

describe('BranchReleaser', () => {
  it('waits out the cooldown, then disassociates and deletes', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.advance(10_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'requeueAfter', delayMs: 20_000 });
    h.advance(20_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(false);
    expect(h.ec2.associations.size).toBe(0);
    expect(h.book.knows(eniId)).toBe(false);
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
  });

  it('calls the release off when the API server still has the owner running, and looks at the pod again', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.apiPods.set('ns/a', pod('a'));
    h.advance(30_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.book.release(eniId)).toBeUndefined();
    expect(h.book.node('node-1')?.activeFor('uid-a')).toHaveLength(1);
    expect(h.podQueue).toEqual(['ns/a']);
  });

  it('deletes when the name now belongs to another incarnation', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.apiPods.set('ns/a', pod('a', { uid: 'other' }));
    h.advance(30_000);
    await h.releaser.reconcile(eniId);
    expect(h.ec2.enis.has(eniId)).toBe(false);
  });

  it('retries when the owner cannot be read (never deletes on doubt)', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.apiPods.set('ns/a', apiError(503, 'ServiceUnavailable'));
    h.advance(30_000);
    await expect(h.releaser.reconcile(eniId)).rejects.toThrow();
    expect(h.ec2.enis.has(eniId)).toBe(true);
  });

  it('an ENI already gone from EC2 counts as deleted', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.ec2.associations.clear();
    h.ec2.enis.delete(eniId);
    h.advance(30_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.book.knows(eniId)).toBe(false);
  });

  it('a failed delete keeps the ENI for another try', async () => {
    const h = harness();
    const eniId = await allocatedThenDeleted(h);
    h.ec2.failNext('DeleteNetworkInterface', 'InternalError');
    h.advance(30_000);
    expect((await h.releaser.reconcile(eniId)).kind).toBe('retry');
    expect(h.book.release(eniId)).toBeDefined();
    expect(h.metricCalls).toContain('releaseFailure');
  });

  it('a deletion wakes the pods waiting for capacity on that node', async () => {
    const h = harness({ branchLimit: 1 });
    const eniId = await allocatedThenDeleted(h);
    const k = h.add(pod('b'));
    expect((await h.reconcile(k)).kind).toBe('requeueAfter');
    h.advance(30_000);
    await h.releaser.reconcile(eniId);
    expect(h.podQueue).toEqual([k]);
  });

  it('an ENI no longer pending is done at once', async () => {
    const h = harness();
    expect(await h.releaser.reconcile('eni-unknown')).toEqual({ kind: 'done' });
    expect(h.ec2.calls).toEqual([]);
  });
});
