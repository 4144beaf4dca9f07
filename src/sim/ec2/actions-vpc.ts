// VPCs, subnets and security groups.
import { Ec2ErrorResponse } from './errors.js';
import { type FilterSet } from './filters.js';
import { listOf, optString, reqString, tagSpecifications } from './query-params.js';
import { renderSecurityGroup, renderSubnet, renderVpc, securityGroupArn } from './render.js';
import { checkId } from './world-errors.js';
import type { SecurityGroup, Subnet, Vpc } from './world-types.js';
import { OWNER_ID } from './world.js';
import { el, list, tagSet, wrap } from './xml.js';
import { describeSimple, tagFilterOnly, type ActionHandler } from './action-support.js';

export const createVpc: ActionHandler = (ctx, p) => {
  const vpc = ctx.world.createVpc(reqString(p, 'CidrBlock'), tagSpecifications(p, 'vpc'));
  return wrap('vpc', renderVpc(ctx.world, vpc));
};

export const describeVpcs: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<Vpc> = {
    tags: tagFilterOnly,
    fields: {
      'vpc-id': (v) => v.vpcId,
      'cidr-block': (v) => v.cidrBlock,
      cidr: (v) => v.cidrBlock,
      'cidr-block-association.cidr-block': (v) => v.cidrBlock,
      'is-default': (v) => String(v.isDefault),
      state: () => 'available',
      'owner-id': () => OWNER_ID,
    },
  };
  const ids = listOf(p, 'VpcId');
  const r = describeSimple(p, w.allVpcs(), set, ids, (v) => v.vpcId, (x) => w.requireMany('vpc', x, (id) => w.getVpc(id)), { min: 5, max: 1000 });
  return list('vpcSet', r.items, (v) => renderVpc(w, v)) + el('nextToken', r.nextToken);
};

export const createSubnet: ActionHandler = (ctx, p) => {
  const s = ctx.world.createSubnet(reqString(p, 'VpcId'), reqString(p, 'CidrBlock'), optString(p, 'AvailabilityZone'), tagSpecifications(p, 'subnet'));
  return wrap('subnet', renderSubnet(ctx.world, s));
};

export const describeSubnets: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<Subnet> = {
    tags: tagFilterOnly,
    fields: {
      'subnet-id': (s) => s.subnetId,
      'vpc-id': (s) => s.vpcId,
      'availability-zone': (s) => s.availabilityZone,
      'availability-zone-id': (s) => s.availabilityZoneId,
      'cidr-block': (s) => s.cidrBlock,
      cidr: (s) => s.cidrBlock,
      'cidrBlock': (s) => s.cidrBlock,
      state: () => 'available',
      'available-ip-address-count': (s) => String(s.pool.available),
      'default-for-az': () => 'false',
      'owner-id': () => OWNER_ID,
    },
  };
  const ids = listOf(p, 'SubnetId');
  const r = describeSimple(p, w.allSubnets(), set, ids, (s) => s.subnetId, (x) => w.requireMany('subnet', x, (id) => w.getSubnet(id)), { min: 5, max: 1000 });
  return list('subnetSet', r.items, (s) => renderSubnet(w, s)) + el('nextToken', r.nextToken);
};

export const createSecurityGroup: ActionHandler = (ctx, p) => {
  const vpcId = p.get('VpcId');
  if (vpcId === undefined) throw new Ec2ErrorResponse('VPCIdNotSpecified', 'No default VPC for this user');
  const g = ctx.world.createSecurityGroup(reqString(p, 'GroupName'), reqString(p, 'GroupDescription'), vpcId, tagSpecifications(p, 'security-group'));
  return el('return', true) + el('groupId', g.groupId) + el('securityGroupArn', securityGroupArn(ctx.world, g.groupId)) + (g.tags.size ? tagSet(g.tags) : '');
};

export const describeSecurityGroups: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<SecurityGroup> = {
    tags: tagFilterOnly,
    fields: {
      'group-id': (g) => g.groupId,
      'group-name': (g) => g.groupName,
      description: (g) => g.description,
      'vpc-id': (g) => g.vpcId,
      'owner-id': () => OWNER_ID,
    },
  };
  const ids = listOf(p, 'GroupId');
  const names = listOf(p, 'GroupName');
  const lookup = (x: readonly string[]): SecurityGroup[] => {
    const out: SecurityGroup[] = [];
    for (const id of x) {
      checkId('sg', id);
      const g = w.getGroup(id);
      if (!g) throw new Ec2ErrorResponse('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      out.push(g);
    }
    return out;
  };
  let r = describeSimple(p, w.allGroups(), set, ids, (g) => g.groupId, lookup, { min: 5, max: 1000 });
  if (names.length > 0) {
    const byName = new Set(names);
    const known = new Set([...w.allGroups()].map((g) => g.groupName));
    for (const n of names) {
      if (!known.has(n)) throw new Ec2ErrorResponse('InvalidGroup.NotFound', `The security group '${n}' does not exist`);
    }
    r = { items: r.items.filter((g) => byName.has(g.groupName)), nextToken: r.nextToken };
  }
  return list('securityGroupInfo', r.items, (g) => renderSecurityGroup(w, g)) + el('nextToken', r.nextToken);
};

