// The delete guard (issue 10, item 2): nothing destroys a branch ENI that a live pod names (as the
// API server has it, not the cache) or whose tags do not say this cluster owns it; every refusal
// is counted.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI } from '../../../../src/apis/constants.js';
import { harness, pod, policy } from './pod-harness.js';

type Harness = ReturnType<typeof harness>;

async function allocated(h: Harness): Promise<{ key: string; eniId: string; annotation: string }> {
  h.policies.push(policy('web', ['sg-0000000a']));
  const key = h.add(pod('a'));
  await h.reconcile(key);
  const annotation = h.patches[0]?.body.metadata.annotations[ANNOTATION_POD_ENI] ?? '';
  return { key, eniId: h.ec2.branchEnis()[0]?.NetworkInterfaceId ?? '', annotation };
}

describe('DeleteGuard', () => {
  it('a release after the cooldown is called off when the API server has a live pod naming the ENI (the cache said it was gone)', async () => {
    const h = harness();
    const { key, eniId, annotation } = await allocated(h);
    h.pods.delete(key); // the cache lost the pod (a cut watch)
    await h.reconcile(key);
    expect(h.releaseQueue).toEqual([eniId]);
    // The API server still has it, annotated with the ENI (same UID).
    h.apiPods.set(key, pod('a', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Running' }));
    h.advance(30_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.ec2.count('DeleteNetworkInterface')).toBe(0);
    expect(h.ec2.count('DisassociateTrunkInterface')).toBe(0);
    expect(h.book.node('node-1')?.activeFor('uid-a')).toHaveLength(1);
    expect(h.podQueue).toContain(key);
  });

  it('an immediate release (no owner re-check of its own) is refused too when a live pod names the ENI', async () => {
    const h = harness();
    const { key, eniId, annotation } = await allocated(h);
    h.apiPods.set(key, pod('a', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Running' }));
    h.releaser.releasePod({ uid: 'uid-a', namespace: 'ns', name: 'a' }, 'node-1', true);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.metricCalls).toContain('deleteRefused:live-pod:immediate');
  });

  it('an ENI whose tags do not say this cluster owns it is never deleted', async () => {
    const h = harness();
    const { eniId } = await allocated(h);
    const eni = h.ec2.enis.get(eniId);
    if (eni) eni.TagSet = (eni.TagSet ?? []).filter((t) => !t.Key?.startsWith('kubernetes.io/cluster/'));
    h.pods.clear();
    h.releaser.releasePod({ uid: 'uid-a', namespace: 'ns', name: 'a' }, 'node-1', true);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.metricCalls).toContain('deleteRefused:not-owned:immediate');
  });

  it('a finished pod naming the ENI, or a pod of that name not naming it, does not stop the delete', async () => {
    const h = harness();
    const { key, eniId, annotation } = await allocated(h);
    h.apiPods.set(key, pod('a', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Succeeded' }));
    expect(await h.guard.verdict(eniId, { uid: 'uid-a', namespace: 'ns', name: 'a' }, 'cooldown')).toEqual({ kind: 'delete' });
    h.apiPods.set(key, pod('a', { uid: 'uid-new', phase: 'Running' }));
    expect(await h.guard.verdict(eniId, { uid: 'uid-a', namespace: 'ns', name: 'a' }, 'orphan')).toEqual({ kind: 'delete' });
    // A pod unknown to the caller is found through the ENI's pod tags.
    h.apiPods.set(key, pod('a', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Running' }));
    expect(await h.guard.verdict(eniId, undefined, 'orphan')).toMatchObject({ kind: 'keep', reason: 'live-pod', pod: key });
    expect(await h.guard.verdict('eni-gone', undefined, 'orphan')).toEqual({ kind: 'gone' });
  });

  it('a rollback does not delete an ENI a live pod names', async () => {
    const h = harness();
    const { key, eniId, annotation } = await allocated(h);
    h.apiPods.set(key, pod('a', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Running' }));
    expect(await h.guard.verdict(eniId, { uid: 'uid-a', namespace: 'ns', name: 'a' }, 'rollback')).toMatchObject({ kind: 'keep', reason: 'live-pod' });
    expect(h.metricCalls).toContain('deleteRefused:live-pod:rollback');
  });
});

// Found by `npm run bench -- chaos`: a warm ENI handed to pod b keeps the tags of pod a it was made
// for. A restart that missed b's annotation (written just before the kill) released it as a's; its
// cooldown was long served, so it turned warm at once and went to a third pod while b still used it.
describe('DeleteGuard: a reused ENI named by another live pod on the node', () => {
  async function reusedBy(h: Harness): Promise<{ eniId: string; annotation: string }> {
    const { key, eniId, annotation } = await allocated(h);
    // The controller's record still says pod a; the API server has a gone, and b (another name,
    // another UID) running on the node with the ENI in its annotation.
    h.pods.delete(key);
    h.apiPods.set('ns/b', pod('b', { annotations: { [ANNOTATION_POD_ENI]: annotation }, phase: 'Running' }));
    await h.reconcile(key);
    expect(h.releaseQueue).toEqual([eniId]);
    h.advance(30_000);
    return { eniId, annotation };
  }

  it('is not made warm for another pod: the release is called off and b is looked at', async () => {
    const h = harness({ warmSeconds: 180 });
    const { eniId } = await reusedBy(h);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.book.node('node-1')?.get(eniId)?.phase).toBe('active');
    expect(h.book.node('node-1')?.counts().warm).toBe(0);
    expect(h.metricCalls).toContain('deleteRefused:live-pod:warm');
    expect(h.podQueue).toContain('ns/b');
  });

  it('is not deleted either when reuse is off', async () => {
    const h = harness();
    const { eniId } = await reusedBy(h);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.ec2.count('DeleteNetworkInterface')).toBe(0);
    expect(h.metricCalls).toContain('deleteRefused:live-pod:cooldown');
  });

  it('is kept warm when no live pod names it', async () => {
    const h = harness({ warmSeconds: 180 });
    const { key, eniId } = await allocated(h);
    h.pods.delete(key);
    await h.reconcile(key);
    h.advance(30_000);
    await h.releaser.reconcile(eniId);
    expect(h.book.node('node-1')?.get(eniId)?.phase).toBe('warm');
  });
});
