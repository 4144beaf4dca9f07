// What EC2 says about a node's instance (DescribeInstances is authoritative for the type, the
// subnet and what is attached), reduced to the facts the node reconciler decides on. The
// conversion is pure; the EC2 read is InstanceDescriber's (batched).
import type { Instance, InstanceNetworkInterface } from '@aws-sdk/client-ec2';

export interface AttachedInterface {
  eniId: string;
  /** `interface`, `trunk`, `efa`, … (a branch never shows up attached to an instance). */
  interfaceType: string;
  subnetId: string;
  groups: string[];
  deviceIndex: number;
  networkCardIndex: number;
  attachmentId: string;
  /** attaching | attached | detaching | detached */
  attachmentStatus: string;
  deleteOnTermination: boolean;
}

export interface InstanceFacts {
  instanceId: string;
  instanceType: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  /** Groups of the primary ENI (device index 0): a trunk's groups when its ENIConfig lists none. */
  primaryGroups: string[];
  interfaces: AttachedInterface[];
}

function toInterface(n: InstanceNetworkInterface): AttachedInterface | undefined {
  if (!n.NetworkInterfaceId || !n.Attachment) return undefined;
  return {
    eniId: n.NetworkInterfaceId,
    interfaceType: n.InterfaceType ?? 'interface',
    subnetId: n.SubnetId ?? '',
    groups: (n.Groups ?? []).map((g) => g.GroupId ?? '').filter((g) => g !== ''),
    deviceIndex: n.Attachment.DeviceIndex ?? 0,
    networkCardIndex: n.Attachment.NetworkCardIndex ?? 0,
    attachmentId: n.Attachment.AttachmentId ?? '',
    attachmentStatus: n.Attachment.Status ?? 'attached',
    deleteOnTermination: n.Attachment.DeleteOnTermination ?? false,
  };
}

/** Facts from a DescribeInstances instance; undefined when the answer lacks what is needed. */
export function instanceFactsFrom(inst: Instance): InstanceFacts | undefined {
  if (!inst.InstanceId || !inst.InstanceType) return undefined;
  const interfaces = (inst.NetworkInterfaces ?? []).map(toInterface).filter((i): i is AttachedInterface => i !== undefined);
  const primary = interfaces.find((i) => i.deviceIndex === 0 && i.networkCardIndex === 0);
  return {
    instanceId: inst.InstanceId,
    instanceType: inst.InstanceType,
    state: inst.State?.Name ?? 'unknown',
    availabilityZone: inst.Placement?.AvailabilityZone ?? '',
    subnetId: inst.SubnetId ?? primary?.subnetId ?? '',
    vpcId: inst.VpcId ?? '',
    primaryGroups: primary?.groups ?? (inst.SecurityGroups ?? []).map((g) => g.GroupId ?? '').filter((g) => g !== ''),
    interfaces,
  };
}

/** The trunk attached to the instance, if any (at most one can be: EC2 allows one trunk per instance). */
export function findTrunk(facts: InstanceFacts): AttachedInterface | undefined {
  return facts.interfaces.find((i) => i.interfaceType === 'trunk');
}

/** Device indexes taken on one network card. */
export function usedDeviceIndexes(facts: InstanceFacts, networkCardIndex: number): number[] {
  return facts.interfaces.filter((i) => i.networkCardIndex === networkCardIndex).map((i) => i.deviceIndex);
}
