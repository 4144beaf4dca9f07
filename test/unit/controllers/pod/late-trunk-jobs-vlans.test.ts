// Issue 10, item 6 (upstream issues 99, 33, 595): a pod bound before its node's trunk was ready is
// served once it is; Succeeded and Failed pods give their ENIs back; a VLAN comes back only when its
// ENI is really disassociated and deleted (or gone), never on a failed or lost call.
import { describe, expect, it } from 'vitest';
import { harness, pod, policy } from './pod-harness.js';

type Harness = ReturnType<typeof harness>;

async function releasedEni(h: Harness): Promise<string> {
  h.policies.push(policy('web', ['sg-0000000a']));
  const k = h.add(pod('a'));
  await h.reconcile(k);
  h.pods.delete(k);
  await h.reconcile(k);
  h.advance(30_000);
  return h.releaseQueue[0] ?? '';
}

describe('pods bound before the trunk was ready', () => {
  it('waits without any EC2 call, then allocates when the trunk is published', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const trunk = h.trunks.get('node-1');
    h.trunks.delete('node-1');
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.calls).toEqual([]);
    h.trunks.set('node-1', trunk!);
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.patches).toHaveLength(1);
  });
});

describe('Jobs', () => {
  it.each(['Succeeded', 'Failed'])('a %s pod hands its ENIs to the cooldown, and they are deleted after it', async (phase) => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    await h.reconcile(k);
    const eniId = h.ec2.branchEnis()[0]?.NetworkInterfaceId ?? '';
    h.add(pod('a', { phase }));
    await h.reconcile(k);
    expect(h.releaseQueue).toEqual([eniId]);
    h.advance(30_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(false);
  });
});

describe('a VLAN is freed only when its ENI is disassociated and gone', () => {
  it('a failed disassociate keeps the VLAN and the ENI', async () => {
    const h = harness();
    const eniId = await releasedEni(h);
    h.ec2.failNext('DisassociateTrunkInterface', 'InternalError');
    expect((await h.releaser.reconcile(eniId)).kind).toBe('retry');
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(true);
    expect(h.ec2.enis.has(eniId)).toBe(true);
  });

  it('a failed delete after the disassociate keeps the VLAN; the retry finishes and frees it', async () => {
    const h = harness();
    const eniId = await releasedEni(h);
    h.ec2.failNext('DeleteNetworkInterface', 'InternalError');
    expect((await h.releaser.reconcile(eniId)).kind).toBe('retry');
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(true);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
  });

  it('a delete whose answer was lost: the retry finds the ENI gone and only then frees the VLAN', async () => {
    const h = harness();
    const eniId = await releasedEni(h);
    h.ec2.loseAnswerNext('DeleteNetworkInterface', 'InternalError');
    expect((await h.releaser.reconcile(eniId)).kind).toBe('retry');
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(true);
    expect(h.ec2.enis.has(eniId)).toBe(false);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
  });

  it('an ENI the guard keeps (not ours) keeps its VLAN', async () => {
    const h = harness();
    const eniId = await releasedEni(h);
    const eni = h.ec2.enis.get(eniId);
    if (eni) eni.TagSet = [];
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(true);
  });
});
