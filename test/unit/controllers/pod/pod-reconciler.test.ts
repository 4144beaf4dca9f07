// Every branch of the pod reconciler's decisions, against an in-memory EC2 (no server): what it
// creates, what it tells the user, what it hands to release, and what it asks the queue to do.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI } from '../../../../src/apis/constants.js';
import { decodePodEniAnnotation } from '../../../../src/domain/pod-eni-annotation.js';
import { apiError, harness, pod, policy } from './pod-harness.js';

const annotationOf = (h: ReturnType<typeof harness>, i = 0) => {
  const raw = h.patches[i]?.body.metadata.annotations[ANNOTATION_POD_ENI];
  const d = decodePodEniAnnotation(raw ?? '');
  if (!d.ok) throw new Error(`bad annotation ${raw}`);
  return d.value;
};

describe('PodReconciler: allocation', () => {
  it('creates and associates a branch ENI with the policy groups, then annotates the incarnation', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    const [eni] = h.ec2.branchEnis();
    expect(eni?.Groups).toEqual([{ GroupId: 'sg-0000000a' }]);
    expect(h.ec2.associations.size).toBe(1);
    expect(h.patches[0]?.body.metadata.uid).toBe('uid-a');
    expect(annotationOf(h)).toMatchObject([{ eniId: eni?.NetworkInterfaceId, subnetCidr: '10.0.0.0/19', vlanId: 1 }]);
    expect(h.reasons()).toEqual(['SecurityGroupRequested', 'ResourceAllocated']);
    expect(h.book.node('node-1')?.activeFor('uid-a')).toHaveLength(1);
  });

  it('gives a pod asking for two ENIs two ENIs on two VLANs', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a', { eni: 2 }));
    await h.reconcile(k);
    expect(annotationOf(h).map((e) => e.vlanId)).toEqual([1, 2]);
    expect(h.ec2.branchEnis()).toHaveLength(2);
  });

  it('does not repeat the work when the cache has not caught up with its own patch', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    await h.reconcile(k);
    const calls = h.ec2.calls.length;
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.calls.length).toBe(calls);
    expect(h.patches).toHaveLength(1);
  });

  it('without a matching policy uses the trunk groups and says so', async () => {
    const h = harness();
    const k = h.add(pod('a'));
    await h.reconcile(k);
    expect(h.ec2.branchEnis()[0]?.Groups).toEqual([{ GroupId: 'sg-node' }]);
    // Upstream's reason and type (pkg/provider/branch/provider.go), our message naming the groups; no Normal besides.
    const requested = h.events.filter((e) => e.reason === 'SecurityGroupRequested');
    expect(requested).toEqual([
      {
        type: 'Warning',
        reason: 'SecurityGroupRequested',
        message:
          "no SecurityGroupPolicy in namespace ns selects this pod; the pod requests vpc.amazonaws.com/pod-eni so it gets a branch ENI with the node's trunk security groups [sg-node]. Create or fix a SecurityGroupPolicy if it needs others",
      },
    ]);
    expect(h.reasons()).toEqual(['SecurityGroupRequested', 'ResourceAllocated']);
  });

  it('without a matching policy warns once, not on every retry', async () => {
    const h = harness({ branchLimit: 1 });
    await h.reconcile(h.add(pod('a')));
    const k = h.add(pod('b'));
    await h.reconcile(k);
    await h.reconcile(k);
    // One Warning for a, one for b: b's retry at capacity does not repeat it.
    expect(h.events.filter((e) => e.reason === 'SecurityGroupRequested' && e.type === 'Warning')).toHaveLength(2);
  });

  it('the annotation carries the associationID EC2 returned, after subnetCidr', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    await h.reconcile(h.add(pod('a')));
    const [assoc] = [...h.ec2.associations.keys()];
    expect(assoc).toMatch(/^trunk-assoc-/);
    expect(annotationOf(h)[0]?.associationID).toBe(assoc);
    const raw = h.patches[0]?.body.metadata.annotations[ANNOTATION_POD_ENI] ?? '';
    expect(Object.keys((JSON.parse(raw) as Record<string, unknown>[])[0] ?? {})).toEqual(['eniId', 'ifAddress', 'privateIp', 'vlanId', 'subnetCidr', 'associationID']);
  });

  it('without a matching policy and a trunk without groups creates nothing', async () => {
    const h = harness({ defaultGroups: [] });
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(0);
  });

  it('adopts an ENI left by a crash between create and associate: associates it and annotates, no second create', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    await h.ec2.createNetworkInterface(
      {
        SubnetId: 'subnet-1',
        Groups: ['sg-0000000a'],
        Description: 'aws-k8s-branch-eni',
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'eks:eni:owner', Value: 'eks-vpc-resource-controller' }, { Key: 'kubernetes.io/cluster/c1', Value: 'owned' }, { Key: 'vpcresources.k8s.aws/trunk-eni-id', Value: 'eni-trunk' }, { Key: 'vpcresources.k8s.aws/vlan-id', Value: '4' }, { Key: 'vpcresources.k8s.aws/pod-uid', Value: 'uid-a' }] }],
      },
      { priority: 'pod-start', purpose: ['earlier'] },
    );
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(1);
    expect(h.ec2.count('AssociateTrunkInterface')).toBe(1);
    expect(annotationOf(h)[0]?.vlanId).toBe(4);
  });
});

describe('PodReconciler: nothing to do', () => {
  it.each([
    ['the pod is gone', () => undefined],
    ['the pod is not scheduled', () => pod('a', { node: undefined })],
    ['the pod is annotated already', () => pod('a', { annotations: { [ANNOTATION_POD_ENI]: '[]' } })],
    ['the pod finished', () => pod('a', { phase: 'Succeeded' })],
    ['the node has no ready trunk', () => pod('a', { node: 'node-2' })],
  ])('%s: done without EC2 calls', async (_name, make) => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const p = make();
    const k = p ? h.add(p) : 'ns/a';
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.calls.filter((c) => !c.action.startsWith('Describe'))).toEqual([]);
    expect(h.patches).toEqual([]);
  });

  it('an unreadable pod-eni request is terminal, with a Warning naming the field', async () => {
    const h = harness();
    const k = h.add(pod('a', { eni: 'two' }));
    const out = await h.reconcile(k);
    expect(out.kind).toBe('terminal');
    expect(h.events[0]).toMatchObject({ type: 'Warning', reason: 'BranchAllocationFailed' });
    expect(h.events[0]?.message).toContain('spec.containers[0].resources');
  });

  it('a trunk published without its subnet CIDR is retried, never allocated on', async () => {
    const h = harness({ subnetCidr: '' });
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toMatchObject({ kind: 'retry', minDelayMs: 10_000 });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(0);
  });

  it('too many groups for one interface is terminal with SecurityGroupQuotaExceeded', async () => {
    const h = harness({ quota: 2 });
    h.policies.push(policy('web', ['sg-00000001', 'sg-00000002', 'sg-00000003']));
    const k = h.add(pod('a'));
    expect((await h.reconcile(k)).kind).toBe('terminal');
    expect(h.reasons()).toEqual(['SecurityGroupQuotaExceeded']);
    expect(h.metricCalls).toContain('quotaExceeded');
    expect(h.ec2.count('CreateNetworkInterface')).toBe(0);
  });
});

describe('PodReconciler: backstop', () => {
  it('warns once about a policy-matched pod without the pod-eni request', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a', { eni: 0 }));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    await h.reconcile(k);
    expect(h.reasons()).toEqual(['MissingPodENIResource']);
  });

  it('stays quiet when no policy matches', async () => {
    const h = harness();
    h.policies.push(policy('db', ['sg-0000000d'], { app: 'db' }));
    await h.reconcile(h.add(pod('a', { eni: 0 })));
    expect(h.events).toEqual([]);
  });
});

describe('PodReconciler: capacity', () => {
  it('a full trunk: Warning, wait for a release, look again after the recheck interval', async () => {
    const h = harness({ branchLimit: 1 });
    h.policies.push(policy('web', ['sg-0000000a']));
    await h.reconcile(h.add(pod('a')));
    const k = h.add(pod('b'));
    expect(await h.reconcile(k)).toEqual({ kind: 'requeueAfter', delayMs: 7_000 });
    expect(h.events.at(-1)).toMatchObject({ reason: 'BranchAllocationFailed' });
    expect(h.events.at(-1)?.message).toContain('has no free branch ENI');
    expect(h.capacity.take('node-1')).toEqual([k]);
  });
});

describe('PodReconciler: failures and rollback', () => {
  it('a failed create gives its VLAN back and retries with the EC2 class floor', async () => {
    const h = harness({ branchLimit: 1 });
    h.policies.push(policy('web', ['sg-0000000a']));
    h.ec2.failNext('CreateNetworkInterface', 'InsufficientFreeAddressesInSubnet');
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toMatchObject({ kind: 'retry', errorClass: 'quota', minDelayMs: 15_000 });
    expect(h.book.node('node-1')?.free).toBe(1);
    expect(h.metricCalls).toContain('allocationFailure:create');
    expect(h.events.at(-1)).toMatchObject({ reason: 'BranchAllocationFailed' });
    // The next try succeeds; a freed VLAN goes behind never-used ones.
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(annotationOf(h)[0]?.vlanId).toBe(2);
  });

  it('a failed associate deletes the new ENI and the next try uses a new ClientToken', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    h.ec2.failNext('AssociateTrunkInterface', 'InternalError');
    const k = h.add(pod('a'));
    expect((await h.reconcile(k)).kind).toBe('retry');
    expect(h.ec2.branchEnis()).toEqual([]);
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    const purposes = h.ec2.calls.filter((c) => c.action === 'CreateNetworkInterface').map((c) => JSON.stringify(c.opts.purpose));
    expect(purposes).toHaveLength(2);
    expect(purposes[0]).not.toBe(purposes[1]);
    expect(h.ec2.branchEnis()).toHaveLength(1);
  });

  it('an ENI the rollback could not delete keeps its VLAN and goes to release at once', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    h.ec2.failNext('AssociateTrunkInterface', 'InternalError');
    h.ec2.failNext('DeleteNetworkInterface', 'InternalError');
    const k = h.add(pod('a'));
    expect((await h.reconcile(k)).kind).toBe('retry');
    const [left] = h.ec2.branchEnis();
    expect(left).toBeDefined();
    expect(h.releaseQueue).toEqual([left?.NetworkInterfaceId]);
    expect(h.book.release(left?.NetworkInterfaceId ?? '')).toMatchObject({ immediate: true });
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(true);
  });

  it('throttling for over a minute adds an EC2Throttled Warning naming the fix', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    h.ec2.failNext('CreateNetworkInterface', 'RequestLimitExceeded');
    expect(await h.reconcile(k)).toMatchObject({ kind: 'retry', errorClass: 'throttled' });
    expect(h.reasons()).not.toContain('EC2Throttled');
    h.advance(61_000);
    h.ec2.failNext('CreateNetworkInterface', 'RequestLimitExceeded');
    await h.reconcile(k);
    expect(h.reasons()).toContain('EC2Throttled');
  });

  it.each([
    [404, 'NotFound'],
    [409, 'Conflict'],
    [422, 'Invalid'],
  ])('an annotation refused with %i (pod gone or replaced) releases the ENIs at once and is done', async (code, reason) => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    h.patchErrors.push(apiError(code, reason));
    const k = h.add(pod('a'));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.releaseQueue).toHaveLength(1);
    expect(h.book.pendingReleases()[0]).toMatchObject({ immediate: true });
  });

  it('an annotation that fails otherwise keeps the ENIs, warns and retries', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    h.patchErrors.push(apiError(500, 'InternalError'));
    const k = h.add(pod('a'));
    expect((await h.reconcile(k)).kind).toBe('retry');
    expect(h.reasons()).toContain('BranchENIAnnotationFailed');
    expect(h.releaseQueue).toEqual([]);
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(1);
  });
});

describe('PodReconciler: pods that go away', () => {
  it('a deleted pod’s ENIs go to cooldown', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    await h.reconcile(k);
    h.pods.delete(k);
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.releaseQueue).toHaveLength(1);
    expect(h.book.pendingReleases()[0]).toMatchObject({ immediate: false, pod: { uid: 'uid-a' } });
  });

  it('a finished pod’s ENIs go to cooldown', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    await h.reconcile(k);
    h.add(pod('a', { phase: 'Succeeded' }));
    await h.reconcile(k);
    expect(h.book.pendingReleases()).toHaveLength(1);
  });

  it('UID changed (same name, new pod): the old incarnation’s ENIs go, the new one gets its own', async () => {
    const h = harness();
    h.policies.push(policy('web', ['sg-0000000a']));
    const k = h.add(pod('a'));
    await h.reconcile(k);
    h.add(pod('a', { uid: 'uid-a2' }));
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.book.pendingReleases().map((r) => r.pod?.uid)).toEqual(['uid-a']);
    expect(h.patches.map((p) => p.body.metadata.uid)).toEqual(['uid-a', 'uid-a2']);
    expect(annotationOf(h, 1)[0]?.vlanId).toBe(2);
  });
});
