// The EC2 calls the controller makes, as one interface. The gateway (gateway.ts: pacing, pools,
// ClientTokens, retries of throttled calls) implements it for production; controllers depend on
// this interface only, so their unit tests hand them an in-memory fake (test/unit/helpers/fake-ec2.ts).
//
// Every method rejects with an Ec2Error (error-classes.ts). Creates carry a `purpose` from which the
// ClientToken is derived: the same purpose with the same parameters returns the same resource.
import type {
  AssociateTrunkInterfaceRequest,
  AttachNetworkInterfaceRequest,
  AttachNetworkInterfaceResult,
  CreateNetworkInterfacePermissionRequest,
  CreateNetworkInterfaceRequest,
  CreateTagsRequest,
  DeleteNetworkInterfaceRequest,
  DeleteTagsRequest,
  DescribeInstancesRequest,
  DescribeNetworkInterfacesRequest,
  DescribeSecurityGroupsRequest,
  DescribeSubnetsRequest,
  DescribeTrunkInterfaceAssociationsRequest,
  DetachNetworkInterfaceRequest,
  DisassociateTrunkInterfaceRequest,
  Instance,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  NetworkInterfacePermission,
  SecurityGroup,
  Subnet,
  TrunkInterfaceAssociation,
} from '@aws-sdk/client-ec2';
import type { PacingConfig, Priority } from './pacing-config.js';

export interface CallOptions {
  priority: Priority;
}

/** Creates must say what they are for: the ClientToken is derived from it. */
export interface CreateOptions extends CallOptions {
  /** e.g. ['branch', cluster, podUid, '0'] or ['trunk', cluster, instanceId, generation]. */
  purpose: readonly string[];
}

/** Optional idempotency for calls that accept a ClientToken but are safe without one. */
export interface TokenOptions extends CallOptions {
  purpose?: readonly string[];
}

export interface Ec2Api {
  // Reads: every page, as one list.
  describeInstances(input: DescribeInstancesRequest, opts: CallOptions): Promise<Instance[]>;
  describeSubnets(input: DescribeSubnetsRequest, opts: CallOptions): Promise<Subnet[]>;
  describeSecurityGroups(input: DescribeSecurityGroupsRequest, opts: CallOptions): Promise<SecurityGroup[]>;
  describeNetworkInterfaces(input: DescribeNetworkInterfacesRequest, opts: CallOptions): Promise<NetworkInterface[]>;
  describeTrunkInterfaceAssociations(input: DescribeTrunkInterfaceAssociationsRequest, opts: CallOptions): Promise<TrunkInterfaceAssociation[]>;
  // Mutations.
  createNetworkInterface(input: Omit<CreateNetworkInterfaceRequest, 'ClientToken'>, opts: CreateOptions): Promise<NetworkInterface>;
  attachNetworkInterface(input: AttachNetworkInterfaceRequest, opts: CallOptions): Promise<AttachNetworkInterfaceResult>;
  detachNetworkInterface(input: DetachNetworkInterfaceRequest, opts: CallOptions): Promise<void>;
  modifyNetworkInterfaceAttribute(input: ModifyNetworkInterfaceAttributeRequest, opts: CallOptions): Promise<void>;
  deleteNetworkInterface(input: DeleteNetworkInterfaceRequest, opts: CallOptions): Promise<void>;
  associateTrunkInterface(input: Omit<AssociateTrunkInterfaceRequest, 'ClientToken'>, opts: TokenOptions): Promise<TrunkInterfaceAssociation>;
  disassociateTrunkInterface(input: Omit<DisassociateTrunkInterfaceRequest, 'ClientToken'>, opts: TokenOptions): Promise<void>;
  createTags(input: CreateTagsRequest, opts: CallOptions): Promise<void>;
  deleteTags(input: DeleteTagsRequest, opts: CallOptions): Promise<void>;
  createNetworkInterfacePermission(input: CreateNetworkInterfacePermissionRequest, opts: CallOptions): Promise<NetworkInterfacePermission | undefined>;
}

/** The gateway's live pacing knobs (the CNI ConfigMap watcher changes them). */
export interface Ec2Pacing {
  currentConfig(): PacingConfig;
  reconfigure(config: PacingConfig): void;
}
