// EC2's errors from the local EC2: codes and HTTP status through the SDK, and raw-HTTP garbage
// that must get a clean EC2-shaped 4xx (never a crash, never a hung connection).
import * as E from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness } from './client.js';

let h: Harness;
let c: E.EC2Client;
let subnetA: string;
let vpcId: string;

beforeAll(async () => {
  h = await startHarness();
  c = h.client;
  subnetA = h.ec2.defaults?.subnets[0]?.subnetId ?? '';
  vpcId = h.ec2.defaults?.vpc.vpcId ?? '';
});
afterAll(async () => {
  await h.close();
});

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(h.ec2.endpoint + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

function codeOf(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

describe('ID errors', () => {
  it('unknown and malformed IDs get the matching NotFound / Malformed codes with HTTP 400', async () => {
    const cases: [Promise<unknown>, string][] = [
      [c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0' })), 'InvalidNetworkInterfaceID.NotFound'],
      [c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-xyz' })), 'InvalidNetworkInterfaceID.Malformed'],
      [c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['not-an-eni'] })), 'InvalidNetworkInterfaceID.Malformed'],
      [c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: ['sg-0123456789abcdef0'] })), 'InvalidSecurityGroupID.NotFound'],
      [c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: ['sg-zz'] })), 'InvalidGroupId.Malformed'],
      [c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: 'subnet-0123456789abcdef0' })), 'InvalidSubnetID.NotFound'],
      [c.send(new E.DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })), 'InvalidSubnetID.NotFound'],
      [c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: 'subnet-bad' })), 'InvalidSubnetID.Malformed'],
      [c.send(new E.DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound'],
      [c.send(new E.TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound'],
      [c.send(new E.DescribeInstancesCommand({ InstanceIds: ['i-bad'] })), 'InvalidInstanceID.Malformed'],
      [c.send(new E.DisassociateTrunkInterfaceCommand({ AssociationId: 'trunk-assoc-0123456789abcdef0' })), 'InvalidAssociationID.NotFound'],
      [c.send(new E.DescribeTrunkInterfaceAssociationsCommand({ AssociationIds: ['trunk-assoc-0123456789abcdef0'] })), 'InvalidAssociationID.NotFound'],
      [c.send(new E.DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound'],
      [c.send(new E.CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/24' })), 'InvalidVpcID.NotFound'],
    ];
    for (const [call, code] of cases) {
      const e = await errorOf(call);
      expect(e.name, code).toBe(code);
      expect(e.status, code).toBe(400);
    }
  });

  it('lists every missing ID in one NotFound', async () => {
    const e = await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-00000000000000001', 'eni-00000000000000002'] })));
    expect(e.name).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(e.message).toContain('eni-00000000000000001');
    expect(e.message).toContain('eni-00000000000000002');
  });
});

describe('quota and capacity errors', () => {
  it('SecurityGroupsPerInterfaceLimitExceeded above the quota (default 5), also on modify', async () => {
    const groups: string[] = [];
    for (let i = 0; i < 6; i++) {
      const g = await c.send(new E.CreateSecurityGroupCommand({ GroupName: `quota-${i}`, Description: 'q', VpcId: vpcId }));
      groups.push(g.GroupId ?? '');
    }
    const e = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: groups })));
    expect(e.name).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    const ok = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: groups.slice(0, 5) }));
    const eni = ok.NetworkInterface?.NetworkInterfaceId ?? '';
    const mod = await errorOf(c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: groups })));
    expect(mod.name).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    // A rejected modify leaves the groups as they were.
    const d = await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }));
    expect(d.NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupId)).toEqual(groups.slice(0, 5));
  });

  it('a configurable quota', async () => {
    const local = await startHarness({ securityGroupsPerInterface: 1 });
    try {
      const vpc = local.ec2.defaults?.vpc.vpcId ?? '';
      const subnet = local.ec2.defaults?.subnets[0]?.subnetId ?? '';
      const g = await local.client.send(new E.CreateSecurityGroupCommand({ GroupName: 'one', Description: 'x', VpcId: vpc }));
      const e = await errorOf(local.client.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet, Groups: [g.GroupId ?? '', local.ec2.defaults?.defaultSecurityGroup.groupId ?? ''] })));
      expect(e.name).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    } finally {
      await local.close();
    }
  });

  it('a security group from another VPC is refused', async () => {
    const other = await c.send(new E.CreateVpcCommand({ CidrBlock: '192.168.0.0/16' }));
    const g = await c.send(new E.CreateSecurityGroupCommand({ GroupName: 'elsewhere', Description: 'x', VpcId: other.Vpc?.VpcId }));
    const e = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: [g.GroupId ?? ''] })));
    expect(e.name).toBe('InvalidParameter');
    expect(e.message).toMatch(/different networks/);
  });

  it('InsufficientFreeAddressesInSubnet when a subnet runs out; deleting returns the address', async () => {
    // A /28 has 16 addresses, 5 reserved: 11 usable.
    const sn = await c.send(new E.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.200.0/28', AvailabilityZone: 'us-west-2c' }));
    const subnetId = sn.Subnet?.SubnetId ?? '';
    expect(sn.Subnet?.AvailableIpAddressCount).toBe(11);
    const ips: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      const r = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
      ips.push(r.NetworkInterface?.PrivateIpAddress ?? '');
      ids.push(r.NetworkInterface?.NetworkInterfaceId ?? '');
    }
    // First four (.0-.3) and the last (.15) are reserved.
    expect(ips[0]).toBe('10.0.200.4');
    expect(ips[10]).toBe('10.0.200.14');
    const e = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetId })));
    expect(e.name).toBe('InsufficientFreeAddressesInSubnet');
    const d = await c.send(new E.DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    expect(d.Subnets?.[0]?.AvailableIpAddressCount).toBe(0);
    await c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: ids[3] }));
    const again = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    expect(again.NetworkInterface?.PrivateIpAddress).toBe(ips[3]);
    const first = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, PrivateIpAddress: '10.0.31.200' }));
    expect(first.NetworkInterface?.PrivateIpAddress).toBe('10.0.31.200');
    const specificInUse = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, PrivateIpAddress: '10.0.31.200' })));
    expect(specificInUse.name).toBe('InvalidIPAddress.InUse');
    const reserved = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, PrivateIpAddress: '10.0.31.255' })));
    expect(reserved.name).toBe('InvalidParameterValue');
  });
});

describe('parameter errors', () => {
  it('MissingParameter and InvalidParameterValue', async () => {
    expect((await errorOf(c.send(new E.CreateNetworkInterfaceCommand({} as E.CreateNetworkInterfaceCommandInput)))).name).toBe('MissingParameter');
    expect((await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0' } as E.AttachNetworkInterfaceCommandInput)))).name).toBe('MissingParameter');
    expect((await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, InterfaceType: 'bogus' as E.NetworkInterfaceCreationType })))).name).toBe('InvalidParameterValue');
    expect((await errorOf(c.send(new E.CreateTagsCommand({ Resources: [subnetA], Tags: [{ Key: 'aws:reserved', Value: 'x' }] })))).name).toBe('InvalidParameterValue');
    expect((await errorOf(c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'], MaxResults: 5 })))).name).toBe('InvalidParameterCombination');
    expect((await errorOf(c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0123456789abcdef0' })))).name).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  it('DryRun answers DryRunOperation (412) and changes nothing', async () => {
    const before = h.ec2.world.eniCount;
    const e = await errorOf(c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA, DryRun: true })));
    expect(e).toMatchObject({ name: 'DryRunOperation', status: 412 });
    expect(h.ec2.world.eniCount).toBe(before);
  });

  it('TagLimitExceeded above 50 tags', async () => {
    const eni = (await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetA }))).NetworkInterface?.NetworkInterfaceId ?? '';
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect((await errorOf(c.send(new E.CreateTagsCommand({ Resources: [eni], Tags: tags })))).name).toBe('TagLimitExceeded');
  });
});

describe('raw protocol', () => {
  it('unknown action → InvalidAction 400; missing action → 400', async () => {
    const r = await post('Action=LaunchRockets&Version=2016-11-15');
    expect(r.status).toBe(400);
    expect(codeOf(r.text)).toBe('InvalidAction');
    expect(r.text).toMatch(/<Response><Errors><Error><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[^<]+<\/RequestID><\/Response>/);
    const none = await post('Version=2016-11-15');
    expect(none.status).toBe(400);
    expect(codeOf(none.text)).toBe('MissingAction');
    const proto = await post('Action=__proto__&Version=2016-11-15');
    expect(codeOf(proto.text)).toBe('InvalidAction');
  });

  it('GET with a query string works like POST', async () => {
    const res = await fetch(`${h.ec2.endpoint}/?Action=DescribeVpcs&Version=2016-11-15`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">');
    expect(text).toContain(`<vpcId>${vpcId}</vpcId>`);
  });

  it('garbage bodies get clean 400s and the server keeps serving', async () => {
    const bodies = [
      '%%%%',
      '\u0000\u0001\u0002binary',
      'Action=CreateNetworkInterface&SubnetId=%E0%A4%A',
      'Action=DescribeNetworkInterfaces&MaxResults=abc',
      'Action=DescribeNetworkInterfaces&MaxResults=99999999999999999999',
      'Action=DescribeNetworkInterfaces&Filter.1.Value.1=x',
      'Action=AttachNetworkInterface&NetworkInterfaceId=eni-0123456789abcdef0&InstanceId=i-0123456789abcdef0&DeviceIndex=-1',
      'Action=CreateTags&ResourceId.1=eni-0123456789abcdef0&Tag.1.Value=novalue',
      'Action=DescribeNetworkInterfaces&NextToken=%00%00',
      'Action=ModifyNetworkInterfaceAttribute&NetworkInterfaceId=eni-0123456789abcdef0&Attachment.DeleteOnTermination=maybe',
      'Action=CreateVpc&CidrBlock=10.0.0.0/99',
      'Action=CreateVpc&CidrBlock=10.0.0.1/16',
      'a'.repeat(100_000),
    ];
    for (const b of bodies) {
      const r = await post(b);
      expect(r.status, b.slice(0, 60)).toBe(400);
      expect(codeOf(r.text), b.slice(0, 60)).toBeTruthy();
    }
    const tooBig = await post('Action=DescribeVpcs&x=' + 'y'.repeat(1_100_000));
    expect(tooBig.status).toBe(400);
    const del = await fetch(h.ec2.endpoint + '/', { method: 'DELETE' });
    expect(del.status).toBe(405);
    const still = await c.send(new E.DescribeVpcsCommand({}));
    expect(still.Vpcs?.length).toBeGreaterThan(0);
  });

  it('survives a random fuzz of parameters for every action', async () => {
    const actions = [
      'CreateVpc', 'DescribeVpcs', 'CreateSubnet', 'DescribeSubnets', 'CreateSecurityGroup', 'DescribeSecurityGroups',
      'RunInstances', 'TerminateInstances', 'DescribeInstances', 'DescribeInstanceTypes', 'CreateNetworkInterface',
      'DeleteNetworkInterface', 'DescribeNetworkInterfaces', 'AttachNetworkInterface', 'DetachNetworkInterface',
      'ModifyNetworkInterfaceAttribute', 'CreateNetworkInterfacePermission', 'AssociateTrunkInterface',
      'DisassociateTrunkInterface', 'DescribeTrunkInterfaceAssociations', 'CreateTags', 'DeleteTags',
    ];
    const keys = ['SubnetId', 'VpcId', 'CidrBlock', 'NetworkInterfaceId', 'InstanceId', 'DeviceIndex', 'VlanId', 'MaxResults',
      'NextToken', 'Filter.1.Name', 'Filter.1.Value.1', 'SecurityGroupId.1', 'ResourceId.1', 'Tag.1.Key', 'Tag.1.Value',
      'TrunkInterfaceId', 'BranchInterfaceId', 'AssociationId', 'AttachmentId', 'InterfaceType', 'MinCount', 'MaxCount',
      'ImageId', 'InstanceType', 'GroupName', 'GroupDescription', 'Permission', 'AwsAccountId', 'PrivateIpAddress',
      'TagSpecification.1.ResourceType', 'TagSpecification.1.Tag.1.Key', 'Description.Value', 'Attachment.AttachmentId'];
    const values = ['', 'x', '-1', '0', '1', '4095', '1e9', 'eni-0123456789abcdef0', subnetA, vpcId, 'sg-', 'i-0', 'true',
      '10.0.0.0/8', '\u202e', '<x>&', 'tag:', '*', 'network-interface', 'trunk', 'm5.large', 'ami-0123456789abcdef0'];
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const parts = [`Action=${actions[rand(actions.length)]}`, 'Version=2016-11-15'];
      const n = rand(6);
      for (let j = 0; j < n; j++) parts.push(`${encodeURIComponent(keys[rand(keys.length)] ?? '')}=${encodeURIComponent(values[rand(values.length)] ?? '')}`);
      const r = await post(parts.join('&'));
      expect([200, 400], parts.join('&')).toContain(r.status);
      if (r.status === 400) expect(codeOf(r.text), parts.join('&')).toBeTruthy();
    }
    const counters = h.ec2.control.counterSnapshot();
    const handled = Object.values(counters).reduce((s, x) => s + x.calls, 0);
    expect(handled).toBeGreaterThan(250); // the fuzz did reach the handlers
  });
});
