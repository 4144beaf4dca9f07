// A small in-memory EC2 behind the controller's Ec2Api, for unit tests of the reconcilers (no
// server, no SDK, no pacing). It keeps just enough state to answer the calls the controllers make
// the way EC2 does: ENIs with tags, groups and attachments, trunk associations with VLANs, subnets,
// instances; ClientToken idempotency (same purpose + same parameters → the same ENI, other
// parameters → IdempotentParameterMismatch); NotFound for unknown IDs. Failures are injected per
// action with `failNext`; every call is recorded in `calls`.
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
  Filter,
  Instance,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  NetworkInterfacePermission,
  SecurityGroup,
  Subnet,
  Tag,
  TrunkInterfaceAssociation,
} from '@aws-sdk/client-ec2';
import type { CallOptions, CreateOptions, Ec2Api, TokenOptions } from '../../../src/aws/ec2-api.js';
import { toEc2Error } from '../../../src/aws/error-classes.js';

export interface FakeCall {
  action: string;
  input: unknown;
  opts: TokenOptions;
}

export interface FakeInstance {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  subnetId: string;
  primaryGroups: string[];
  state?: string;
}

export class FakeEc2 implements Ec2Api {
  readonly calls: FakeCall[] = [];
  readonly enis = new Map<string, NetworkInterface>();
  readonly associations = new Map<string, TrunkInterfaceAssociation>();
  readonly subnets = new Map<string, Subnet>();
  readonly instances = new Map<string, FakeInstance>();
  /** Status a new attachment starts in ('attached' unless a test wants to see 'attaching'). */
  attachStatus: 'attaching' | 'attached' = 'attached';
  private readonly tokens = new Map<string, { params: string; eni: NetworkInterface }>();
  private readonly failures = new Map<string, string[]>();
  /** Failures that come after the call took effect (the answer is lost: a 500 or a reset connection). */
  private readonly lostAnswers = new Map<string, string[]>();
  /** AssociateTrunkInterface ClientTokens (purpose) → the first answer, replayed like EC2 does. */
  private readonly assocTokens = new Map<string, { params: string; assoc: TrunkInterfaceAssociation }>();
  private seq = 0;

  // ------------------------------------------------------------ set-up and inspection

  addSubnet(subnetId: string, cidr: string, availabilityZone = 'us-west-2a'): this {
    this.subnets.set(subnetId, { SubnetId: subnetId, CidrBlock: cidr, AvailabilityZone: availabilityZone });
    return this;
  }

  /** An instance with its primary ENI attached at device index 0. */
  addInstance(i: FakeInstance): this {
    this.instances.set(i.instanceId, i);
    const eniId = this.id('eni');
    this.enis.set(eniId, {
      NetworkInterfaceId: eniId,
      SubnetId: i.subnetId,
      InterfaceType: 'interface',
      Status: 'in-use',
      Groups: i.primaryGroups.map((g) => ({ GroupId: g })),
      Attachment: { AttachmentId: this.id('eni-attach'), InstanceId: i.instanceId, DeviceIndex: 0, NetworkCardIndex: 0, Status: 'attached', DeleteOnTermination: true },
      TagSet: [],
    });
    return this;
  }

  /** The next calls of `action` fail with these EC2 error codes, one per call, in order. */
  failNext(action: string, ...codes: string[]): this {
    this.failures.set(action, [...(this.failures.get(action) ?? []), ...codes]);
    return this;
  }

  /** The next calls of `action` take effect and then fail with these codes (the caller never sees the result). */
  loseAnswerNext(action: string, ...codes: string[]): this {
    this.lostAnswers.set(action, [...(this.lostAnswers.get(action) ?? []), ...codes]);
    return this;
  }

  count(action: string): number {
    return this.calls.filter((c) => c.action === action).length;
  }

  /** Branch ENIs (not trunks or primaries) that still exist. */
  branchEnis(): NetworkInterface[] {
    return [...this.enis.values()].filter((e) => e.InterfaceType !== 'trunk' && !e.Attachment);
  }

  // ------------------------------------------------------------ reads

  async describeInstances(input: DescribeInstancesRequest, opts: CallOptions): Promise<Instance[]> {
    await this.enter('DescribeInstances', input, opts);
    const ids = input.InstanceIds ?? [...this.instances.keys()];
    return ids.flatMap((id) => {
      const i = this.instances.get(id);
      if (!i) return [];
      const attached = [...this.enis.values()].filter((e) => e.Attachment?.InstanceId === id);
      return [
        {
          InstanceId: i.instanceId,
          InstanceType: i.instanceType as Instance['InstanceType'],
          State: { Name: (i.state ?? 'running') as 'running' },
          Placement: { AvailabilityZone: i.availabilityZone },
          SubnetId: i.subnetId,
          NetworkInterfaces: attached.map((e) => ({
            NetworkInterfaceId: e.NetworkInterfaceId,
            InterfaceType: e.InterfaceType,
            SubnetId: e.SubnetId,
            Groups: e.Groups?.map((g) => ({ GroupId: g.GroupId })),
            Attachment: { ...e.Attachment },
          })),
        },
      ];
    });
  }

  async describeSubnets(input: DescribeSubnetsRequest, opts: CallOptions): Promise<Subnet[]> {
    await this.enter('DescribeSubnets', input, opts);
    const ids = input.SubnetIds ?? [...this.subnets.keys()];
    const missing = ids.find((id) => !this.subnets.has(id));
    if (missing) throw this.error('DescribeSubnets', 'InvalidSubnetID.NotFound', `The subnet ID '${missing}' does not exist`);
    return ids.map((id) => ({ ...this.subnets.get(id) }));
  }

  async describeSecurityGroups(input: DescribeSecurityGroupsRequest, opts: CallOptions): Promise<SecurityGroup[]> {
    await this.enter('DescribeSecurityGroups', input, opts);
    return (input.GroupIds ?? []).map((g) => ({ GroupId: g }));
  }

  async describeNetworkInterfaces(input: DescribeNetworkInterfacesRequest, opts: CallOptions): Promise<NetworkInterface[]> {
    await this.enter('DescribeNetworkInterfaces', input, opts);
    if (input.NetworkInterfaceIds?.length) {
      const missing = input.NetworkInterfaceIds.find((id) => !this.enis.has(id));
      if (missing) throw this.error('DescribeNetworkInterfaces', 'InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${missing}' does not exist`);
    }
    return [...this.enis.values()]
      .filter((e) => !input.NetworkInterfaceIds?.length || input.NetworkInterfaceIds.includes(e.NetworkInterfaceId ?? ''))
      .filter((e) => (input.Filters ?? []).every((f) => matchesEni(e, f)))
      .map((e) => structuredClone(e));
  }

  async describeTrunkInterfaceAssociations(input: DescribeTrunkInterfaceAssociationsRequest, opts: CallOptions): Promise<TrunkInterfaceAssociation[]> {
    await this.enter('DescribeTrunkInterfaceAssociations', input, opts);
    return [...this.associations.values()]
      .filter((a) => !input.AssociationIds?.length || input.AssociationIds.includes(a.AssociationId ?? ''))
      .filter((a) =>
        (input.Filters ?? []).every((f) => {
          const v = f.Name === 'trunk-interface-association.branch-interface-id' ? a.BranchInterfaceId : f.Name === 'trunk-interface-association.trunk-interface-id' ? a.TrunkInterfaceId : undefined;
          return v !== undefined && (f.Values ?? []).includes(v);
        }),
      )
      .map((a) => ({ ...a }));
  }

  // ------------------------------------------------------------ mutations

  async createNetworkInterface(input: Omit<CreateNetworkInterfaceRequest, 'ClientToken'>, opts: CreateOptions): Promise<NetworkInterface> {
    await this.enter('CreateNetworkInterface', input, opts);
    const token = JSON.stringify(opts.purpose);
    const params = JSON.stringify(input);
    const earlier = this.tokens.get(token);
    if (earlier) {
      if (earlier.params !== params) throw this.error('CreateNetworkInterface', 'IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted or has different parameters');
      // EC2 answers a repeated token with the original response, even when the ENI is gone since.
      return structuredClone(earlier.eni);
    }
    if (!input.SubnetId || !this.subnets.has(input.SubnetId)) throw this.error('CreateNetworkInterface', 'InvalidSubnetID.NotFound', `The subnet ID '${input.SubnetId}' does not exist`);
    const n = ++this.seq;
    const eni: NetworkInterface = {
      NetworkInterfaceId: `eni-${String(n).padStart(8, '0')}`,
      SubnetId: input.SubnetId,
      Description: input.Description,
      InterfaceType: input.InterfaceType,
      Status: 'available',
      Groups: (input.Groups ?? []).map((g) => ({ GroupId: g })),
      MacAddress: `0a:00:00:00:${String(Math.floor(n / 100) % 100).padStart(2, '0')}:${String(n % 100).padStart(2, '0')}`,
      PrivateIpAddress: `10.0.${Math.floor(n / 250) % 250}.${(n % 250) + 4}`,
      TagSet: (input.TagSpecifications ?? []).flatMap((s) => s.Tags ?? []).map((t) => ({ ...t })),
    };
    this.enis.set(eni.NetworkInterfaceId as string, eni);
    this.tokens.set(token, { params, eni: structuredClone(eni) });
    this.leave('CreateNetworkInterface');
    return structuredClone(eni);
  }

  async attachNetworkInterface(input: AttachNetworkInterfaceRequest, opts: CallOptions): Promise<AttachNetworkInterfaceResult> {
    await this.enter('AttachNetworkInterface', input, opts);
    const eni = this.eni('AttachNetworkInterface', input.NetworkInterfaceId);
    if (!input.InstanceId || !this.instances.has(input.InstanceId)) throw this.error('AttachNetworkInterface', 'InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId}' does not exist`);
    const AttachmentId = this.id('eni-attach');
    eni.Attachment = { AttachmentId, InstanceId: input.InstanceId, DeviceIndex: input.DeviceIndex, NetworkCardIndex: input.NetworkCardIndex ?? 0, Status: this.attachStatus, DeleteOnTermination: false };
    eni.Status = 'in-use';
    this.leave('AttachNetworkInterface');
    return { AttachmentId };
  }

  async detachNetworkInterface(input: DetachNetworkInterfaceRequest, opts: CallOptions): Promise<void> {
    await this.enter('DetachNetworkInterface', input, opts);
    const eni = [...this.enis.values()].find((e) => e.Attachment?.AttachmentId === input.AttachmentId);
    if (!eni) throw this.error('DetachNetworkInterface', 'InvalidAttachmentID.NotFound', `The attachment ID '${input.AttachmentId}' does not exist`);
    delete eni.Attachment;
    eni.Status = 'available';
  }

  async modifyNetworkInterfaceAttribute(input: ModifyNetworkInterfaceAttributeRequest, opts: CallOptions): Promise<void> {
    await this.enter('ModifyNetworkInterfaceAttribute', input, opts);
    const eni = this.eni('ModifyNetworkInterfaceAttribute', input.NetworkInterfaceId);
    if (input.Groups) eni.Groups = input.Groups.map((g) => ({ GroupId: g }));
    if (input.Attachment?.DeleteOnTermination !== undefined && eni.Attachment) eni.Attachment.DeleteOnTermination = input.Attachment.DeleteOnTermination;
  }

  async deleteNetworkInterface(input: DeleteNetworkInterfaceRequest, opts: CallOptions): Promise<void> {
    await this.enter('DeleteNetworkInterface', input, opts);
    const eni = this.eni('DeleteNetworkInterface', input.NetworkInterfaceId);
    const associated = [...this.associations.values()].some((a) => a.BranchInterfaceId === eni.NetworkInterfaceId);
    if (eni.Attachment || associated) throw this.error('DeleteNetworkInterface', 'InvalidNetworkInterface.InUse', `Interface: [${eni.NetworkInterfaceId}] in use.`);
    this.enis.delete(eni.NetworkInterfaceId as string);
    this.leave('DeleteNetworkInterface');
  }

  async associateTrunkInterface(input: Omit<AssociateTrunkInterfaceRequest, 'ClientToken'>, opts: TokenOptions): Promise<TrunkInterfaceAssociation> {
    await this.enter('AssociateTrunkInterface', input, opts);
    // EC2 answers a repeated ClientToken with the first answer, whatever became of the association since.
    const token = opts.purpose ? JSON.stringify(opts.purpose) : undefined;
    const earlier = token ? this.assocTokens.get(token) : undefined;
    if (earlier) {
      if (earlier.params !== JSON.stringify(input)) throw this.error('AssociateTrunkInterface', 'IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that has different parameters');
      return { ...earlier.assoc };
    }
    this.eni('AssociateTrunkInterface', input.BranchInterfaceId);
    this.eni('AssociateTrunkInterface', input.TrunkInterfaceId);
    const taken = [...this.associations.values()].find((a) => a.TrunkInterfaceId === input.TrunkInterfaceId && a.VlanId === input.VlanId);
    if (taken) throw this.error('AssociateTrunkInterface', 'InvalidParameterValue', `VLAN ${input.VlanId} is already in use on ${input.TrunkInterfaceId}`);
    const a: TrunkInterfaceAssociation = { AssociationId: this.id('trunk-assoc'), BranchInterfaceId: input.BranchInterfaceId, TrunkInterfaceId: input.TrunkInterfaceId, VlanId: input.VlanId, InterfaceProtocol: 'VLAN' };
    this.associations.set(a.AssociationId as string, a);
    if (token) this.assocTokens.set(token, { params: JSON.stringify(input), assoc: { ...a } });
    this.leave('AssociateTrunkInterface');
    return { ...a };
  }

  async disassociateTrunkInterface(input: Omit<DisassociateTrunkInterfaceRequest, 'ClientToken'>, opts: TokenOptions): Promise<void> {
    await this.enter('DisassociateTrunkInterface', input, opts);
    if (!this.associations.delete(input.AssociationId ?? '')) throw this.error('DisassociateTrunkInterface', 'InvalidAssociationID.NotFound', `The association ID '${input.AssociationId}' does not exist`);
    this.leave('DisassociateTrunkInterface');
  }

  async createTags(input: CreateTagsRequest, opts: CallOptions): Promise<void> {
    await this.enter('CreateTags', input, opts);
    for (const id of input.Resources ?? []) {
      const eni = this.eni('CreateTags', id);
      const tags = new Map((eni.TagSet ?? []).map((t) => [t.Key, t.Value]));
      for (const t of input.Tags ?? []) tags.set(t.Key, t.Value);
      eni.TagSet = [...tags].map(([Key, Value]): Tag => ({ Key, Value }));
    }
  }

  async deleteTags(input: DeleteTagsRequest, opts: CallOptions): Promise<void> {
    await this.enter('DeleteTags', input, opts);
    const drop = new Set((input.Tags ?? []).map((t) => t.Key));
    for (const id of input.Resources ?? []) {
      const eni = this.eni('DeleteTags', id);
      eni.TagSet = (eni.TagSet ?? []).filter((t) => !drop.has(t.Key));
    }
  }

  async createNetworkInterfacePermission(input: CreateNetworkInterfacePermissionRequest, opts: CallOptions): Promise<NetworkInterfacePermission | undefined> {
    await this.enter('CreateNetworkInterfacePermission', input, opts);
    this.eni('CreateNetworkInterfacePermission', input.NetworkInterfaceId);
    return { NetworkInterfacePermissionId: this.id('eni-perm'), NetworkInterfaceId: input.NetworkInterfaceId, AwsAccountId: input.AwsAccountId, Permission: input.Permission };
  }

  // ------------------------------------------------------------ helpers

  /** Record the call, yield once as a network call would (concurrent reconciles interleave), then fail it if asked. */
  private async enter(action: string, input: unknown, opts: CallOptions): Promise<void> {
    this.calls.push({ action, input: structuredClone(input), opts });
    const queued = this.failures.get(action);
    const code = queued?.shift();
    if (queued && queued.length === 0) this.failures.delete(action);
    await Promise.resolve();
    if (code) throw this.error(action, code, `injected ${code}`);
  }

  /** After a call took effect: lose its answer if asked (loseAnswerNext). */
  private leave(action: string): void {
    const queued = this.lostAnswers.get(action);
    const code = queued?.shift();
    if (queued && queued.length === 0) this.lostAnswers.delete(action);
    if (code) throw this.error(action, code, `injected ${code} after the call took effect`);
  }

  private eni(action: string, id: string | undefined): NetworkInterface {
    const eni = id ? this.enis.get(id) : undefined;
    if (!eni) throw this.error(action, 'InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
    return eni;
  }

  private error(action: string, code: string, message: string): Error {
    return toEc2Error(action, { name: code, message, $metadata: { httpStatusCode: code.endsWith('NotFound') || code.startsWith('Invalid') ? 400 : 503 }, $fault: 'client' });
  }

  private id(prefix: string): string {
    return `${prefix}-${String(++this.seq).padStart(8, '0')}`;
  }
}

function matchesEni(e: NetworkInterface, f: Filter): boolean {
  const values = f.Values ?? [];
  const name = f.Name ?? '';
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (e.TagSet ?? []).some((t) => t.Key === key && values.includes(t.Value ?? ''));
  }
  if (name === 'tag-key') return (e.TagSet ?? []).some((t) => values.includes(t.Key ?? ''));
  if (name === 'description') return values.includes(e.Description ?? '');
  if (name === 'status') return values.includes(e.Status ?? '');
  if (name === 'subnet-id') return values.includes(e.SubnetId ?? '');
  if (name === 'attachment.instance-id') return values.includes(e.Attachment?.InstanceId ?? '');
  if (name === 'interface-type') return values.includes(e.InterfaceType ?? '');
  throw new Error(`FakeEc2: filter ${name} is not modelled; add it here`);
}
