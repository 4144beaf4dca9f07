// Instances and instance types.
import { invalidParameterValue, missingParameter } from './errors.js';
import { type FilterSet } from './filters.js';
import { listOf, reqInt, reqString, tagSpecifications } from './query-params.js';
import { renderInstanceState, renderInstanceType, renderReservation } from './render.js';
import type { InstanceTypeInfo } from './instance-types.js';
import type { Instance } from './world-types.js';
import { el, list, wrap } from './xml.js';
import { describeSimple, idempotent, tagFilterOnly, type ActionHandler } from './action-support.js';

export const runInstances: ActionHandler = (ctx, p) =>
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

export const terminateInstances: ActionHandler = (ctx, p) => {
  const results = ctx.world.terminateInstances(listOf(p, 'InstanceId'));
  return list(
    'instancesSet',
    results,
    (r) =>
      el('instanceId', r.instance.instanceId) +
      wrap('currentState', renderInstanceState(r.instance.state)) +
      wrap('previousState', renderInstanceState(r.previous)),
  );
};

export const describeInstances: ActionHandler = (ctx, p) => {
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

export const describeInstanceTypes: ActionHandler = (ctx, p) => {
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

