// Issue 10's two violations, replayed deterministically: a controller restarted after a rollback
// meets its predecessor's ClientTokens, which EC2 answers with the original resource whatever
// became of it since. The pod must never be annotated with an ENI that EC2 no longer has, or that
// no trunk holds on the annotated VLAN. A second harness on the same FakeEc2 is the restarted
// controller (fresh memory, same EC2, same pods).
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI } from '../../../../src/apis/constants.js';
import { decodePodEniAnnotation } from '../../../../src/domain/pod-eni-annotation.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';
import { ANNOTATION_BRANCH_ATTEMPT } from '../../../../src/controllers/pod/attempts.js';
import { checkBranch } from '../../../../src/controllers/pod/branch-check.js';
import { apiError, harness, pod, policy } from './pod-harness.js';

type Harness = ReturnType<typeof harness>;

/** Every annotated ENI exists in EC2 and is associated with the trunk on the annotated VLAN. */
function expectAnnotationTrue(h: Harness, ec2: FakeEc2): void {
  expect(h.patches.length).toBeGreaterThan(0);
  const raw = h.patches.at(-1)?.body.metadata.annotations[ANNOTATION_POD_ENI];
  const decoded = decodePodEniAnnotation(raw ?? '');
  if (!decoded.ok) throw new Error(`bad annotation ${raw}`);
  for (const e of decoded.value) {
    expect(ec2.enis.has(e.eniId), `annotated ENI ${e.eniId} exists in EC2`).toBe(true);
    const assoc = [...ec2.associations.values()].find((a) => a.BranchInterfaceId === e.eniId);
    expect(assoc, `annotated ENI ${e.eniId} is associated`).toMatchObject({ TrunkInterfaceId: 'eni-trunk', VlanId: e.vlanId });
  }
}

/** Reconcile until the pod is annotated or `n` tries are spent (a retry is what the queue would do). */
async function settle(h: Harness, key: string, n = 6): Promise<void> {
  for (let i = 0; i < n && h.patches.every((p) => !p.body.metadata.annotations[ANNOTATION_POD_ENI]); i++) {
    await h.reconcile(key);
    h.applyPatches();
    h.advance(1_000);
  }
}

/**
 * The next associate takes effect and its answer is lost, and the describe that would check
 * whether it took effect fails too: the controller cannot know, and rolls back.
 */
function loseAssociateAndItsCheck(ec2: FakeEc2): void {
  ec2.loseAnswerNext('AssociateTrunkInterface', 'InternalError');
  const send = ec2.associateTrunkInterface.bind(ec2);
  ec2.associateTrunkInterface = async (input, opts) => {
    ec2.associateTrunkInterface = send;
    try {
      return await send(input, opts);
    } catch (err) {
      ec2.failNext('DescribeNetworkInterfaces', 'InternalError');
      throw err;
    }
  };
}

function restarted(ec2: FakeEc2, before: Harness): Harness {
  const h2 = harness({ ec2, startedAt: 2_000_000 });
  h2.policies.push(...before.policies);
  for (const p of before.pods.values()) h2.add(structuredClone(p));
  h2.advance(1_000_000);
  return h2;
}

/** The controller before the kill: one matched pod, created before the restarted process starts. */
function firstController(): { ec2: FakeEc2; h1: Harness; key: string } {
  const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
  const h1 = harness({ ec2 });
  h1.policies.push(policy('web', ['sg-0000000a']));
  const p = pod('a');
  p.metadata = { ...p.metadata, creationTimestamp: new Date(500_000) };
  return { ec2, h1, key: h1.add(p) };
}

describe('replayed ClientTokens after a restart (issue 10)', () => {
  it('scenario 1: the rollback deleted the ENI but its answer was lost; the restarted controller does not annotate the deleted ENI', async () => {
    const { ec2, h1, key } = firstController();
    // The associate took effect but its answer was lost, and EC2 could not be asked whether it had
    // (the check's describe failed too); the rollback's disassociate went through and its delete
    // took effect, but that answer was lost too (ECONNRESET).
    loseAssociateAndItsCheck(ec2);
    ec2.loseAnswerNext('DeleteNetworkInterface', 'InternalError');
    expect((await h1.reconcile(key)).kind).not.toBe('done');
    h1.applyPatches();
    expect(ec2.branchEnis()).toHaveLength(0);
    // Killed here (its release of the "left" ENI never ran). The next process:
    const h2 = restarted(ec2, h1);
    await settle(h2, key);
    expectAnnotationTrue(h2, ec2);
  });

  it('scenario 2: the association took effect, was reported failed and was dissolved by the rollback; the adopted ENI is not annotated unassociated', async () => {
    const { ec2, h1, key } = firstController();
    // The associate took effect but was reported failed, and the check of it failed too; the
    // rollback's disassociate went through, and the controller died before the delete (modelled by
    // the delete failing unperformed).
    loseAssociateAndItsCheck(ec2);
    ec2.failNext('DeleteNetworkInterface', 'InternalError');
    expect((await h1.reconcile(key)).kind).not.toBe('done');
    h1.applyPatches();
    expect(ec2.branchEnis()).toHaveLength(1);
    expect(ec2.associations.size).toBe(0);
    const h2 = restarted(ec2, h1);
    await settle(h2, key);
    expectAnnotationTrue(h2, ec2);
  });

  it('a rollback that retired a token writes the attempt to the pod, and the next create uses the new generation', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const h = harness({ ec2 });
    h.policies.push(policy('web', ['sg-0000000a']));
    const key = h.add(pod('a'));
    ec2.failNext('AssociateTrunkInterface', 'InternalError');
    await h.reconcile(key);
    expect(h.patches.map((p) => p.body.metadata.annotations[ANNOTATION_BRANCH_ATTEMPT])).toEqual(['1']);
    h.applyPatches();
    await h.reconcile(key);
    const purposes = ec2.calls.filter((c) => c.action === 'CreateNetworkInterface').map((c) => c.opts.purpose?.at(-1));
    expect(purposes).toEqual(['0', '1']);
    // The association token carries the generation and the process epoch.
    const assoc = ec2.calls.filter((c) => c.action === 'AssociateTrunkInterface').map((c) => c.opts.purpose ?? []);
    expect(assoc.every((p) => p.length === 6)).toBe(true);
    expect(assoc[1]?.[5]).toMatch(/^1\./);
    expectAnnotationTrue(h, ec2);
  });

  it('scenario 1 with the attempt write lost too: the restarted controller still never annotates the deleted ENI', async () => {
    const { ec2, h1, key } = firstController();
    loseAssociateAndItsCheck(ec2);
    ec2.loseAnswerNext('DeleteNetworkInterface', 'InternalError');
    h1.patchErrors.push(apiError(500, 'InternalError'));
    await h1.reconcile(key);
    expect(h1.patches).toHaveLength(0);
    const h2 = restarted(ec2, h1);
    await settle(h2, key);
    expectAnnotationTrue(h2, ec2);
  });

  it('an associate that took effect but was reported failed is kept, not rolled back: one create, one associate, annotated', async () => {
    const { ec2, h1, key } = firstController();
    ec2.loseAnswerNext('AssociateTrunkInterface', 'InternalError');
    await settle(h1, key);
    expectAnnotationTrue(h1, ec2);
    expect(ec2.count('CreateNetworkInterface')).toBe(1);
    expect(ec2.count('AssociateTrunkInterface')).toBe(1);
    expect(ec2.count('DisassociateTrunkInterface') + ec2.count('DeleteNetworkInterface')).toBe(0);
  });

  it("a restarted controller's associate of an adopted ENI that loses the race to the killed process's in-flight associate keeps that association", async () => {
    const { ec2, h1, key } = firstController();
    // The first controller created the ENI and was killed with its associate in flight.
    ec2.failNext('AssociateTrunkInterface', 'RequestLimitExceeded');
    ec2.failNext('DeleteNetworkInterface', 'InternalError');
    await h1.reconcile(key);
    h1.applyPatches();
    const h2 = restarted(ec2, h1);
    const [eni] = ec2.branchEnis();
    expect(eni).toBeDefined();
    const vlan = Number(eni?.TagSet?.find((t) => t.Key === 'vpcresources.k8s.aws/vlan-id')?.Value);
    // The dead process's associate lands just before the restarted one's.
    const send = ec2.associateTrunkInterface.bind(ec2);
    let raced = false;
    ec2.associateTrunkInterface = async (input, opts) => {
      if (!raced) {
        raced = true;
        await send({ BranchInterfaceId: eni?.NetworkInterfaceId, TrunkInterfaceId: 'eni-trunk', VlanId: vlan }, { priority: 'pod-start', purpose: ['killed-process'] });
      }
      return send(input, opts);
    };
    await settle(h2, key);
    expectAnnotationTrue(h2, ec2);
    expect(ec2.count('CreateNetworkInterface')).toBe(1);
    expect(ec2.branchEnis()).toHaveLength(1);
  });

  it('checkBranch tells an ENI on the trunk and VLAN from a gone one and an unassociated one', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    ec2.enis.set('eni-trunk', { NetworkInterfaceId: 'eni-trunk', InterfaceType: 'trunk', SubnetId: 'subnet-1', TagSet: [] });
    const eni = await ec2.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['x'] });
    const id = eni.NetworkInterfaceId as string;
    expect(await checkBranch(ec2, id, 'eni-trunk', 3)).toEqual({ kind: 'unassociated' });
    const a = await ec2.associateTrunkInterface({ BranchInterfaceId: id, TrunkInterfaceId: 'eni-trunk', VlanId: 3 }, { priority: 'pod-start' });
    expect(await checkBranch(ec2, id, 'eni-trunk', 3)).toEqual({ kind: 'ok', associationId: a.AssociationId });
    expect(await checkBranch(ec2, id, 'eni-trunk', 4)).toMatchObject({ kind: 'unassociated', elsewhere: { vlanId: 3 } });
    expect(await checkBranch(ec2, 'eni-nope', 'eni-trunk', 3)).toEqual({ kind: 'gone' });
  });
});

describe('checkBranchSettled', () => {
  it('believes a bad finding only when it stays: an ENI that shows up a moment later is ok', async () => {
    const { checkBranchSettled } = await import('../../../../src/controllers/pod/branch-check.js');
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    ec2.enis.set('eni-trunk', { NetworkInterfaceId: 'eni-trunk', InterfaceType: 'trunk', SubnetId: 'subnet-1', TagSet: [] });
    const eni = await ec2.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['late'] });
    const id = eni.NetworkInterfaceId as string;
    // Not yet associated when first looked at; associated before the second look.
    setTimeout(() => void ec2.associateTrunkInterface({ BranchInterfaceId: id, TrunkInterfaceId: 'eni-trunk', VlanId: 2 }, { priority: 'pod-start' }), 5);
    expect(await checkBranchSettled(ec2, id, 'eni-trunk', 2, 50)).toMatchObject({ kind: 'ok' });
    expect(await checkBranchSettled(ec2, 'eni-gone', 'eni-trunk', 2, 1)).toEqual({ kind: 'gone' });
  });
});
