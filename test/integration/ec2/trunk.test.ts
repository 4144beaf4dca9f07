// Trunk and branch rules, attachment timing and eventual consistency, through the real SDK.
import * as E from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startHarness, type Harness } from './client.js';

let h: Harness;
let c: E.EC2Client;
let subnetA: string;
let subnetB: string;

beforeAll(async () => {
  h = await startHarness();
  c = h.client;
  subnetA = h.ec2.defaults?.subnets[0]?.subnetId ?? '';
  subnetB = h.ec2.defaults?.subnets[1]?.subnetId ?? '';
});
afterAll(async () => {
  await h.close();
});

async function launch(instanceType: string, subnetId = subnetA): Promise<string> {
  const r = await c.send(new E.RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: instanceType as E._InstanceType, MinCount: 1, MaxCount: 1, SubnetId: subnetId }));
  return r.Instances?.[0]?.InstanceId ?? '';
}

async function createEni(subnetId = subnetA, trunk = false): Promise<string> {
  const r = await c.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnetId, ...(trunk ? { InterfaceType: 'trunk' } : {}) }));
  return r.NetworkInterface?.NetworkInterfaceId ?? '';
}

/** A trunk attached to a fresh instance of the given type, at the highest device index. */
async function trunkOn(instanceType: string): Promise<{ instanceId: string; trunkId: string }> {
  const instanceId = await launch(instanceType);
  const trunkId = await createEni(subnetA, true);
  const slots = h.ec2.world.instanceType(instanceType)?.maximumNetworkInterfaces ?? 2;
  await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: trunkId, InstanceId: instanceId, DeviceIndex: slots - 1 }));
  return { instanceId, trunkId };
}

describe('trunk and branch', () => {
  it('associates a branch on a VLAN: branch shows in-use/branch, association is describable and removable', async () => {
    const { trunkId } = await trunkOn('m5.large');
    const branch = await createEni();
    const r = await c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: branch, TrunkInterfaceId: trunkId, VlanId: 1 }));
    const assoc = r.InterfaceAssociation;
    expect(assoc?.AssociationId).toMatch(/^trunk-assoc-[0-9a-f]{17}$/);
    expect(assoc).toMatchObject({ BranchInterfaceId: branch, TrunkInterfaceId: trunkId, VlanId: 1, InterfaceProtocol: 'VLAN' });
    const d = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [branch] }))).NetworkInterfaces?.[0];
    expect(d?.Status).toBe('in-use');
    expect(d?.InterfaceType).toBe('branch');
    const list = await c.send(new E.DescribeTrunkInterfaceAssociationsCommand({ Filters: [{ Name: 'trunk-interface-association.trunk-interface-id', Values: [trunkId] }] }));
    expect(list.InterfaceAssociations?.map((a) => a.AssociationId)).toEqual([assoc?.AssociationId]);
    const byId = await c.send(new E.DescribeTrunkInterfaceAssociationsCommand({ AssociationIds: [assoc?.AssociationId ?? ''] }));
    expect(byId.InterfaceAssociations?.[0]?.VlanId).toBe(1);
    expect(h.ec2.world.vlansByTrunk().get(trunkId)).toEqual([1]);

    // An associated branch cannot be deleted until it is disassociated.
    const inUse = await errorOf(c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: branch })));
    expect(inUse.name).toBe('InvalidNetworkInterface.InUse');
    const dis = await c.send(new E.DisassociateTrunkInterfaceCommand({ AssociationId: assoc?.AssociationId }));
    expect(dis.Return).toBe(true);
    const again = await errorOf(c.send(new E.DisassociateTrunkInterfaceCommand({ AssociationId: assoc?.AssociationId })));
    expect(again.name).toBe('InvalidAssociationID.NotFound');
    const after = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [branch] }))).NetworkInterfaces?.[0];
    expect(after).toMatchObject({ Status: 'available', InterfaceType: 'interface' });
    await c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: branch }));
  });

  it('rejects a VLAN already in use on the trunk, out-of-range VLANs and a branch already associated', async () => {
    const { trunkId } = await trunkOn('m5.large');
    const b1 = await createEni();
    const b2 = await createEni();
    await c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b1, TrunkInterfaceId: trunkId, VlanId: 5 }));
    const vlanInUse = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b2, TrunkInterfaceId: trunkId, VlanId: 5 })));
    expect(vlanInUse.name).toBe('InvalidParameterValue');
    expect(vlanInUse.message).toMatch(/VLAN ID 5 is already in use/);
    for (const vlan of [0, 4095]) {
      const e = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b2, TrunkInterfaceId: trunkId, VlanId: vlan })));
      expect(e.name).toBe('InvalidParameterValue');
    }
    const twice = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b1, TrunkInterfaceId: trunkId, VlanId: 6 })));
    expect(twice.name).toBe('InvalidNetworkInterface.InUse');
    const notTrunk = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b2, TrunkInterfaceId: b1, VlanId: 7 })));
    expect(notTrunk.name).toBe('InvalidParameterValue');
    const missing = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b2, TrunkInterfaceId: trunkId })));
    expect(missing.name).toBe('MissingParameter');
  });

  it('refuses a branch that is attached to an instance, and a trunk that is not attached', async () => {
    const { instanceId, trunkId } = await trunkOn('m5.large');
    const attached = await createEni();
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: attached, InstanceId: instanceId, DeviceIndex: 1 }));
    const busy = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: attached, TrunkInterfaceId: trunkId, VlanId: 1 })));
    expect(busy.name).toBe('InvalidNetworkInterface.InUse');
    const loneTrunk = await createEni(subnetA, true);
    const branch = await createEni();
    const notAttached = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: branch, TrunkInterfaceId: loneTrunk, VlanId: 1 })));
    expect(notAttached.name).toBe('IncorrectState');
  });

  it('stops at the instance type branch limit', async () => {
    // m5.large: 9 branch interfaces.
    const { trunkId } = await trunkOn('m5.large');
    expect(h.ec2.world.instanceType('m5.large')?.branchInterfaces).toBe(9);
    for (let vlan = 1; vlan <= 9; vlan++) {
      const b = await createEni();
      await c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: b, TrunkInterfaceId: trunkId, VlanId: vlan }));
    }
    const tenth = await createEni();
    const full = await errorOf(c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: tenth, TrunkInterfaceId: trunkId, VlanId: 10 })));
    expect(full.name).toBe('AttachmentLimitExceeded');
    expect(full.message).toMatch(/branch interface limit \(9\)/);
    expect(h.ec2.world.vlansByTrunk().get(trunkId)).toHaveLength(9);
  });

  it('refuses to attach a trunk to an instance type without trunk support', async () => {
    // t3 instances cannot trunk (no t family in the trunk-capable list).
    const inst = await launch('t3.medium');
    const trunk = await createEni(subnetA, true);
    const e = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: trunk, InstanceId: inst, DeviceIndex: 1 })));
    expect(e.name).toBe('UnsupportedOperation');
    expect(e.message).toMatch(/t3\.medium/);
    const plain = await createEni();
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: plain, InstanceId: inst, DeviceIndex: 1 }));
  });

  it('terminating the instance deletes its DeleteOnTermination trunk and drops its associations', async () => {
    const { instanceId, trunkId } = await trunkOn('m5.large');
    const att = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [trunkId] }))).NetworkInterfaces?.[0]?.Attachment?.AttachmentId;
    await c.send(new E.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: trunkId, Attachment: { AttachmentId: att, DeleteOnTermination: true } }));
    const branch = await createEni();
    await c.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: branch, TrunkInterfaceId: trunkId, VlanId: 3 }));
    await c.send(new E.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(h.ec2.world.getEni(trunkId)).toBeUndefined();
    expect(h.ec2.world.listTrunkAssociations().filter((a) => a.trunkInterfaceId === trunkId)).toEqual([]);
    const b = (await c.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [branch] }))).NetworkInterfaces?.[0];
    expect(b?.Status).toBe('available');
  });
});

describe('attachment slots', () => {
  it('enforces device index range, free index, and AttachmentLimitExceeded when full', async () => {
    // m5.large: 3 interfaces on one card; the primary holds index 0.
    const inst = await launch('m5.large');
    const e1 = await createEni();
    const e2 = await createEni();
    const e3 = await createEni();
    const outOfRange = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e1, InstanceId: inst, DeviceIndex: 3 })));
    expect(outOfRange.name).toBe('InvalidParameterValue');
    const taken = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e1, InstanceId: inst, DeviceIndex: 0 })));
    expect(taken.name).toBe('InvalidParameterValue');
    expect(taken.message).toMatch(/device index '0'/);
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e1, InstanceId: inst, DeviceIndex: 1 }));
    await c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e2, InstanceId: inst, DeviceIndex: 2 }));
    const full = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e3, InstanceId: inst, DeviceIndex: 1 })));
    expect(full.name).toBe('AttachmentLimitExceeded');
    const inUse = await errorOf(c.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e1 })));
    expect(inUse.name).toBe('InvalidNetworkInterface.InUse');
    const already = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: e1, InstanceId: inst, DeviceIndex: 2 })));
    expect(already.name).toBe('InvalidNetworkInterface.InUse');
  });

  it('refuses an ENI from another availability zone and detaching the primary interface', async () => {
    const inst = await launch('m5.large', subnetA);
    const other = await createEni(subnetB);
    const az = await errorOf(c.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: other, InstanceId: inst, DeviceIndex: 1 })));
    expect(az.name).toBe('InvalidParameterCombination');
    const d = await c.send(new E.DescribeInstancesCommand({ InstanceIds: [inst] }));
    const primaryAtt = d.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.Attachment?.AttachmentId;
    const primary = await errorOf(c.send(new E.DetachNetworkInterfaceCommand({ AttachmentId: primaryAtt })));
    expect(primary.name).toBe('OperationNotPermitted');
    const unknown = await errorOf(c.send(new E.DetachNetworkInterfaceCommand({ AttachmentId: 'eni-attach-00000000000000000' })));
    expect(unknown.name).toBe('InvalidAttachmentID.NotFound');
  });
});

describe('instance types', () => {
  it('extra instance types (operator overrides) with several network cards: slots count per card', async () => {
    const local = await startHarness({
      instanceTypes: new Map([
        ['x9.twocard', { interface: 4, ipv4PerInterface: 10, isTrunkingCompatible: true, branchInterface: 2, defaultNetworkCardIndex: 0, networkCards: [{ networkCardIndex: 0, maximumNetworkInterfaces: 2 }, { networkCardIndex: 1, maximumNetworkInterfaces: 2 }] }],
      ]),
    });
    try {
      const lc = local.client;
      const subnet = local.ec2.defaults?.subnets[0]?.subnetId ?? '';
      const t = await lc.send(new E.DescribeInstanceTypesCommand({ InstanceTypes: ['x9.twocard' as E._InstanceType] }));
      expect(t.InstanceTypes?.[0]?.NetworkInfo?.NetworkCards).toHaveLength(2);
      const inst = (await lc.send(new E.RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 'x9.twocard' as E._InstanceType, MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances?.[0]?.InstanceId;
      const mk = async (): Promise<string> => (await lc.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet }))).NetworkInterface?.NetworkInterfaceId ?? '';
      await lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: await mk(), InstanceId: inst, DeviceIndex: 1 }));
      const full = await errorOf(lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: await mk(), InstanceId: inst, DeviceIndex: 1 })));
      expect(full.name).toBe('AttachmentLimitExceeded');
      // Card 1 has its own two slots; device index 0 is free there.
      const onCard1 = await lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: await mk(), InstanceId: inst, DeviceIndex: 0, NetworkCardIndex: 1 }));
      expect(onCard1.NetworkCardIndex).toBe(1);
      const noCard = await errorOf(lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: await mk(), InstanceId: inst, DeviceIndex: 0, NetworkCardIndex: 2 })));
      expect(noCard.name).toBe('InvalidParameterValue');
    } finally {
      await local.close();
    }
  });
});

describe('timing', () => {
  it('attachments stay attaching for the configured delay, detachments stay detaching', async () => {
    const local = await startHarness({ attachDelayMs: 1000 });
    try {
      const lc = local.client;
      const subnet = local.ec2.defaults?.subnets[0]?.subnetId ?? '';
      const inst = (await lc.send(new E.RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances?.[0]?.InstanceId;
      const eni = (await lc.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet, InterfaceType: 'trunk' }))).NetworkInterface?.NetworkInterfaceId ?? '';
      const att = await lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst, DeviceIndex: 2 }));
      const status = async (): Promise<string | undefined> =>
        (await lc.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0]?.Attachment?.Status;
      expect(await status()).toBe('attaching');
      // A trunk that is still attaching cannot take branches yet.
      const branch = (await lc.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet }))).NetworkInterface?.NetworkInterfaceId;
      const early = await errorOf(lc.send(new E.AssociateTrunkInterfaceCommand({ BranchInterfaceId: branch, TrunkInterfaceId: eni, VlanId: 1 })));
      expect(early.name).toBe('IncorrectState');
      const deadline = Date.now() + 5000;
      while ((await status()) !== 'attached' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await status()).toBe('attached');
      await lc.send(new E.DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId }));
      expect(await status()).toBe('detaching');
      const stillInUse = await errorOf(lc.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni })));
      expect(stillInUse.name).toBe('InvalidNetworkInterface.InUse');
      while ((await status()) !== undefined && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 25));
      await lc.send(new E.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    } finally {
      await local.close();
    }
  });

  it('time scale shortens the attach delay', async () => {
    const local = await startHarness({ attachDelayMs: 60_000, timeScale: 600 });
    try {
      const lc = local.client;
      const subnet = local.ec2.defaults?.subnets[0]?.subnetId ?? '';
      const inst = (await lc.send(new E.RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: subnet }))).Instances?.[0]?.InstanceId;
      const eni = (await lc.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet }))).NetworkInterface?.NetworkInterfaceId ?? '';
      await lc.send(new E.AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst, DeviceIndex: 1 }));
      // 60 s at ×600 is 100 ms.
      const deadline = Date.now() + 3000;
      let status: string | undefined;
      do {
        status = (await lc.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0]?.Attachment?.Status;
        if (status !== 'attached') await new Promise((r) => setTimeout(r, 20));
      } while (status !== 'attached' && Date.now() < deadline);
      expect(status).toBe('attached');
    } finally {
      await local.close();
    }
  });

  it('a new ENI is invisible to describes during the consistency delay', async () => {
    const local = await startHarness({ consistencyDelayMs: 1000 });
    try {
      const lc = local.client;
      const subnet = local.ec2.defaults?.subnets[0]?.subnetId ?? '';
      const eni = (await lc.send(new E.CreateNetworkInterfaceCommand({ SubnetId: subnet, Description: 'lagging' }))).NetworkInterface?.NetworkInterfaceId ?? '';
      const byId = await errorOf(lc.send(new E.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })));
      expect(byId.name).toBe('InvalidNetworkInterfaceID.NotFound');
      const byFilter = await lc.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['lagging'] }] }));
      expect(byFilter.NetworkInterfaces).toEqual([]);
      // The world itself knows it (the invariant checker sees everything).
      expect(local.ec2.world.listEnis().some((e) => e.networkInterfaceId === eni)).toBe(true);
      const deadline = Date.now() + 5000;
      let seen = 0;
      while (seen === 0 && Date.now() < deadline) {
        seen = (await lc.send(new E.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['lagging'] }] }))).NetworkInterfaces?.length ?? 0;
        if (seen === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen).toBe(1);
    } finally {
      await local.close();
    }
  });
});
