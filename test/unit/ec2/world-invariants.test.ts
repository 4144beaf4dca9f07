// A random walk over the world's operations (with a fake clock for attach/detach delays), checking
// EC2's invariants after every step. Refusals (Ec2ErrorResponse) are expected; anything else is a bug.
import { describe, expect, it } from 'vitest';
import { parseCidr, parseIpv4 } from '../../../src/sim/ec2/address-pool.js';
import { seedDefaultWorld } from '../../../src/sim/ec2/default-world.js';
import { Ec2ErrorResponse } from '../../../src/sim/ec2/errors.js';
import { slotsOnCard } from '../../../src/sim/ec2/instance-types.js';
import { World } from '../../../src/sim/ec2/world.js';

/** Every broken invariant, as readable strings (plain checks: this runs after every step). */
function violations(w: World): string[] {
  const out: string[] = [];
  const check = (ok: boolean, msg: () => string): void => {
    if (!ok) out.push(msg());
  };
  const enis = [...w.allEnis()];
  // Addresses: inside the subnet, unique, and the pool's free count agrees.
  const usedBySubnet = new Map<string, Set<string>>();
  for (const e of enis) {
    const s = w.getSubnet(e.subnetId);
    if (!s) {
      out.push(`${e.networkInterfaceId}: no subnet`);
      continue;
    }
    const cidr = parseCidr(s.cidrBlock);
    const used = usedBySubnet.get(e.subnetId) ?? new Set<string>();
    usedBySubnet.set(e.subnetId, used);
    for (const ip of [e.privateIpAddress, ...e.secondaryPrivateIps]) {
      const n = parseIpv4(ip) ?? -1;
      check(n >= cidr.base + 4 && n < cidr.base + cidr.size - 1, () => `${ip} outside usable range of ${s.cidrBlock}`);
      check(!used.has(ip), () => `duplicate address ${ip}`);
      used.add(ip);
    }
    // Status follows attachment/association.
    check(e.status === (e.attachment || e.branchAssociationId ? 'in-use' : 'available'), () => `${e.networkInterfaceId} status ${e.status}`);
    // Groups exist, belong to the ENI's VPC, within quota.
    check(e.groups.length > 0 && e.groups.length <= 5, () => `${e.networkInterfaceId} has ${e.groups.length} groups`);
    for (const g of e.groups) check(w.getGroup(g)?.vpcId === e.vpcId, () => `${e.networkInterfaceId} group ${g} not in its VPC`);
  }
  for (const s of w.allSubnets()) {
    check(s.pool.available === s.pool.capacity - (usedBySubnet.get(s.subnetId)?.size ?? 0), () => `${s.subnetId} free count ${s.pool.available} disagrees`);
  }
  // Attachments: live instance, unique device index per card, within the slots.
  const attachedTo = new Map<string, number>();
  for (const e of enis) if (e.attachment) attachedTo.set(e.attachment.instanceId, (attachedTo.get(e.attachment.instanceId) ?? 0) + 1);
  for (const inst of w.allInstances()) {
    const attached = w.enisOfInstance(inst.instanceId);
    check(attached.length === (attachedTo.get(inst.instanceId) ?? 0), () => `${inst.instanceId} index has ${attached.length} ENIs, world ${attachedTo.get(inst.instanceId) ?? 0}`);
    check(attached.every((e) => e.attachment?.instanceId === inst.instanceId), () => `${inst.instanceId} index holds a foreign ENI`);
    if (inst.state === 'terminated') check(attached.length === 0, () => `terminated ${inst.instanceId} still has ENIs`);
    const byCard = new Map<number, number[]>();
    for (const e of attached) {
      const card = e.attachment?.networkCardIndex ?? 0;
      byCard.set(card, [...(byCard.get(card) ?? []), e.attachment?.deviceIndex ?? -1]);
      check(e.availabilityZone === inst.availabilityZone, () => `${e.networkInterfaceId} attached across AZs`);
    }
    for (const [card, idx] of byCard) {
      const slots = slotsOnCard(inst.info, card);
      check(new Set(idx).size === idx.length, () => `${inst.instanceId} duplicate device index ${idx.join(',')}`);
      check(idx.length <= slots && idx.every((i) => i >= 0 && i < slots), () => `${inst.instanceId} device indexes ${idx.join(',')} exceed ${slots} slots`);
    }
  }
  // Trunk associations: trunk is a trunk, branch points back, VLANs unique per trunk.
  const vlans = new Map<string, Set<number>>();
  for (const a of w.listTrunkAssociations()) {
    check(w.getEni(a.trunkInterfaceId)?.createdType === 'trunk', () => `${a.associationId} trunk is not a trunk`);
    const branch = w.getEni(a.branchInterfaceId);
    check(branch?.branchAssociationId === a.associationId, () => `${a.associationId} branch does not point back`);
    check(branch?.attachment === undefined, () => `${a.associationId} branch is attached to an instance`);
    check(a.vlanId >= 1 && a.vlanId <= 4094, () => `${a.associationId} VLAN ${a.vlanId}`);
    const set = vlans.get(a.trunkInterfaceId) ?? new Set<number>();
    check(!set.has(a.vlanId), () => `VLAN ${a.vlanId} twice on ${a.trunkInterfaceId}`);
    set.add(a.vlanId);
    vlans.set(a.trunkInterfaceId, set);
  }
  const reported = w.vlansByTrunk();
  check(reported.size === vlans.size, () => `vlansByTrunk has ${reported.size} trunks, associations ${vlans.size}`);
  for (const [trunk, set] of vlans) check((reported.get(trunk) ?? []).join() === [...set].sort((x, y) => x - y).join(), () => `vlansByTrunk disagrees for ${trunk}`);
  for (const e of enis) {
    if (e.branchAssociationId) check(w.getAssociation(e.branchAssociationId)?.branchInterfaceId === e.networkInterfaceId, () => `${e.networkInterfaceId} dangling association`);
  }
  return out;
}

describe('world invariants under random operations', () => {
  it('hold after every one of 2,000 random steps', () => {
    let t = 0;
    const w = new World({ region: 'us-west-2', securityGroupsPerInterface: 5, attachDelayMs: () => 50, consistencyDelayMs: () => 0, now: () => t, idSeed: 3 });
    const d = seedDefaultWorld(w);
    // A small subnet so exhaustion happens too.
    const tiny = w.createSubnet(d.vpc.vpcId, '10.0.250.0/28', 'us-west-2a');
    const subnets = [d.subnets[0]?.subnetId ?? '', d.subnets[1]?.subnetId ?? '', tiny.subnetId];
    const groups = [d.defaultSecurityGroup.groupId, ...Array.from({ length: 6 }, (_, i) => w.createSecurityGroup(`g${i}`, 'x', d.vpc.vpcId).groupId)];
    let seed = 1234567;
    const rnd = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[rnd(xs.length)] : undefined);
    const refusals = new Map<string, number>();
    let okSteps = 0;
    let associated = 0;
    for (let step = 0; step < 2000; step++) {
      t += rnd(40);
      w.tick();
      const enis = [...w.allEnis()];
      const live = [...w.allInstances()].filter((i) => i.state === 'running');
      const trunks = enis.filter((e) => e.createdType === 'trunk');
      // Bias the walk towards valid trunk work so associations actually happen.
      const readyTrunks = trunks.filter((e) => e.attachment?.status === 'attached');
      const freeEnis = enis.filter((e) => e.status === 'available' && e.createdType === 'interface');
      const ops: (() => void)[] = [
        () => void w.createNetworkInterface({ subnetId: pick(subnets) ?? '', groups: groups.slice(0, 1 + rnd(6)), ...(rnd(5) === 0 ? { interfaceType: 'trunk' } : {}) }),
        () => w.deleteNetworkInterface(pick(enis)?.networkInterfaceId ?? 'eni-00000000000000000'),
        () => void w.runInstances({ imageId: 'ami-0123456789abcdef0', instanceType: pick(['m5.large', 'c5.xlarge', 't3.medium', 'm6g.medium']) ?? 'm5.large', subnetId: pick(subnets.slice(0, 2)) ?? '', minCount: 1, maxCount: 1 }),
        () => void w.terminateInstances([pick(live)?.instanceId ?? 'i-00000000000000000']),
        () => void w.attachNetworkInterface(pick(enis)?.networkInterfaceId ?? '', pick(live)?.instanceId ?? 'i-00000000000000000', rnd(5)),
        () => {
          const trunk = pick(trunks.filter((e) => !e.attachment));
          const inst = pick(live.filter((i) => i.availabilityZone === trunk?.availabilityZone));
          w.attachNetworkInterface(trunk?.networkInterfaceId ?? '', inst?.instanceId ?? 'i-00000000000000000', 1 + rnd(3));
        },
        () => {
          const trunk = pick(readyTrunks);
          const branch = pick(freeEnis.filter((e) => e.availabilityZone === trunk?.availabilityZone));
          w.associateTrunkInterface(branch?.networkInterfaceId ?? '', trunk?.networkInterfaceId ?? '', 1 + rnd(12));
          associated++;
        },
        () => {
          const att = pick(enis.filter((e) => e.attachment))?.attachment;
          w.detachNetworkInterface(att?.attachmentId ?? 'eni-attach-00000000000000000', rnd(3) === 0);
        },
        () => void w.associateTrunkInterface(pick(enis)?.networkInterfaceId ?? '', pick(trunks)?.networkInterfaceId ?? '', 1 + rnd(12)),
        () => w.disassociateTrunkInterface(pick(w.listTrunkAssociations())?.associationId ?? 'trunk-assoc-00000000000000000'),
        () => w.modifyNetworkInterfaceAttribute(pick(enis)?.networkInterfaceId ?? '', { groups: groups.slice(rnd(7)) }),
        () => w.createTags([pick(enis)?.networkInterfaceId ?? ''], [{ key: `k${rnd(3)}`, value: `v${rnd(3)}` }]),
      ];
      const op = rnd(ops.length);
      try {
        (ops[op] as () => void)();
        okSteps++;
      } catch (err) {
        if (!(err instanceof Ec2ErrorResponse)) throw err;
        refusals.set(err.code, (refusals.get(err.code) ?? 0) + 1);
      }
      const broken = violations(w);
      if (broken.length > 0) expect({ step, op, broken }).toEqual({ step, op, broken: [] });
    }
    // The walk exercised both sides: real work and EC2's refusals.
    expect(okSteps).toBeGreaterThan(500);
    expect(associated).toBeGreaterThan(20);
    expect(refusals.has('InvalidNetworkInterface.InUse')).toBe(true);
    expect(refusals.has('SecurityGroupsPerInterfaceLimitExceeded')).toBe(true);
  });
});
