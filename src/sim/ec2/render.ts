// XML renderings of the world's records with EC2's wire names (locationName from the API model:
// lowerCamel elements, lists as `<item>`). One function per shape, shared by every action that
// returns it.
import { el, list, tagSet, wrap } from './xml.js';
import type { World } from './world.js';
import { OWNER_ID } from './world.js';
import type { InstanceTypeInfo } from './instance-types.js';
import type { Attachment, Eni, EniPermission, Instance, SecurityGroup, Subnet, TrunkAssociation, Vpc } from './world-types.js';

const STATE_CODES: Record<Instance['state'], number> = { pending: 0, running: 16, terminated: 48 };

/** The inside of an InstanceState: EC2's numeric code and the name. */
export function renderInstanceState(state: Instance['state']): string {
  return el('code', STATE_CODES[state]) + el('name', state);
}

function privateDnsName(ip: string, region: string): string {
  return `ip-${ip.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
}

function groupSet(world: World, ids: readonly string[]): string {
  return list('groupSet', ids, (id) => el('groupId', id) + el('groupName', world.getGroup(id)?.groupName ?? ''));
}

function attachmentXml(a: Attachment, withOwner: boolean): string {
  return wrap(
    'attachment',
    el('attachmentId', a.attachmentId) +
      (withOwner ? el('instanceId', a.instanceId) + el('instanceOwnerId', OWNER_ID) : '') +
      el('deviceIndex', a.deviceIndex) +
      el('networkCardIndex', a.networkCardIndex) +
      el('status', a.status) +
      el('attachTime', a.attachTime.toISOString()) +
      el('deleteOnTermination', a.deleteOnTermination),
  );
}

function privateIps(eni: Eni, region: string): string {
  return list('privateIpAddressesSet', [eni.privateIpAddress, ...eni.secondaryPrivateIps], (ip) =>
    el('privateIpAddress', ip) + el('privateDnsName', privateDnsName(ip, region)) + el('primary', ip === eni.privateIpAddress),
  );
}

export function renderEni(world: World, eni: Eni): string {
  return (
    el('networkInterfaceId', eni.networkInterfaceId) +
    el('subnetId', eni.subnetId) +
    el('vpcId', eni.vpcId) +
    el('availabilityZone', eni.availabilityZone) +
    el('availabilityZoneId', world.getSubnet(eni.subnetId)?.availabilityZoneId) +
    el('description', eni.description) +
    el('ownerId', OWNER_ID) +
    el('requesterManaged', false) +
    el('status', eni.status) +
    el('macAddress', eni.macAddress) +
    el('privateIpAddress', eni.privateIpAddress) +
    el('privateDnsName', privateDnsName(eni.privateIpAddress, world.region)) +
    el('sourceDestCheck', eni.sourceDestCheck) +
    groupSet(world, eni.groups) +
    (eni.attachment ? attachmentXml(eni.attachment, true) : '') +
    tagSet(eni.tags) +
    privateIps(eni, world.region) +
    '<ipv6AddressesSet/>' +
    el('interfaceType', world.interfaceTypeOf(eni))
  );
}

/** The ENI as DescribeInstances shows it inside an instance (InstanceNetworkInterface). */
export function renderInstanceEni(world: World, eni: Eni): string {
  return (
    el('networkInterfaceId', eni.networkInterfaceId) +
    el('subnetId', eni.subnetId) +
    el('vpcId', eni.vpcId) +
    el('description', eni.description) +
    el('ownerId', OWNER_ID) +
    el('status', eni.status) +
    el('macAddress', eni.macAddress) +
    el('privateIpAddress', eni.privateIpAddress) +
    el('privateDnsName', privateDnsName(eni.privateIpAddress, world.region)) +
    el('sourceDestCheck', eni.sourceDestCheck) +
    groupSet(world, eni.groups) +
    (eni.attachment ? attachmentXml(eni.attachment, false) : '') +
    privateIps(eni, world.region) +
    el('interfaceType', world.interfaceTypeOf(eni))
  );
}

export function renderInstance(world: World, inst: Instance, stateOverride?: Instance['state']): string {
  const state = stateOverride ?? inst.state;
  const live = inst.state !== 'terminated';
  return (
    el('instanceId', inst.instanceId) +
    el('imageId', inst.imageId) +
    wrap('instanceState', renderInstanceState(state)) +
    el('privateDnsName', live ? privateDnsName(inst.privateIpAddress, world.region) : '') +
    el('amiLaunchIndex', inst.amiLaunchIndex) +
    el('instanceType', inst.instanceType) +
    el('launchTime', inst.launchTime.toISOString()) +
    wrap('placement', el('availabilityZone', inst.availabilityZone) + el('tenancy', 'default')) +
    wrap('monitoring', el('state', 'disabled')) +
    (live ? el('subnetId', inst.subnetId) + el('vpcId', inst.vpcId) + el('privateIpAddress', inst.privateIpAddress) : '') +
    el('sourceDestCheck', true) +
    groupSet(world, inst.groups) +
    el('architecture', 'x86_64') +
    el('rootDeviceType', 'ebs') +
    el('rootDeviceName', '/dev/xvda') +
    el('virtualizationType', 'hvm') +
    el('clientToken', inst.clientToken ?? '') +
    tagSet(inst.tags) +
    el('hypervisor', 'xen') +
    list('networkInterfaceSet', world.enisOfInstance(inst.instanceId), (e) => renderInstanceEni(world, e)) +
    el('ebsOptimized', false)
  );
}

export function renderReservation(world: World, reservationId: string, instances: readonly Instance[], state?: Instance['state']): string {
  return (
    el('reservationId', reservationId) +
    el('ownerId', OWNER_ID) +
    '<groupSet/>' +
    list('instancesSet', instances, (i) => renderInstance(world, i, state))
  );
}

export function renderVpc(world: World, vpc: Vpc): string {
  return (
    el('vpcId', vpc.vpcId) +
    el('ownerId', OWNER_ID) +
    el('state', 'available') +
    el('cidrBlock', vpc.cidrBlock) +
    list('cidrBlockAssociationSet', [vpc], (v) =>
      el('associationId', `vpc-cidr-assoc-${v.vpcId.slice(4)}`) + el('cidrBlock', v.cidrBlock) + wrap('cidrBlockState', el('state', 'associated')),
    ) +
    el('dhcpOptionsId', 'default') +
    tagSet(vpc.tags) +
    el('instanceTenancy', 'default') +
    el('isDefault', vpc.isDefault)
  );
}

export function renderSubnet(world: World, s: Subnet): string {
  return (
    el('subnetId', s.subnetId) +
    el('subnetArn', `arn:aws:ec2:${world.region}:${OWNER_ID}:subnet/${s.subnetId}`) +
    el('state', 'available') +
    el('ownerId', OWNER_ID) +
    el('vpcId', s.vpcId) +
    el('cidrBlock', s.cidrBlock) +
    '<ipv6CidrBlockAssociationSet/>' +
    el('availableIpAddressCount', s.pool.available) +
    el('availabilityZone', s.availabilityZone) +
    el('availabilityZoneId', s.availabilityZoneId) +
    el('defaultForAz', false) +
    el('mapPublicIpOnLaunch', false) +
    el('assignIpv6AddressOnCreation', false) +
    tagSet(s.tags)
  );
}

export function securityGroupArn(world: World, groupId: string): string {
  return `arn:aws:ec2:${world.region}:${OWNER_ID}:security-group/${groupId}`;
}

export function renderSecurityGroup(world: World, g: SecurityGroup): string {
  return (
    el('ownerId', OWNER_ID) +
    el('groupId', g.groupId) +
    el('groupName', g.groupName) +
    el('groupDescription', g.description) +
    el('vpcId', g.vpcId) +
    el('securityGroupArn', securityGroupArn(world, g.groupId)) +
    '<ipPermissions/>' +
    list('ipPermissionsEgress', [0], () =>
      el('ipProtocol', '-1') + '<groups/>' + list('ipRanges', ['0.0.0.0/0'], (c) => el('cidrIp', c)) + '<ipv6Ranges/><prefixListIds/>',
    ) +
    tagSet(g.tags)
  );
}

export function renderAssociation(a: TrunkAssociation): string {
  return (
    el('associationId', a.associationId) +
    el('branchInterfaceId', a.branchInterfaceId) +
    el('trunkInterfaceId', a.trunkInterfaceId) +
    el('interfaceProtocol', a.interfaceProtocol) +
    el('vlanId', a.vlanId) +
    tagSet(a.tags)
  );
}

export function renderPermission(p: EniPermission): string {
  return (
    el('networkInterfacePermissionId', p.networkInterfacePermissionId) +
    el('networkInterfaceId', p.networkInterfaceId) +
    el('awsAccountId', p.awsAccountId) +
    el('awsService', p.awsService) +
    el('permission', p.permission) +
    wrap('permissionState', el('state', 'granted'))
  );
}

export function renderInstanceType(t: InstanceTypeInfo): string {
  return (
    el('instanceType', t.instanceType) +
    el('currentGeneration', true) +
    el('bareMetal', t.bareMetal) +
    (t.hypervisor ? el('hypervisor', t.hypervisor) : '') +
    wrap(
      'networkInfo',
      el('maximumNetworkInterfaces', t.maximumNetworkInterfaces) +
        el('maximumNetworkCards', t.networkCards.length) +
        el('defaultNetworkCardIndex', t.defaultNetworkCardIndex) +
        list('networkCards', t.networkCards, (c) =>
          el('networkCardIndex', c.networkCardIndex) + el('maximumNetworkInterfaces', c.maximumNetworkInterfaces),
        ) +
        el('ipv4AddressesPerInterface', t.ipv4AddressesPerInterface) +
        el('ipv6AddressesPerInterface', t.ipv4AddressesPerInterface) +
        el('ipv6Supported', true) +
        el('enaSupport', 'required'),
    )
  );
}
