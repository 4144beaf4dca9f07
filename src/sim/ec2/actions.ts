// One handler per EC2 action: read the Query parameters (EC2 wire names), call the world, render
// the result element(s). A handler returns the inner XML of `<ActionResponse>`; errors are thrown
// as Ec2Error and rendered by the server.
import { Ec2Error, invalidParameterValue, missingParameter } from './errors.js';
import { compileFilters, matchesAll, type FilterSet } from './filters.js';
import { queryEnis } from './eni-query.js';
import { collectPage, pageRequest } from './pagination.js';
import {
  filters,
  listOf,
  optBool,
  optInt,
  optString,
  reqInt,
  reqString,
  tagSpecifications,
  tagsOf,
  type Params,
} from './query-params.js';
import {
  renderAssociation,
  renderEni,
  renderInstanceType,
  renderPermission,
  renderReservation,
  renderSecurityGroup,
  renderSubnet,
  renderVpc,
} from './render.js';
import type { InstanceTypeInfo } from './instance-types.js';
import type { World } from './world.js';
import type { Instance, SecurityGroup, Subnet, TrunkAssociation, Vpc } from './world-types.js';
import { el, list, wrap } from './xml.js';

export interface ActionContext {
  world: World;
  /** ClientToken → (request fingerprint, response), per action. */
  idempotency: Map<string, { fingerprint: string; body: string }>;
}

const MAX_REMEMBERED_TOKENS = 20_000;

export type ActionHandler = (ctx: ActionContext, p: Params) => string;

/**
 * EC2's ClientToken idempotency: the same token with the same parameters returns the first
 * response again without doing anything; the same token with other parameters is refused.
 */
function idempotent(ctx: ActionContext, action: string, p: Params, run: () => string): string {
  const token = p.get('ClientToken');
  if (token === undefined || token === '') return run();
  if (token.length > 64) throw invalidParameterValue('ClientToken is limited to 64 characters');
  const key = `${action}\u0000${token}`;
  const fingerprint = [...p.entries()]
    .filter(([k]) => k !== 'ClientToken' && k !== 'Version')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const prior = ctx.idempotency.get(key);
  if (prior) {
    if (prior.fingerprint !== fingerprint) {
      throw new Ec2Error(
        'IdempotentParameterMismatch',
        `Client token '${token}' was already used with different request parameters.`,
      );
    }
    return prior.body;
  }
  const body = run();
  ctx.idempotency.set(key, { fingerprint, body });
  // The SDK sends a fresh token with every create, so the store is bounded: EC2 too forgets
  // tokens after a while. Oldest first (Map keeps insertion order).
  if (ctx.idempotency.size > MAX_REMEMBERED_TOKENS) {
    const oldest = ctx.idempotency.keys().next().value;
    if (oldest !== undefined) ctx.idempotency.delete(oldest);
  }
  return body;
}

/** Sequence number = position in a never-shrinking collection (VPCs, subnets, groups, instances). */
function withPositions<T>(items: Iterable<T>): { item: T; seq: number }[] {
  let n = 0;
  const out: { item: T; seq: number }[] = [];
  for (const item of items) out.push({ item, seq: ++n });
  return out;
}

function describeSimple<T>(
  p: Params,
  all: Iterable<T>,
  set: FilterSet<T>,
  ids: readonly string[],
  idOf: (t: T) => string,
  lookup: (ids: readonly string[]) => T[],
  limits: { min: number; max: number; defaultMax?: number } | undefined,
): { items: T[]; nextToken: string | undefined } {
  const compiled = compileFilters(set, filters(p));
  const page = limits ? pageRequest(p, limits, ids.length > 0) : { maxResults: undefined, after: 0 };
  if (ids.length > 0) {
    const wanted = new Set(lookup(ids).map(idOf));
    const r = collectPage(withPositions(all), (x) => x.seq, (x) => wanted.has(idOf(x.item)) && matchesAll(compiled, x.item), page);
    return { items: r.items.map((x) => x.item), nextToken: r.nextToken };
  }
  const r = collectPage(withPositions(all), (x) => x.seq, (x) => matchesAll(compiled, x.item), page);
  return { items: r.items.map((x) => x.item), nextToken: r.nextToken };
}

const tagFilterOnly = <T extends { tags: Map<string, string> }>(r: T): Map<string, string> => r.tags;

// ---------------------------------------------------------------- VPCs, subnets, security groups

const createVpc: ActionHandler = (ctx, p) => {
  const vpc = ctx.world.createVpc(reqString(p, 'CidrBlock'), tagSpecifications(p, 'vpc'));
  return wrap('vpc', renderVpc(ctx.world, vpc));
};

const describeVpcs: ActionHandler = (ctx, p) => {
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
      'owner-id': () => '111122223333',
    },
  };
  const ids = listOf(p, 'VpcId');
  const r = describeSimple(p, w.allVpcs(), set, ids, (v) => v.vpcId, (x) => w.requireMany('vpc', x, (id) => w.getVpc(id)), { min: 5, max: 1000 });
  return list('vpcSet', r.items, (v) => renderVpc(w, v)) + el('nextToken', r.nextToken);
};

const createSubnet: ActionHandler = (ctx, p) => {
  const s = ctx.world.createSubnet(reqString(p, 'VpcId'), reqString(p, 'CidrBlock'), optString(p, 'AvailabilityZone'), tagSpecifications(p, 'subnet'));
  return wrap('subnet', renderSubnet(ctx.world, s));
};

const describeSubnets: ActionHandler = (ctx, p) => {
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
      'owner-id': () => '111122223333',
    },
  };
  const ids = listOf(p, 'SubnetId');
  const r = describeSimple(p, w.allSubnets(), set, ids, (s) => s.subnetId, (x) => w.requireMany('subnet', x, (id) => w.getSubnet(id)), { min: 5, max: 1000 });
  return list('subnetSet', r.items, (s) => renderSubnet(w, s)) + el('nextToken', r.nextToken);
};

const createSecurityGroup: ActionHandler = (ctx, p) => {
  const vpcId = p.get('VpcId');
  if (vpcId === undefined) throw new Ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
  const g = ctx.world.createSecurityGroup(reqString(p, 'GroupName'), reqString(p, 'GroupDescription'), vpcId, tagSpecifications(p, 'security-group'));
  return el('return', true) + el('groupId', g.groupId) + el('securityGroupArn', `arn:aws:ec2:${ctx.world.region}:111122223333:security-group/${g.groupId}`) + (g.tags.size ? list('tagSet', g.tags, ([k, v]) => el('key', k) + el('value', v)) : '');
};

const describeSecurityGroups: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<SecurityGroup> = {
    tags: tagFilterOnly,
    fields: {
      'group-id': (g) => g.groupId,
      'group-name': (g) => g.groupName,
      description: (g) => g.description,
      'vpc-id': (g) => g.vpcId,
      'owner-id': () => '111122223333',
    },
  };
  const ids = listOf(p, 'GroupId');
  const names = listOf(p, 'GroupName');
  const lookup = (x: readonly string[]): SecurityGroup[] => {
    const out: SecurityGroup[] = [];
    for (const id of x) {
      if (!/^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new Ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
      const g = w.getGroup(id);
      if (!g) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      out.push(g);
    }
    return out;
  };
  let r = describeSimple(p, w.allGroups(), set, ids, (g) => g.groupId, lookup, { min: 5, max: 1000 });
  if (names.length > 0) {
    const byName = new Set(names);
    for (const n of names) {
      if (![...w.allGroups()].some((g) => g.groupName === n)) {
        throw new Ec2Error('InvalidGroup.NotFound', `The security group '${n}' does not exist`);
      }
    }
    r = { items: r.items.filter((g) => byName.has(g.groupName)), nextToken: r.nextToken };
  }
  return list('securityGroupInfo', r.items, (g) => renderSecurityGroup(w, g)) + el('nextToken', r.nextToken);
};

// ---------------------------------------------------------------- instances

const runInstances: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'RunInstances', p, () => {
    const subnetId = p.get('SubnetId') ?? p.get('NetworkInterface.1.SubnetId');
    if (subnetId === undefined) throw missingParameter('SubnetId');
    const instances = ctx.world.runInstances({
      imageId: reqString(p, 'ImageId'),
      instanceType: p.get('InstanceType') ?? 'm1.small',
      subnetId,
      groups: listOf(p, 'SecurityGroupId'),
      minCount: reqInt(p, 'MinCount', 1),
      maxCount: reqInt(p, 'MaxCount', 1),
      tags: tagSpecifications(p, 'instance'),
      ...(p.get('ClientToken') ? { clientToken: p.get('ClientToken') } : {}),
    });
    const first = instances[0] as Instance;
    return renderReservation(ctx.world, first.reservationId, instances, 'pending');
  });

const terminateInstances: ActionHandler = (ctx, p) => {
  const results = ctx.world.terminateInstances(listOf(p, 'InstanceId'));
  const state = (s: Instance['state']): string =>
    el('code', s === 'pending' ? 0 : s === 'running' ? 16 : 48) + el('name', s);
  return list(
    'instancesSet',
    results,
    (r) =>
      el('instanceId', r.instance.instanceId) +
      wrap('currentState', state(r.instance.state)) +
      wrap('previousState', state(r.previous)),
  );
};

const describeInstances: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<Instance> = {
    tags: tagFilterOnly,
    fields: {
      'instance-id': (i) => i.instanceId,
      'instance-state-name': (i) => i.state,
      'instance-type': (i) => i.instanceType,
      'subnet-id': (i) => i.subnetId,
      'vpc-id': (i) => i.vpcId,
      'availability-zone': (i) => i.availabilityZone,
      'private-ip-address': (i) => i.privateIpAddress,
      'image-id': (i) => i.imageId,
      'reservation-id': (i) => i.reservationId,
      'network-interface.network-interface-id': (i) => w.enisOfInstance(i.instanceId).map((e) => e.networkInterfaceId),
      'instance.group-id': (i) => i.groups,
    },
  };
  const ids = listOf(p, 'InstanceId');
  const r = describeSimple(p, w.allInstances(), set, ids, (i) => i.instanceId, (x) => w.requireMany('i', x, (id) => w.getInstance(id)), { min: 5, max: 1000 });
  // Instances launched together share a reservation, as in EC2.
  const byReservation = new Map<string, Instance[]>();
  for (const i of r.items) {
    const group = byReservation.get(i.reservationId);
    if (group) group.push(i);
    else byReservation.set(i.reservationId, [i]);
  }
  return list('reservationSet', byReservation, ([rid, insts]) => renderReservation(w, rid, insts)) + el('nextToken', r.nextToken);
};

const describeInstanceTypes: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const names = listOf(p, 'InstanceType');
  const set: FilterSet<InstanceTypeInfo> = {
    tags: () => new Map(),
    fields: {
      'instance-type': (t) => t.instanceType,
      hypervisor: (t) => t.hypervisor,
      'bare-metal': (t) => String(t.bareMetal),
      'network-info.maximum-network-interfaces': (t) => String(t.maximumNetworkInterfaces),
      'network-info.ipv4-addresses-per-interface': (t) => String(t.ipv4AddressesPerInterface),
      'current-generation': () => 'true',
    },
  };
  const lookup = (x: readonly string[]): InstanceTypeInfo[] =>
    x.map((n) => {
      const t = w.instanceType(n);
      if (!t) throw invalidParameterValue(`The following supplied instance types do not exist: [${n}]`);
      return t;
    });
  const r = describeSimple(p, w.instanceTypes(), set, names, (t) => t.instanceType, lookup, names.length > 0 ? undefined : { min: 5, max: 100, defaultMax: 100 });
  return list('instanceTypeSet', r.items, renderInstanceType) + el('nextToken', r.nextToken);
};

// ---------------------------------------------------------------- network interfaces

const createNetworkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'CreateNetworkInterface', p, () => {
    const interfaceType = optString(p, 'InterfaceType');
    const description = optString(p, 'Description');
    const privateIpAddress = optString(p, 'PrivateIpAddress');
    const secondary = optInt(p, 'SecondaryPrivateIpAddressCount', 0);
    const eni = ctx.world.createNetworkInterface({
      subnetId: reqString(p, 'SubnetId'),
      groups: listOf(p, 'SecurityGroupId'),
      tags: tagSpecifications(p, 'network-interface'),
      ...(interfaceType !== undefined ? { interfaceType } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(privateIpAddress !== undefined ? { privateIpAddress } : {}),
      ...(secondary !== undefined ? { secondaryPrivateIpAddressCount: secondary } : {}),
    });
    return wrap('networkInterface', renderEni(ctx.world, eni)) + el('clientToken', p.get('ClientToken'));
  });

const deleteNetworkInterface: ActionHandler = (ctx, p) => {
  ctx.world.deleteNetworkInterface(reqString(p, 'NetworkInterfaceId'));
  return el('return', true);
};

const describeNetworkInterfaces: ActionHandler = (ctx, p) => {
  const ids = listOf(p, 'NetworkInterfaceId');
  const page = pageRequest(p, { min: 5, max: 1000 }, ids.length > 0);
  const r = queryEnis(ctx.world, ids, filters(p), page);
  return list('networkInterfaceSet', r.items, (e) => renderEni(ctx.world, e)) + el('nextToken', r.nextToken);
};

const attachNetworkInterface: ActionHandler = (ctx, p) => {
  const att = ctx.world.attachNetworkInterface(
    reqString(p, 'NetworkInterfaceId'),
    reqString(p, 'InstanceId'),
    reqInt(p, 'DeviceIndex'),
    optInt(p, 'NetworkCardIndex', 0),
  );
  return el('attachmentId', att.attachmentId) + el('networkCardIndex', att.networkCardIndex);
};

const detachNetworkInterface: ActionHandler = (ctx, p) => {
  ctx.world.detachNetworkInterface(reqString(p, 'AttachmentId'), optBool(p, 'Force') ?? false);
  return el('return', true);
};

const modifyNetworkInterfaceAttribute: ActionHandler = (ctx, p) => {
  const groups = listOf(p, 'SecurityGroupId');
  const attachmentId = p.get('Attachment.AttachmentId');
  const dot = optBool(p, 'Attachment.DeleteOnTermination');
  if ((attachmentId === undefined) !== (dot === undefined)) {
    throw missingParameter(attachmentId === undefined ? 'Attachment.AttachmentId' : 'Attachment.DeleteOnTermination');
  }
  const description = p.get('Description.Value');
  const sdc = optBool(p, 'SourceDestCheck.Value');
  ctx.world.modifyNetworkInterfaceAttribute(reqString(p, 'NetworkInterfaceId'), {
    ...(groups.length > 0 ? { groups } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(sdc !== undefined ? { sourceDestCheck: sdc } : {}),
    ...(attachmentId !== undefined && dot !== undefined ? { attachment: { attachmentId, deleteOnTermination: dot } } : {}),
  });
  return el('return', true);
};

const createNetworkInterfacePermission: ActionHandler = (ctx, p) => {
  const perm = ctx.world.createNetworkInterfacePermission(
    reqString(p, 'NetworkInterfaceId'),
    optString(p, 'AwsAccountId'),
    optString(p, 'AwsService'),
    reqString(p, 'Permission'),
  );
  return wrap('interfacePermission', renderPermission(perm));
};

// ---------------------------------------------------------------- trunking

const associateTrunkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'AssociateTrunkInterface', p, () => {
    const assoc = ctx.world.associateTrunkInterface(
      reqString(p, 'BranchInterfaceId'),
      reqString(p, 'TrunkInterfaceId'),
      reqInt(p, 'VlanId'),
    );
    return wrap('interfaceAssociation', renderAssociation(assoc)) + el('clientToken', p.get('ClientToken'));
  });

const disassociateTrunkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'DisassociateTrunkInterface', p, () => {
    ctx.world.disassociateTrunkInterface(reqString(p, 'AssociationId'));
    return el('return', true) + el('clientToken', p.get('ClientToken'));
  });

const describeTrunkInterfaceAssociations: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<TrunkAssociation> = {
    tags: tagFilterOnly,
    fields: {
      'association-id': (a) => a.associationId,
      'trunk-interface-association.branch-interface-id': (a) => a.branchInterfaceId,
      'trunk-interface-association.trunk-interface-id': (a) => a.trunkInterfaceId,
      'branch-interface-id': (a) => a.branchInterfaceId,
      'trunk-interface-id': (a) => a.trunkInterfaceId,
      'vlan-id': (a) => String(a.vlanId),
      'gre-key': () => undefined,
    },
  };
  const ids = listOf(p, 'AssociationId');
  const compiled = compileFilters(set, filters(p));
  const page = pageRequest(p, { min: 5, max: 255 }, ids.length > 0);
  const wanted = ids.length > 0 ? new Set(ids.map((id) => w.requireAssociation(id).associationId)) : undefined;
  const r = collectPage(
    w.allAssociations(),
    (a) => a.seq,
    (a) => (wanted === undefined || wanted.has(a.associationId)) && matchesAll(compiled, a),
    page,
  );
  return list('interfaceAssociationSet', r.items, renderAssociation) + el('nextToken', r.nextToken);
};

// ---------------------------------------------------------------- tags

const createTags: ActionHandler = (ctx, p) => {
  ctx.world.createTags(listOf(p, 'ResourceId'), tagsOf(p));
  return el('return', true);
};

const deleteTags: ActionHandler = (ctx, p) => {
  ctx.world.deleteTags(listOf(p, 'ResourceId'), tagsOf(p));
  return el('return', true);
};

export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  CreateVpc: createVpc,
  DescribeVpcs: describeVpcs,
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  CreateSecurityGroup: createSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  RunInstances: runInstances,
  TerminateInstances: terminateInstances,
  DescribeInstances: describeInstances,
  DescribeInstanceTypes: describeInstanceTypes,
  CreateNetworkInterface: createNetworkInterface,
  DeleteNetworkInterface: deleteNetworkInterface,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  AttachNetworkInterface: attachNetworkInterface,
  DetachNetworkInterface: detachNetworkInterface,
  ModifyNetworkInterfaceAttribute: modifyNetworkInterfaceAttribute,
  CreateNetworkInterfacePermission: createNetworkInterfacePermission,
  AssociateTrunkInterface: associateTrunkInterface,
  DisassociateTrunkInterface: disassociateTrunkInterface,
  DescribeTrunkInterfaceAssociations: describeTrunkInterfaceAssociations,
  CreateTags: createTags,
  DeleteTags: deleteTags,
};
