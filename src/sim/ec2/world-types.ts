// The records the local EC2's world is made of. Kept as plain data so tests and invariant checkers
// can read them through the world's read-only accessors.
import type { AddressPool, Cidr } from './address-pool.js';
import type { InstanceTypeInfo } from './instance-types.js';

export type Tags = Map<string, string>;

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  cidr: Cidr;
  isDefault: boolean;
  tags: Tags;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  cidr: Cidr;
  availabilityZone: string;
  availabilityZoneId: string;
  pool: AddressPool;
  tags: Tags;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: Tags;
}

export type InstanceState = 'pending' | 'running' | 'terminated';

export interface Instance {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  info: InstanceTypeInfo;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  state: InstanceState;
  launchTime: Date;
  privateIpAddress: string;
  groups: string[];
  tags: Tags;
  amiLaunchIndex: number;
  clientToken: string | undefined;
}

export type AttachmentStatus = 'attaching' | 'attached' | 'detaching' | 'detached';

export interface Attachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  networkCardIndex: number;
  status: AttachmentStatus;
  attachTime: Date;
  deleteOnTermination: boolean;
  /** Clock time (ms) when the pending transition (attaching/detaching) completes. */
  settleAt: number;
}

export type EniStatus = 'available' | 'in-use';
export type EniCreationType = 'interface' | 'trunk' | 'efa' | 'efa-only';

export interface Eni {
  networkInterfaceId: string;
  /** Creation order, used for stable pagination. */
  seq: number;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  /** Type given at creation; a branch reports `branch` while it is associated with a trunk. */
  createdType: EniCreationType;
  groups: string[];
  privateIpAddress: string;
  secondaryPrivateIps: string[];
  macAddress: string;
  tags: Tags;
  status: EniStatus;
  attachment: Attachment | undefined;
  sourceDestCheck: boolean;
  /** Association ID when this ENI is a branch of a trunk. */
  branchAssociationId: string | undefined;
  /** Clock time (ms) from which describes show it (eventual consistency). */
  visibleAt: number;
  createdAt: Date;
}

export interface TrunkAssociation {
  associationId: string;
  /** Creation order, used for stable pagination. */
  seq: number;
  trunkInterfaceId: string;
  branchInterfaceId: string;
  vlanId: number;
  interfaceProtocol: 'VLAN';
  tags: Tags;
}

export interface EniPermission {
  networkInterfacePermissionId: string;
  networkInterfaceId: string;
  awsAccountId: string | undefined;
  awsService: string | undefined;
  permission: string;
}

/** What an invariant checker sees of an ENI. */
export interface EniView {
  networkInterfaceId: string;
  interfaceType: string;
  status: EniStatus;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  groups: readonly string[];
  tags: Readonly<Record<string, string>>;
  attachment?: {
    attachmentId: string;
    instanceId: string;
    deviceIndex: number;
    networkCardIndex: number;
    status: AttachmentStatus;
    deleteOnTermination: boolean;
  };
  trunkAssociationId?: string;
}
