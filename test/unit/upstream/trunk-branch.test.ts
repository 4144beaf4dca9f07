// Ported from aws/amazon-vpc-resource-controller-k8s pkg/provider/branch/trunk/trunk_test.go and
// pkg/provider/branch/provider_test.go: what a user sees of branch ENIs (groups, VLANs, the pod
// annotation, events, cooldown, deletion, rollback). Written against our pod reconciler and branch
// releaser over the in-memory EC2 (test/unit/controllers/pod/pod-harness.ts). Upstream's internal
// caches and queues are not ported; deliberate differences name their row in
// docs/differences-from-eks.md.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI } from '../../../src/apis/constants.js';
import { decodePodEniAnnotation } from '../../../src/domain/pod-eni-annotation.js';
import { apiError, harness, pod, policy } from '../controllers/pod/pod-harness.js';

type H = ReturnType<typeof harness>;
const annotation = (h: H, i = 0) => {
  const d = decodePodEniAnnotation(h.patches[i]?.body.metadata.annotations[ANNOTATION_POD_ENI] ?? '');
  if (!d.ok) throw new Error(d.errors.join('; '));
  return d.value;
};
const SG = 'sg-0000000a';
async function allocated(h: H, name = 'a', eni = 1): Promise<string> {
  if (h.policies.length === 0) h.policies.push(policy('web', [SG]));
  const k = h.add(pod(name, { eni }));
  expect(await h.reconcile(k)).toEqual({ kind: 'done' });
  return k;
}

describe('trunk_test.go', () => {
  it('TestTrunkENI_CreateAndAssociateBranchENIs: a branch ENI with the policy groups, associated to the trunk on a VLAN, in the annotation', async () => {
    const h = harness();
    await allocated(h);
    const [eni] = h.ec2.branchEnis();
    expect(eni?.Groups).toEqual([{ GroupId: SG }]);
    const [assoc] = [...h.ec2.associations.values()];
    expect(assoc).toMatchObject({ TrunkInterfaceId: 'eni-trunk', BranchInterfaceId: eni?.NetworkInterfaceId, VlanId: 1 });
    expect(annotation(h)).toEqual([
      expect.objectContaining({ eniId: eni?.NetworkInterfaceId, ifAddress: eni?.MacAddress, privateIp: eni?.PrivateIpAddress, vlanId: 1, subnetCidr: '10.0.0.0/19' }),
    ]);
  });
  it('TestTrunkENI_CreateAndAssociateBranchENIs (resourceCount 2): two ENIs on two VLANs', async () => {
    const h = harness();
    await allocated(h, 'a', 2);
    expect(annotation(h).map((e) => e.vlanId)).toEqual([1, 2]);
    expect(h.ec2.associations.size).toBe(2);
  });
  it('TestTrunkENI_CreateAndAssociateBranchENIs_InstanceSecurityGroup: no policy → the instance (trunk) groups, with a SecurityGroupRequested Warning', async () => {
    const h = harness({ defaultGroups: ['sg-0000000b'] });
    expect(await h.reconcile(h.add(pod('a')))).toEqual({ kind: 'done' });
    expect(h.ec2.branchEnis()[0]?.Groups).toEqual([{ GroupId: 'sg-0000000b' }]);
    expect(h.events[0]).toMatchObject({ type: 'Warning', reason: 'SecurityGroupRequested' });
  });
  it('TestTrunkENI_CreateAndAssociateBranchENIs_ErrorAssociate: the created ENI is deleted, the pod is not annotated', async () => {
    const h = harness();
    h.policies.push(policy('web', [SG]));
    h.ec2.failNext('AssociateTrunkInterface', 'InternalError');
    expect((await h.reconcile(h.add(pod('a')))).kind).toBe('retry');
    expect(h.ec2.branchEnis()).toEqual([]);
    expect(h.patches.filter((p) => ANNOTATION_POD_ENI in p.body.metadata.annotations)).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'BranchAllocationFailed' });
  });
  it('TestTrunkENI_CreateAndAssociateBranchENIs_ErrorCreate: nothing is left, the VLAN is free again', async () => {
    const h = harness();
    h.policies.push(policy('web', [SG]));
    h.ec2.failNext('CreateNetworkInterface', 'InternalError');
    expect((await h.reconcile(h.add(pod('a')))).kind).toBe('retry');
    expect(h.ec2.branchEnis()).toEqual([]);
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'BranchAllocationFailed' });
  });
  it('TestTrunkENI_PushBranchENIsToCoolDownQueue / TestTrunkENI_Reconcile: a pod gone from the API server → its ENIs go to the cooldown', async () => {
    const h = harness();
    const k = await allocated(h, 'a', 2);
    h.pods.delete(k);
    await h.reconcile(k);
    expect(h.releaseQueue).toHaveLength(2);
    expect(h.book.pendingReleases().every((r) => !r.immediate)).toBe(true);
  });
  it('TestTrunkENI_Reconcile_NoStateChange: a pod that still exists keeps its ENIs', async () => {
    const h = harness();
    const k = await allocated(h);
    h.applyPatches();
    await h.reconcile(k);
    expect(h.releaseQueue).toEqual([]);
    expect(h.ec2.branchEnis()).toHaveLength(1);
  });
  it('TestTrunkENI_DeleteCooledDownENIs_NotCooledDown / _CooledDownResource: deleted only after the cooldown (30 s), disassociated first, VLAN freed', async () => {
    const h = harness();
    const k = await allocated(h);
    h.pods.delete(k);
    await h.reconcile(k);
    const eniId = h.releaseQueue[0] ?? '';
    h.advance(24_000);
    expect(await h.releaser.reconcile(eniId)).toMatchObject({ kind: 'requeueAfter' });
    expect(h.ec2.enis.has(eniId)).toBe(true);
    h.advance(6_000);
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(false);
    expect(h.ec2.associations.size).toBe(0);
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
  });
  it('TestTrunkENI_DeleteCooledDownENIs_DeleteFailed → ours: the ENI is kept for another try, never dropped (difference D10; upstream gives up after 3 tries)', async () => {
    const h = harness();
    const k = await allocated(h);
    h.pods.delete(k);
    await h.reconcile(k);
    const eniId = h.releaseQueue[0] ?? '';
    h.advance(30_000);
    for (let i = 0; i < 4; i++) {
      h.ec2.failNext('DeleteNetworkInterface', 'InternalError');
      expect((await h.releaser.reconcile(eniId)).kind).toBe('retry');
    }
    expect(h.book.release(eniId)).toBeDefined();
    expect(await h.releaser.reconcile(eniId)).toEqual({ kind: 'done' });
    expect(h.ec2.enis.has(eniId)).toBe(false);
  });
  it('TestTrunkENI_assignVlanId / freeVlanId → ours: a freed VLAN goes behind never-used ones (difference D6; upstream reuses the lowest)', async () => {
    const h = harness();
    const k = await allocated(h, 'a');
    h.pods.delete(k);
    await h.reconcile(k);
    h.advance(30_000);
    await h.releaser.reconcile(h.releaseQueue[0] ?? '');
    expect(h.book.node('node-1')?.vlanHeld(1)).toBe(false);
    await allocated(h, 'b');
    expect(annotation(h, 1)[0]?.vlanId).toBe(2);
  });
});

describe('provider_test.go', () => {
  it('TestBranchENIProvider_CreateAndAnnotateResources: ResourceAllocated event with the annotation', async () => {
    const h = harness();
    await allocated(h);
    const raw = h.patches[0]?.body.metadata.annotations[ANNOTATION_POD_ENI] ?? '';
    expect(h.events.at(-1)).toEqual({ type: 'Normal', reason: 'ResourceAllocated', message: `Allocated ${raw} to the pod` });
  });
  it('TestBranchENIProvider_CreateAndAnnotateResources_AlreadyAnnotated_Cache: no second allocation', async () => {
    const h = harness();
    const k = await allocated(h);
    h.applyPatches();
    await h.reconcile(k);
    expect(h.ec2.count('CreateNetworkInterface')).toBe(1);
    expect(h.patches).toHaveLength(1);
  });
  it('TestBranchENIProvider_CreateAndAnnotateResources_TrunkNotPreset: no trunk on the node → nothing is created yet', async () => {
    const h = harness();
    h.policies.push(policy('web', [SG]));
    h.trunks.clear();
    expect(await h.reconcile(h.add(pod('a')))).toEqual({ kind: 'done' });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(0);
  });
  it('TestBranchENIProvider_CreateAndAnnotateResources_Annotate_Error → ours: BranchENIAnnotationFailed, the ENIs are kept and the annotation retried (difference D11; upstream deletes them and starts over)', async () => {
    const h = harness();
    h.policies.push(policy('web', [SG]));
    h.patchErrors.push(apiError(500, 'InternalError'));
    const k = h.add(pod('a'));
    expect((await h.reconcile(k)).kind).toBe('retry');
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'BranchENIAnnotationFailed' });
    expect(h.releaseQueue).toEqual([]);
    expect(await h.reconcile(k)).toEqual({ kind: 'done' });
    expect(h.ec2.count('CreateNetworkInterface')).toBe(1);
  });
  it('(CreateAndAnnotateResources) the pod is gone when annotating → its ENIs are released at once, as upstream pushes them to the front of the delete queue', async () => {
    const h = harness();
    h.policies.push(policy('web', [SG]));
    h.patchErrors.push(apiError(404, 'NotFound'));
    expect(await h.reconcile(h.add(pod('a')))).toEqual({ kind: 'done' });
    expect(h.book.pendingReleases()[0]).toMatchObject({ immediate: true });
  });
});
