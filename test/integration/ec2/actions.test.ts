// Every action of the local EC2 driven through the unmodified @aws-sdk/client-ec2: the parsed
// outputs must carry the fields the controller reads (not undefined), proving wire names and
// XML shapes match what the SDK's deserializers expect.
import * as E from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness } from './client.js';

let h: Harness;
let c: E.EC2Client;
let subnetA: string;
let subnetB: string;
let defaultSg: string;
let vpcId: string;

beforeAll(async () => {
  h = await startHarness();
  c = h.client;
  const d = h.ec2.defaults;
  if (!d) throw new Error('default world missing');
  subnetA = d.subnets[0]?.subnetId ?? '';
  subnetB = d.subnets[1]?.subnetId ?? '';
  defaultSg = d.defaultSecurityGroup.groupId;
  vpcId = d.vpc.vpcId;
});
afterAll(async () => {
  await h.close();
});

async function launch(instanceType = 'm5.large', subnetId = subnetA): Promise<E.Instance> {
  const r = await c.send(new E.RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: instanceType as E._InstanceType, MinCount: 1, MaxCount: 1, SubnetId: subnetId }));
  const inst = r.Instances?.[0];
  if (!inst) throw new Error('no instance');
  return inst;
}

describe('default world', () => {
  it('has one VPC, a default security group and one /19 subnet per AZ', async () => {
    const vpcs = await c.send(new E.DescribeVpcsCommand({}));
    expect(vpcs.Vpcs).toHaveLength(1);
    expect(vpcs.Vpcs?.[0]).toMatchObject({ VpcId: vpcId, CidrBlock: '10.0.0.0/16', State: 'available', IsDefault: true });
    const subnets = await c.send(new E.DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(subnets.Subnets?.map((s) => s.AvailabilityZone).sort()).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    for (const s of subnets.Subnets ?? []) {
      expect(s.CidrBlock).toMatch(/\/19$/);
      expect(s.SubnetId).toMatch(/^subnet-[0-9a-f]{17}$/);
      expect(s.AvailableIpAddressCount).toBeGreaterThan(8000);
    }
    const sgs = await c.send(new E.DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
    expect(sgs.SecurityGroups?.[0]).toMatchObject({ GroupId: defaultSg, GroupName: 'default', VpcId: vpcId });
    expect(defaultSg).toMatch(/^sg-[0-9a-f]{17}$/);
  });
});

describe('endpoint configuration', () => {
  it('an SDK client configured only through AWS_ENDPOINT_URL_EC2 reaches the local EC2', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EC2;
    process.env.AWS_ENDPOINT_URL_EC2 = h.ec2.endpoint;
    const viaEnv = new E.EC2Client({ region: 'us-west-2', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const r = await viaEnv.send(new E.DescribeVpcsCommand({ VpcIds: [vpcId] }));
      expect(r.Vpcs?.[0]?.VpcId).toBe(vpcId);
    } finally {
      viaEnv.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
      else process.env.AWS_ENDPOINT_URL_EC2 = saved;
    }
  });
});

describe('VPCs, subnets and security groups', () => {
  it('CreateVpc, CreateSubnet, CreateSecurityGroup round-trip and are describable by ID and tag', async () => {
    const vpc = await c.send(new E.CreateVpcCommand({ CidrBlock: '172.16.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'team', Value: 'net' }] }] }));
    const newVpc = vpc.Vpc?.VpcId ?? '';
    expect(newVpc).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.Vpc?.CidrBlock).toBe('172.16.0.0/16');
    expect(vpc.Vpc?.Tags).toEqual([{ Key: 'team', Value: 'net' }]);
    const byTag = await c.send(new E.DescribeVpcsCommand({ Filters: [{ Name: 'tag:team', Values: ['net'] }] }));
    expect(byTag.Vpcs?.map((v) => v.VpcId)).toEqual([newVpc]);

    const sn = await c.send(new E.CreateSubnetCommand({ VpcId: newVpc, CidrBlock: '172.16.1.0/24', AvailabilityZone: 'us-west-2b' }));
    expect(sn.Subnet).toMatchObject({ VpcId: newVpc, CidrBlock: '172.16.1.0/24', AvailabilityZone: 'us-west-2b', AvailableIpAddressCount: 251 });
    const snId = sn.Subnet?.SubnetId ?? '';
    const dsn = await c.send(new E.DescribeSubnetsCommand({ SubnetIds: [snId] }));
    expect(dsn.Subnets?.[0]?.SubnetId).toBe(snId);

    const sg = await c.send(new E.CreateSecurityGroupCommand({ GroupName: 'pods', Description: 'pod group', VpcId: newVpc }));
    expect(sg.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    const dsg = await c.send(new E.DescribeSecurityGroupsCommand({ GroupIds: [sg.GroupId ?? ''] }));
    expect(dsg.SecurityGroups?.[0]).toMatchObject({ GroupName: 'pods', Description: 'pod group', VpcId: newVpc });
    // A new VPC gets its own default group.
    const defaults = await c.send(new E.DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [newVpc] }, { Name: 'group-name', Values: ['default'] }] }));
    expect(defaults.SecurityGroups).toHaveLength(1);

    const dup = await errorOf(c.send(new E.CreateSecurityGroupCommand({ GroupName: 'pods', Description: 'again', VpcId: newVpc })));
    expect(dup.name).toBe('InvalidGroup.Duplicate');
    const overlap = await errorOf(c.send(new E.CreateSubnetCommand({ VpcId: newVpc, CidrBlock: '172.16.1.0/25' })));
    expect(overlap.name).toBe('InvalidSubnet.Conflict');
    const outside = await errorOf(c.send(new E.CreateSubnetCommand({ VpcId: newVpc, CidrBlock: '10.9.0.0/24' })));
    expect(outside.name).toBe('InvalidSubnet.Range');
  });
});

describe('instances', () => {
  it('RunInstances creates the primary ENI at device index 0 and DescribeInstances reports placement and interfaces', async () => {
    const inst = await launch('m5.large');
    expect(inst.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    const d = await c.send(new E.DescribeInstancesCommand({ InstanceIds: [inst.InstanceId ?? ''] }));
    const got = d.Reservations?.[0]?.Instances?.[0];
    expect(got).toMatchObject({ InstanceType: 'm5.large', SubnetId: subnetA, VpcId: vpcId, State: { Name: 'running', Code: 16 } });
    expect(got?.Placement?.AvailabilityZone).toBe('us-west-2a');
    const primary = got?.NetworkInterfaces?.[0];
    expect(primary?.Attachment).toMatchObject({ DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true, NetworkCardIndex: 0 });
    expect(primary?.Status).toBe('in-use');
    expect(primary?.PrivateIpAddress).toBe(got?.PrivateIpAddress);
    expect(primary?.Groups?.[0]?.GroupId).toBe(defaultSg);
    const byFilter = await c.send(new E.DescribeInstancesCommand({ Filters: [{ Name: 'instance-type', Values: ['m5.large'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
    expect(byFilter.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toContain(inst.InstanceId);
  });

  it('RunInstances with the same ClientToken launches once', async () => {
    const input = { ImageId: 'ami-0123456789abcdef0', InstanceType: 'm5.large' as E._InstanceType, MinCount: 1, MaxCount: 1, SubnetId: subnetA, ClientToken: 'launch-once' };
    const a = await c.send(new E.RunInstancesCommand(input));
    const b = await c.send(new E.RunInstancesCommand(input));
    expect(b.Instances?.[0]?.InstanceId).toBe(a.Instances?.[0]?.InstanceId);
    expect(b.ReservationId).toBe(a.ReservationId);
    const other = await errorOf(c.send(new E.RunInstancesCommand({ ...input, InstanceType: 'c5.large' })));
    expect(other.name).toBe('IdempotentParameterMismatch');
  });

  it('DescribeInstanceTypes returns network info from the limits data', async () => {
    const r = await c.send(new E.DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 'c5.18xlarge'] }));
    const m5 = r.InstanceTypes?.find((t) => t.InstanceType === 'm5.large');
    expect(m5?.NetworkInfo).toMatchObject({ MaximumNetworkInterfaces: 3, Ipv4AddressesPerInterface: 10, DefaultNetworkCardIndex: 0 });
    expect(m5?.NetworkInfo?.NetworkCards).toEqual([{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 3 }]);
    expect(r.InstanceTypes).toHaveLength(2);
    const bad = await errorOf(c.send(new E.DescribeInstanceTypesCommand({ InstanceTypes: ['m5.nonsense' as E._InstanceType] })));
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('DescribeInstanceTypes pages through the whole catalog', async () => {
    let token: string | undefined;
    let total = 0;
    let pages = 0;
    do {
      const r: E.DescribeInstanceTypesCommandOutput = await c.send(new E.DescribeInstanceTypesCommand({ MaxResults: 100, NextToken: token }));
      total += r.InstanceTypes?.length ?? 0;
      token = r.NextToken;
      pages++;
    } while (token && pages < 50);
    expect(total).toBe(1164);
  });

  it('TerminateInstances deletes DeleteOnTermination ENIs, detaches the rest, and returns state changes', async () => {
    const inst = await launch('m5.large');
    const id = inst.InstanceId ?? '';
    const primary = inst.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? '';
    const keep = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }));
    const keepId = keep.NetworkInterface?.NetworkInterfaceId ?? '';
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: keepId, InstanceId: id, DeviceIndex: 1 }));
    const freeBefore = h.ec2.world.getSubnet(subnetA)?.pool.available ?? 0;
    const t = await c.send(new E.TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(t.TerminatingInstances?.[0]).toMatchObject({ InstanceId: id, CurrentState: { Name: 'terminated', Code: 48 }, PreviousState: { Name: 'running', Code: 16 } });
    const gone = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [primary] })));
    expect(gone.name).toBe('InvalidNetworkInterfaceID.NotFound');
    const kept = await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [keepId] }));
    expect(kept.NetworkInterfaces?.[0]?.Status).toBe('available');
    expect(kept.NetworkInterfaces?.[0]?.Attachment).toBeUndefined();
    expect(h.ec2.world.getSubnet(subnetA)?.pool.available).toBe(freeBefore + 1);
    const d = await c.send(new E.DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(d.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
  });
});

describe('network interfaces', () => {
  it('CreateNetworkInterface returns a complete ENI with groups, description, tags, MAC and IP', async () => {
    const sg = await c.send(new E.CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app', VpcId: vpcId }));
    const r = await c.send(
      new E.CreateNetworkInterfaceCommand({
        SubnetId: subnetB,
        Groups: [sg.GroupId ?? '', defaultSg],
        Description: 'aws-k8s-branch-eni',
        TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'eks:eni:owner', Value: 'eks-vpc-resource-controller' }, { Key: 'x', Value: '<&"\'>' }] }],
      }),
    );
    const eni = r.NetworkInterface;
    expect(eni?.NetworkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(eni?.MacAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(eni?.PrivateIpAddress).toMatch(/^10\.0\.(3[2-9]|[4-5]\d|6[0-3])\.\d+$/);
    expect(eni).toMatchObject({ SubnetId: subnetB, VpcId: vpcId, AvailabilityZone: 'us-west-2b', Status: 'available', InterfaceType: 'interface', Description: 'aws-k8s-branch-eni' });
    expect(eni?.Groups?.map((g) => g.GroupId)).toEqual([sg.GroupId, defaultSg]);
    expect(eni?.TagSet).toEqual([{ Key: 'eks:eni:owner', Value: 'eks-vpc-resource-controller' }, { Key: 'x', Value: '<&"\'>' }]);
    expect(eni?.PrivateIpAddresses?.[0]).toMatchObject({ Primary: true, PrivateIpAddress: eni?.PrivateIpAddress });
  });

  it('an ENI with no groups gets the VPC default group', async () => {
    const r = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }));
    expect(r.NetworkInterface?.Groups?.map((g) => g.GroupId)).toEqual([defaultSg]);
  });

  it('DescribeNetworkInterfaces supports every filter the controller uses', async () => {
    const inst = await launch('c5.xlarge', subnetB);
    const trunk = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetB, InterfaceType: 'trunk', Description: 'aws-k8s-trunk-eni', TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'node.k8s.amazonaws.com/instance_id', Value: inst.InstanceId ?? '' }] }] }));
    const trunkId = trunk.NetworkInterface?.NetworkInterfaceId ?? '';
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: trunkId, InstanceId: inst.InstanceId, DeviceIndex: 3 }));
    const q = async (filters: E.Filter[]): Promise<string[]> =>
      ((await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: filters }))).NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? '');
    expect(await q([{ Name: 'network-interface-id', Values: [trunkId] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'attachment.instance-id', Values: [inst.InstanceId ?? ''] }, { Name: 'interface-type', Values: ['trunk'] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'subnet-id', Values: [subnetB] }, { Name: 'description', Values: ['aws-k8s-trunk-*'] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'tag:node.k8s.amazonaws.com/instance_id', Values: [inst.InstanceId ?? ''] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'tag-key', Values: ['node.k8s.amazonaws.com/instance_id'] }, { Name: 'status', Values: ['in-use'] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'network-interface-id', Values: [trunkId] }])).toEqual([trunkId]);
    expect(await q([{ Name: 'vpc-id', Values: ['vpc-00000000000000000'] }])).toEqual([]);
    const bad = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })));
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('pages with MaxResults/NextToken without losing or repeating ENIs', async () => {
    const made: string[] = [];
    for (let i = 0; i < 23; i++) {
      const r = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Description: 'page-me' }));
      made.push(r.NetworkInterface?.NetworkInterfaceId ?? '');
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r: E.DescribeNetworkInterfacesCommandOutput = await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['page-me'] }], MaxResults: 5, NextToken: token }));
      expect((r.NetworkInterfaces ?? []).length).toBeLessThanOrEqual(5);
      seen.push(...(r.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? ''));
      token = r.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(5);
    expect(seen).toEqual(made);
    // The SDK's own paginator works too.
    const viaPaginator: string[] = [];
    for await (const page of E.paginateDescribeNetworkInterfaces({ client: c, pageSize: 10 }, { Filters: [{ Name: 'description', Values: ['page-me'] }] })) {
      viaPaginator.push(...(page.NetworkInterfaces ?? []).map((e) => e.NetworkInterfaceId ?? ''));
    }
    expect(viaPaginator).toEqual(made);
    const badToken = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: 'garbage' })));
    expect(badToken.name).toBe('InvalidPaginationToken');
    const tooSmall = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ MaxResults: 2 })));
    expect(tooSmall.name).toBe('InvalidParameterValue');
  });

  it('ClientToken: same token and parameters return the same ENI; other parameters are a mismatch', async () => {
    const input = { SubnetId: subnetA, Description: 'idem', ClientToken: 'token-123' };
    const a = await c.send(new E.CreateNetworkInterfaceCommand(input));
    const b = await c.send(new E.CreateNetworkInterfaceCommand(input));
    expect(b.NetworkInterface?.NetworkInterfaceId).toBe(a.NetworkInterface?.NetworkInterfaceId);
    expect(b.ClientToken).toBe('token-123');
    const count = (await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['idem'] }] }))).NetworkInterfaces?.length;
    expect(count).toBe(1);
    const mismatch = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ ...input, Description: 'other' })));
    expect(mismatch.name).toBe('IdempotentParameterMismatch');
    expect(mismatch.status).toBe(400);
  });

  it('attach goes attaching → attached, modify sets DeleteOnTermination and groups, detach frees the ENI', async () => {
    const inst = await launch('m5.large');
    const eni = (await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }))).NetworkInterface?.NetworkInterfaceId ?? '';
    const att = await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst.InstanceId, DeviceIndex: 2 }));
    expect(att.AttachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    expect(att.NetworkCardIndex).toBe(0);
    await c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Attachment: { AttachmentId: att.AttachmentId, DeleteOnTermination: true } }));
    const sg = await c.send(new E.CreateSecurityGroupCommand({ GroupName: 'mod', Description: 'mod', VpcId: vpcId }));
    await c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [sg.GroupId ?? ''] }));
    await c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Description: { Value: 'changed' } }));
    let d = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0];
    expect(d?.Attachment).toMatchObject({ AttachmentId: att.AttachmentId, DeviceIndex: 2, InstanceId: inst.InstanceId, DeleteOnTermination: true, Status: 'attached' });
    expect(d?.Groups?.map((g) => g.GroupId)).toEqual([sg.GroupId]);
    expect(d?.Description).toBe('changed');
    expect(d?.Status).toBe('in-use');
    await c.send(new E.DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId }));
    d = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0];
    expect(d?.Status).toBe('available');
    await c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    const gone = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })));
    expect(gone.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  it('CreateNetworkInterfacePermission grants INSTANCE-ATTACH', async () => {
    const eni = (await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }))).NetworkInterface?.NetworkInterfaceId ?? '';
    const r = await c.send(new E.CreateNetworkInterfacePermissionCommand({ NetworkInterfaceId: eni, AwsAccountId: '123456789012', Permission: 'INSTANCE-ATTACH' }));
    expect(r.InterfacePermission).toMatchObject({ NetworkInterfaceId: eni, AwsAccountId: '123456789012', Permission: 'INSTANCE-ATTACH', PermissionState: { State: 'granted' } });
    expect(r.InterfacePermission?.NetworkInterfacePermissionId).toMatch(/^eni-perm-[0-9a-f]{17}$/);
    const bad = await errorOf(c.send(new E.CreateNetworkInterfacePermissionCommand({ NetworkInterfaceId: eni, AwsAccountId: '123456789012', Permission: 'NOPE' as E.InterfacePermissionType })));
    expect(bad.name).toBe('InvalidParameterValue');
  });
});

describe('tags', () => {
  it('CreateTags and DeleteTags change what describes and tag filters see', async () => {
    const eni = (await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }))).NetworkInterface?.NetworkInterfaceId ?? '';
    await c.send(new E.CreateTagsCommand({ Resources: [eni, defaultSg], Tags: [{ Key: 'vpcresources.k8s.aws/vlan-id', Value: '7' }, { Key: 'keep', Value: 'yes' }] }));
    const byTag = await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:vpcresources.k8s.aws/vlan-id', Values: ['7'] }] }));
    expect(byTag.NetworkInterfaces?.map((e) => e.NetworkInterfaceId)).toEqual([eni]);
    const sg = await c.send(new E.DescribeSecurityGroupsCommand({ GroupIds: [defaultSg] }));
    expect(sg.SecurityGroups?.[0]?.Tags).toContainEqual({ Key: 'keep', Value: 'yes' });
    // A value that does not match leaves the tag in place, as in EC2.
    await c.send(new E.DeleteTagsCommand({ Resources: [eni], Tags: [{ Key: 'keep', Value: 'no' }] }));
    await c.send(new E.DeleteTagsCommand({ Resources: [eni], Tags: [{ Key: 'vpcresources.k8s.aws/vlan-id' }] }));
    const after = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0];
    expect(after?.TagSet).toEqual([{ Key: 'keep', Value: 'yes' }]);
    const none = await c.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:vpcresources.k8s.aws/vlan-id', Values: ['7'] }] }));
    expect(none.NetworkInterfaces).toEqual([]);
    const unknown = await errorOf(c.send(new E.CreateTagsCommand({ Resources: ['eni-00000000000000001'], Tags: [{ Key: 'a', Value: 'b' }] })));
    expect(unknown.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });
});
