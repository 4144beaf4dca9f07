// createBranch / releaseBranch over a scripted gateway: the order of calls, the tags and token
// purpose, and every rollback outcome the pod side relies on.
import { describe, expect, it } from 'vitest';
import { Ec2Error } from '../../../../src/aws/error-classes.js';
import { scriptedEc2 } from '../../helpers/scripted-ec2.js';
import { BranchCreateError, createBranch, releaseBranch, sharedClusterBranches, type CreateBranchInput } from '../../../../src/controllers/pod/branch-eni-ops.js';

/** A gateway whose methods answer from a script; every call is logged as [method, input, opts]. */
const gateway = scriptedEc2;

const err = (action: string, code: string, cls: Ec2Error['class']): Ec2Error => new Ec2Error({ action, code, class: cls, message: 'scripted' });

const input: CreateBranchInput = {
  clusterName: 'c1',
  trunk: { nodeName: 'n', instanceId: 'i-1', trunkEniId: 'eni-trunk', subnetId: 'subnet-1', subnetCidr: '10.0.0.0/19', defaultSecurityGroups: [], branchLimit: 9 },
  pod: { uid: 'u1', namespace: 'ns', name: 'p' },
  index: 0,
  generation: 0,
  vlanId: 3,
  groups: ['sg-a'],
};
const created = () => ({ NetworkInterfaceId: 'eni-b', MacAddress: '02:00:00:00:00:01', PrivateIpAddress: '10.0.0.9' });

describe('createBranch', () => {
  it('creates with the contract tags and a purpose, associates on the VLAN, and skips the permission by default', async () => {
    const g = gateway({ createNetworkInterface: created, associateTrunkInterface: () => ({ AssociationId: 'trunk-assoc-1' }) });
    const out = await createBranch(g.ec2, input);
    expect(out).toEqual({ eniId: 'eni-b', associationId: 'trunk-assoc-1', macAddress: '02:00:00:00:00:01', privateIp: '10.0.0.9' });
    expect(g.names()).toEqual(['createNetworkInterface', 'associateTrunkInterface']);
    const [, createIn, createOpts] = g.calls[0]!;
    expect(createIn).toMatchObject({ SubnetId: 'subnet-1', Groups: ['sg-a'], Description: 'aws-k8s-branch-eni' });
    const tags = Object.fromEntries(((createIn.TagSpecifications as { Tags: { Key: string; Value: string }[] }[])[0]!.Tags).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({
      'eks:eni:owner': 'eks-vpc-resource-controller',
      'kubernetes.io/cluster/c1': 'owned',
      'node.k8s.amazonaws.com/instance_id': 'i-1',
      'vpcresources.k8s.aws/trunk-eni-id': 'eni-trunk',
      'vpcresources.k8s.aws/vlan-id': '3',
      'vpcresources.k8s.aws/pod-namespace': 'ns',
      'vpcresources.k8s.aws/pod-name': 'p',
      'vpcresources.k8s.aws/pod-uid': 'u1',
    });
    expect(createOpts).toEqual({ priority: 'pod-start', purpose: ['branch', 'c1', 'u1', '0', '0'] });
    expect(g.calls[1]![1]).toEqual({ BranchInterfaceId: 'eni-b', TrunkInterfaceId: 'eni-trunk', VlanId: 3 });
  });

  it('grants INSTANCE-ATTACH when a permission account is configured', async () => {
    const g = gateway({ createNetworkInterface: created, associateTrunkInterface: () => ({ AssociationId: 'a' }), createNetworkInterfacePermission: () => ({}) });
    await createBranch(g.ec2, { ...input, permissionAccountId: '123456789012' });
    expect(g.calls[2]).toEqual(['createNetworkInterfacePermission', { NetworkInterfaceId: 'eni-b', AwsAccountId: '123456789012', Permission: 'INSTANCE-ATTACH' }, { priority: 'pod-start' }]);
  });

  it('a failed create leaves nothing behind', async () => {
    const g = gateway({ createNetworkInterface: () => { throw err('CreateNetworkInterface', 'InsufficientFreeAddressesInSubnet', 'quota'); } });
    const e = await createBranch(g.ec2, input).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BranchCreateError);
    expect(e).toMatchObject({ step: 'create', eniLeft: undefined, eniCreated: false, staleToken: false, class: 'quota', retryAfterMs: 15_000 });
  });

  it('a failed associate is rolled back by deleting the ENI (priority release)', async () => {
    const g = gateway({
      createNetworkInterface: created,
      associateTrunkInterface: () => { throw err('AssociateTrunkInterface', 'InternalError', 'transient'); },
      describeTrunkInterfaceAssociations: () => [],
      deleteNetworkInterface: () => undefined,
    });
    const e = (await createBranch(g.ec2, input).catch((x: unknown) => x)) as BranchCreateError;
    expect(e).toMatchObject({ step: 'associate', eniLeft: undefined, eniCreated: true, staleToken: false });
    expect(e.message).toBe('AssociateTrunkInterface failed: InternalError: scripted');
    expect(g.calls.at(-1)).toEqual(['deleteNetworkInterface', { NetworkInterfaceId: 'eni-b' }, { priority: 'release' }]);
  });

  it('an ENI the rollback cannot delete is reported, so the caller keeps it', async () => {
    const g = gateway({
      createNetworkInterface: created,
      associateTrunkInterface: () => { throw err('AssociateTrunkInterface', 'InternalError', 'transient'); },
      describeTrunkInterfaceAssociations: () => [],
      deleteNetworkInterface: () => { throw err('DeleteNetworkInterface', 'InternalError', 'transient'); },
    });
    expect(await createBranch(g.ec2, input).catch((x: unknown) => x)).toMatchObject({ step: 'associate', eniLeft: 'eni-b', eniCreated: true });
  });

  it('a token answered with an ENI that no longer exists needs a new generation, and nothing is deleted', async () => {
    const g = gateway({
      createNetworkInterface: created,
      associateTrunkInterface: () => { throw err('AssociateTrunkInterface', 'InvalidNetworkInterfaceID.NotFound', 'not-found'); },
    });
    expect(await createBranch(g.ec2, input).catch((x: unknown) => x)).toMatchObject({ step: 'associate', staleToken: true, eniLeft: undefined });
    expect(g.names()).toEqual(['createNetworkInterface', 'associateTrunkInterface']);
  });

  it('a failed permission disassociates and deletes again', async () => {
    const g = gateway({
      createNetworkInterface: created,
      associateTrunkInterface: () => ({ AssociationId: 'trunk-assoc-9' }),
      createNetworkInterfacePermission: () => { throw err('CreateNetworkInterfacePermission', 'UnauthorizedOperation', 'unauthorized'); },
      disassociateTrunkInterface: () => undefined,
      deleteNetworkInterface: () => undefined,
    });
    const e = (await createBranch(g.ec2, { ...input, permissionAccountId: '123456789012' }).catch((x: unknown) => x)) as BranchCreateError;
    expect(e).toMatchObject({ step: 'permission', eniLeft: undefined });
    // The IAM hint of the contract reaches the event text.
    expect(e.message).toContain('ec2:CreateNetworkInterfacePermission');
    expect(g.names().slice(-2)).toEqual(['disassociateTrunkInterface', 'deleteNetworkInterface']);
    expect(g.calls.at(-2)![1]).toEqual({ AssociationId: 'trunk-assoc-9' });
  });
});

describe('releaseBranch', () => {
  it('disassociates then deletes; NotFound at either step counts as done', async () => {
    const g = gateway({
      disassociateTrunkInterface: () => { throw err('DisassociateTrunkInterface', 'InvalidAssociationID.NotFound', 'not-found'); },
      deleteNetworkInterface: () => { throw err('DeleteNetworkInterface', 'InvalidNetworkInterfaceID.NotFound', 'not-found'); },
    });
    await expect(releaseBranch(g.ec2, { eniId: 'eni-b', associationId: 'trunk-assoc-1' })).resolves.toBeUndefined();
    expect(g.calls.map((c) => [c[0], c[2]])).toEqual([
      ['disassociateTrunkInterface', { priority: 'release' }],
      ['deleteNetworkInterface', { priority: 'release' }],
    ]);
  });

  it('looks the association up when it is not known', async () => {
    const g = gateway({
      describeTrunkInterfaceAssociations: () => [{ AssociationId: 'trunk-assoc-7', BranchInterfaceId: 'eni-b' }],
      disassociateTrunkInterface: () => undefined,
      deleteNetworkInterface: () => undefined,
    });
    await releaseBranch(g.ec2, { eniId: 'eni-b' });
    expect(g.calls[0]![1]).toMatchObject({ Filters: [{ Name: 'trunk-interface-association.branch-interface-id', Values: ['eni-b'] }], MaxResults: 255 });
    expect(g.calls[1]![1]).toEqual({ AssociationId: 'trunk-assoc-7' });
  });

  it('other failures are thrown for the caller to retry', async () => {
    const g = gateway({ describeTrunkInterfaceAssociations: () => [], deleteNetworkInterface: () => { throw err('DeleteNetworkInterface', 'RequestLimitExceeded', 'throttled'); } });
    await expect(releaseBranch(g.ec2, { eniId: 'eni-b' })).rejects.toMatchObject({ code: 'RequestLimitExceeded' });
  });
});

describe('sharedClusterBranches', () => {
  it('callers while a look is in flight share it; a caller after it finished (or failed) describes again', async () => {
    let fail = false;
    const g = gateway({
      describeNetworkInterfaces: () => {
        if (fail) throw err('DescribeNetworkInterfaces', 'RequestLimitExceeded', 'throttled');
        return [{ NetworkInterfaceId: 'eni-1' }];
      },
      describeTrunkInterfaceAssociations: () => [{ BranchInterfaceId: 'eni-1', TrunkInterfaceId: 'eni-t', VlanId: 1 }],
    });
    const describe = sharedClusterBranches(g.ec2, 'c1');
    const [a, b] = await Promise.all([describe(), describe()]); // the snapshot and a repair pass at start
    expect(a).toBe(b);
    expect(a.enis.map((e) => e.NetworkInterfaceId)).toEqual(['eni-1']);
    expect(g.names()).toEqual(['describeNetworkInterfaces', 'describeTrunkInterfaceAssociations']);
    const c = await describe();
    expect(c).not.toBe(a);
    fail = true;
    await expect(describe()).rejects.toThrow();
    fail = false;
    await describe();
    expect(g.names().filter((n) => n === 'describeNetworkInterfaces')).toHaveLength(4);
  });
});
