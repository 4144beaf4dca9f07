// The local EC2's world: instances, ENIs and trunk associations with EC2's rules, on top of the
// network (VPCs, subnets, security groups: network.ts). Pure state and rules, no HTTP: the server
// turns requests into calls here and errors thrown here (Ec2ErrorResponse) into EC2's XML errors. Time is
// injected; pending transitions (attaching → attached, detaching → detached) complete lazily on the
// next access after their deadline, so the world needs no timers.
import { EniIndex } from './eni-index.js';
import { Ec2ErrorResponse, invalidParameterCombination, invalidParameterValue, missingParameter } from './errors.js';
import { IdFactory } from './ids.js';
import { instanceTypeCatalog, slotsOnCard, type InstanceTypeEntry, type InstanceTypeInfo } from './instance-types.js';
import { TrunkAssociations } from './trunk-associations.js';
import { Network } from './network.js';
import { checkId, MAX_TAGS_PER_RESOURCE, notFound, tagLimit, tagMap, validateTags, type ResourcePrefix, type TagInputs } from './world-errors.js';
import type {
  Attachment,
  Eni,
  EniCreationType,
  EniPermission,
  EniView,
  Instance,
  SecurityGroup,
  Subnet,
  Tags,
  TrunkAssociation,
  Vpc,
} from './world-types.js';

export const OWNER_ID = '111122223333';

export interface WorldOptions {
  region: string;
  /** Interface quota for security groups (EC2 default 5, hard maximum 16). */
  securityGroupsPerInterface: number;
  /** Real milliseconds an attachment stays `attaching` (and a detachment `detaching`). */
  attachDelayMs: () => number;
  /** Real milliseconds a new ENI stays invisible to describes. */
  consistencyDelayMs: () => number;
  now: () => number;
  idSeed?: number;
  /** Instance types added to (or replacing) the shipped catalog. */
  instanceTypes?: ReadonlyMap<string, InstanceTypeEntry>;
}

export interface CreateEniInput {
  subnetId: string;
  description?: string;
  groups?: string[];
  interfaceType?: string;
  privateIpAddress?: string;
  secondaryPrivateIpAddressCount?: number;
  tags?: TagInputs[];
}

export interface RunInstancesInput {
  imageId: string;
  instanceType: string;
  subnetId: string;
  groups?: string[];
  minCount: number;
  maxCount: number;
  tags?: TagInputs[];
  clientToken?: string;
}

export interface ModifyEniInput {
  groups?: string[];
  description?: string;
  sourceDestCheck?: boolean;
  attachment?: { attachmentId: string; deleteOnTermination: boolean };
}

export class World {
  readonly region: string;
  readonly ids: IdFactory;
  private readonly opts: WorldOptions;
  private readonly catalog: ReadonlyMap<string, InstanceTypeInfo>;
  private readonly network: Network;

  private readonly instances = new Map<string, Instance>();
  private readonly enis = new Map<string, Eni>();
  private readonly associations = new TrunkAssociations();
  private readonly permissions = new Map<string, EniPermission[]>(); // by ENI ID

  private readonly index = new EniIndex();
  private readonly pending = new Set<string>(); // ENIs with an attaching/detaching attachment
  private eniSeq = 0;

  constructor(opts: WorldOptions) {
    this.opts = opts;
    this.region = opts.region;
    this.ids = new IdFactory(opts.idSeed);
    this.catalog = instanceTypeCatalog(opts.instanceTypes);
    this.network = new Network(this.ids, opts.region, opts.securityGroupsPerInterface);
  }

  // ------------------------------------------------------------------ settings

  setSecurityGroupsPerInterface(n: number): void {
    this.network.setSecurityGroupsPerInterface(n);
  }

  instanceType(name: string): InstanceTypeInfo | undefined {
    return this.catalog.get(name);
  }

  instanceTypes(): IterableIterator<InstanceTypeInfo> {
    return this.catalog.values();
  }

  // ------------------------------------------------------------------ time

  /** Completes attachments and detachments whose delay has passed. Called before every request. */
  tick(): void {
    if (this.pending.size === 0) return;
    const now = this.opts.now();
    for (const id of this.pending) {
      const eni = this.enis.get(id);
      const att = eni?.attachment;
      if (!eni || !att) {
        this.pending.delete(id);
        continue;
      }
      if (att.settleAt > now) continue;
      this.pending.delete(id);
      if (att.status === 'attaching') att.status = 'attached';
      else if (att.status === 'detaching') this.finishDetach(eni);
    }
  }

  // ------------------------------------------------------------------ lookups (throwing EC2 errors)

  requireVpc(id: string): Vpc {
    return this.network.requireVpc(id);
  }

  requireSubnet(id: string): Subnet {
    return this.network.requireSubnet(id);
  }

  requireGroup(id: string): SecurityGroup {
    return this.network.requireGroup(id);
  }

  requireInstance(id: string): Instance {
    checkId('i', id);
    const i = this.instances.get(id);
    if (!i) throw notFound('i', [id]);
    return i;
  }

  /** An ENI by ID; `forDescribe` hides ENIs still inside the consistency delay. */
  requireEni(id: string, forDescribe = false): Eni {
    checkId('eni', id);
    const e = this.enis.get(id);
    if (!e || (forDescribe && e.visibleAt > this.opts.now())) throw notFound('eni', [id]);
    return e;
  }

  requireAssociation(id: string): TrunkAssociation {
    const a = this.associations.get(id);
    if (!a) throw new Ec2ErrorResponse('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
    return a;
  }

  /** Looks up many IDs at once, reporting every missing one in a single error as EC2 does. */
  requireMany<T>(prefix: ResourcePrefix, ids: readonly string[], get: (id: string) => T | undefined): T[] {
    const out: T[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      checkId(prefix, id);
      const r = get(id);
      if (r === undefined) missing.push(id);
      else out.push(r);
    }
    if (missing.length > 0) throw notFound(prefix, missing);
    return out;
  }

  getVpc(id: string): Vpc | undefined {
    return this.network.getVpc(id);
  }
  getSubnet(id: string): Subnet | undefined {
    return this.network.getSubnet(id);
  }
  getGroup(id: string): SecurityGroup | undefined {
    return this.network.getGroup(id);
  }
  getInstance(id: string): Instance | undefined {
    return this.instances.get(id);
  }
  /** An ENI by ID (pending attachments settled first, so tests read the current state). */
  getEni(id: string): Eni | undefined {
    this.tick();
    return this.enis.get(id);
  }
  /** An ENI by ID as of the last tick, for handlers (the server ticks once per request). */
  eniById(id: string): Eni | undefined {
    return this.enis.get(id);
  }
  getAssociation(id: string): TrunkAssociation | undefined {
    return this.associations.get(id);
  }

  // ------------------------------------------------------------------ collections (read-only views)

  allVpcs(): IterableIterator<Vpc> {
    return this.network.allVpcs();
  }
  allSubnets(): IterableIterator<Subnet> {
    return this.network.allSubnets();
  }
  allGroups(): IterableIterator<SecurityGroup> {
    return this.network.allGroups();
  }
  allInstances(): IterableIterator<Instance> {
    return this.instances.values();
  }
  allAssociations(): IterableIterator<TrunkAssociation> {
    return this.associations.values();
  }
  /** Every ENI in creation order, including ones not yet visible to describes. */
  allEnis(): IterableIterator<Eni> {
    return this.enis.values();
  }
  get eniCount(): number {
    return this.enis.size;
  }

  /** Whether describes show an ENI, judged at one instant read once (the clock costs ~0.1 µs a read). */
  visibleNow(): (eni: Eni) => boolean {
    const now = this.opts.now();
    return (eni) => eni.visibleAt <= now;
  }

  /** Candidate ENI IDs from an index, for filters that have one; undefined = scan everything. */
  eniIdsBySubnet(subnetId: string): ReadonlySet<string> | undefined {
    return this.index.inSubnet(subnetId);
  }
  eniIdsByInstance(instanceId: string): ReadonlySet<string> | undefined {
    return this.index.attachedTo(instanceId);
  }
  eniIdsByTag(key: string, value: string): ReadonlySet<string> | undefined {
    return this.index.withTag(key, value);
  }
  eniIdsByTagKey(key: string): ReadonlySet<string> | undefined {
    return this.index.withTagKey(key);
  }

  /** What describes report as the ENI's type. */
  interfaceTypeOf(eni: Eni): string {
    return eni.branchAssociationId ? 'branch' : eni.createdType;
  }

  /** A plain snapshot of one ENI for invariant checks in tests. */
  viewEni(eni: Eni): EniView {
    const v: EniView = {
      networkInterfaceId: eni.networkInterfaceId,
      interfaceType: this.interfaceTypeOf(eni),
      status: eni.status,
      subnetId: eni.subnetId,
      vpcId: eni.vpcId,
      availabilityZone: eni.availabilityZone,
      privateIpAddress: eni.privateIpAddress,
      groups: [...eni.groups],
      tags: Object.fromEntries(eni.tags),
    };
    if (eni.attachment) {
      const a = eni.attachment;
      v.attachment = {
        attachmentId: a.attachmentId,
        instanceId: a.instanceId,
        deviceIndex: a.deviceIndex,
        networkCardIndex: a.networkCardIndex,
        status: a.status,
        deleteOnTermination: a.deleteOnTermination,
      };
    }
    if (eni.branchAssociationId) v.trunkAssociationId = eni.branchAssociationId;
    return v;
  }

  /** Every ENI as a snapshot (pending transitions settled first). */
  listEnis(): EniView[] {
    this.tick();
    return [...this.enis.values()].map((e) => this.viewEni(e));
  }

  /** Every trunk association as a snapshot. */
  listTrunkAssociations(): { associationId: string; trunkInterfaceId: string; branchInterfaceId: string; vlanId: number }[] {
    return [...this.associations.values()].map((a) => ({
      associationId: a.associationId,
      trunkInterfaceId: a.trunkInterfaceId,
      branchInterfaceId: a.branchInterfaceId,
      vlanId: a.vlanId,
    }));
  }

  /** VLAN IDs in use per trunk ENI. */
  vlansByTrunk(): Map<string, number[]> {
    return this.associations.vlansByTrunk();
  }

  // ------------------------------------------------------------------ VPCs, subnets, groups

  createVpc(cidrBlock: string, tags: TagInputs[] = [], isDefault = false): Vpc {
    return this.network.createVpc(cidrBlock, tags, isDefault);
  }

  createSubnet(vpcId: string, cidrBlock: string, availabilityZone: string | undefined, tags: TagInputs[] = []): Subnet {
    return this.network.createSubnet(vpcId, cidrBlock, availabilityZone, tags);
  }

  createSecurityGroup(groupName: string, description: string, vpcId: string, tags: TagInputs[] = []): SecurityGroup {
    return this.network.createSecurityGroup(groupName, description, vpcId, tags);
  }

  importSecurityGroup(groupId: string, groupName: string, vpcId: string): SecurityGroup {
    return this.network.importSecurityGroup(groupId, groupName, vpcId);
  }

  defaultGroupOf(vpcId: string): SecurityGroup | undefined {
    return this.network.defaultGroupOf(vpcId);
  }

  /** The groups of an interface created in `subnet`: the given ones, or the VPC's default group; validated. */
  private groupsForNewInterface(given: readonly string[] | undefined, subnet: Subnet): string[] {
    const groupIds = given?.length ? given : [this.defaultGroupOf(subnet.vpcId)?.groupId ?? ''];
    return this.network.resolveGroups(groupIds, subnet.vpcId, subnet.subnetId);
  }

  // ------------------------------------------------------------------ instances

  runInstances(input: RunInstancesInput): Instance[] {
    if (!input.imageId) throw missingParameter('ImageId');
    if (!/^ami-[0-9a-f]{8,17}$/.test(input.imageId)) {
      throw new Ec2ErrorResponse('InvalidAMIID.Malformed', `Invalid id: "${input.imageId}" (expecting "ami-...")`);
    }
    const info = this.catalog.get(input.instanceType);
    if (!info) throw invalidParameterValue(`Invalid value '${input.instanceType}' for InstanceType.`);
    if (input.minCount < 1 || input.maxCount < input.minCount) {
      throw invalidParameterValue('MinCount must be at least 1 and MaxCount at least MinCount');
    }
    if (input.maxCount > 100) throw new Ec2ErrorResponse('InstanceLimitExceeded', 'You have requested more instances (' + input.maxCount + ') than your current instance limit of 100 allows.');
    const subnet = this.requireSubnet(input.subnetId);
    const groups = this.groupsForNewInterface(input.groups, subnet);
    validateTags(input.tags ?? []);
    const count = Math.min(input.maxCount, subnet.pool.available);
    if (count < input.minCount) {
      throw new Ec2ErrorResponse(
        'InsufficientFreeAddressesInSubnet',
        `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`,
      );
    }
    const reservationId = this.ids.next('r');
    const out: Instance[] = [];
    const now = new Date();
    for (let n = 0; n < count; n++) {
      const instanceId = this.ids.next('i');
      const eni = this.newEni(subnet, groups, 'interface', `Primary network interface`, undefined, 0, []);
      const inst: Instance = {
        instanceId,
        reservationId,
        imageId: input.imageId,
        instanceType: input.instanceType,
        info,
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        state: 'running',
        launchTime: now,
        privateIpAddress: eni.privateIpAddress,
        groups,
        tags: tagMap(input.tags ?? []),
        amiLaunchIndex: n,
        clientToken: input.clientToken,
      };
      this.instances.set(instanceId, inst);
      // The primary interface is attached at launch, already complete.
      this.setAttachment(eni, {
        attachmentId: this.ids.next('eni-attach'),
        instanceId,
        deviceIndex: 0,
        networkCardIndex: info.defaultNetworkCardIndex,
        status: 'attached',
        attachTime: now,
        deleteOnTermination: true,
        settleAt: 0,
      });
      out.push(inst);
    }
    return out;
  }

  /** Terminates instances: deletes their DeleteOnTermination ENIs (and trunk associations), detaches the rest. */
  terminateInstances(ids: readonly string[]): { instance: Instance; previous: Instance['state'] }[] {
    if (ids.length === 0) throw missingParameter('InstanceId');
    const instances = this.requireMany('i', ids, (id) => this.instances.get(id));
    this.tick();
    const out: { instance: Instance; previous: Instance['state'] }[] = [];
    for (const inst of instances) {
      const previous = inst.state;
      if (inst.state !== 'terminated') {
        inst.state = 'terminated';
        for (const eniId of [...(this.index.attachedTo(inst.instanceId) ?? [])]) {
          const eni = this.enis.get(eniId);
          if (!eni?.attachment) continue;
          if (eni.attachment.deleteOnTermination) {
            this.dropTrunkAssociations(eni.networkInterfaceId);
            this.finishDetach(eni);
            this.removeEni(eni);
          } else {
            this.finishDetach(eni);
          }
        }
      }
      out.push({ instance: inst, previous });
    }
    return out;
  }

  /** Interfaces attached to an instance (any attachment state), by device index. */
  enisOfInstance(instanceId: string): Eni[] {
    const ids = this.index.attachedTo(instanceId);
    if (!ids) return [];
    return [...ids]
      .map((id) => this.enis.get(id) as Eni)
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
  }

  // ------------------------------------------------------------------ ENIs

  createNetworkInterface(input: CreateEniInput): Eni {
    const subnet = this.requireSubnet(input.subnetId);
    const type = (input.interfaceType ?? 'interface') as EniCreationType;
    if (!['interface', 'trunk', 'efa', 'efa-only'].includes(type)) {
      throw invalidParameterValue(`Value (${input.interfaceType}) for parameter interfaceType is invalid. Valid values: efa | efa-only | trunk`);
    }
    const groups = this.groupsForNewInterface(input.groups, subnet);
    const description = input.description ?? '';
    if (description.length > 255) throw invalidParameterValue('Description is limited to 255 characters');
    const secondary = input.secondaryPrivateIpAddressCount ?? 0;
    if (secondary < 0 || secondary > 49) throw invalidParameterValue(`Invalid value '${secondary}' for SecondaryPrivateIpAddressCount`);
    const tags = input.tags ?? [];
    validateTags(tags);
    if (tags.length > MAX_TAGS_PER_RESOURCE) throw tagLimit();
    return this.newEni(subnet, groups, type, description, input.privateIpAddress, secondary, tags);
  }

  private newEni(
    subnet: Subnet,
    groups: string[],
    type: EniCreationType,
    description: string,
    privateIp: string | undefined,
    secondaryCount: number,
    tags: TagInputs[],
  ): Eni {
    const needed = 1 + secondaryCount;
    if (subnet.pool.available < needed) {
      throw new Ec2ErrorResponse(
        'InsufficientFreeAddressesInSubnet',
        `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of private IP addresses.`,
      );
    }
    let primary: string;
    if (privateIp !== undefined) {
      const r = subnet.pool.allocateSpecific(privateIp);
      if (!r.ok) {
        if (r.reason === 'in-use') throw new Ec2ErrorResponse('InvalidIPAddress.InUse', `The specified address ${privateIp} is already in use.`);
        throw invalidParameterValue(`Address ${privateIp} does not fall within the subnet's address range or is reserved`);
      }
      primary = privateIp;
    } else {
      primary = subnet.pool.allocate() as string;
    }
    const secondaries: string[] = [];
    for (let i = 0; i < secondaryCount; i++) secondaries.push(subnet.pool.allocate() as string);
    const now = this.opts.now();
    const eni: Eni = {
      networkInterfaceId: this.ids.next('eni'),
      seq: ++this.eniSeq,
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      description,
      createdType: type,
      groups,
      privateIpAddress: primary,
      secondaryPrivateIps: secondaries,
      macAddress: this.ids.mac(),
      tags: new Map(),
      status: 'available',
      attachment: undefined,
      sourceDestCheck: true,
      branchAssociationId: undefined,
      visibleAt: now + this.opts.consistencyDelayMs(),
      createdAt: new Date(),
    };
    this.enis.set(eni.networkInterfaceId, eni);
    this.index.created(eni.networkInterfaceId, eni.subnetId);
    for (const t of tags) this.setEniTag(eni, t.key, t.value ?? '');
    return eni;
  }

  deleteNetworkInterface(id: string): void {
    this.tick();
    const eni = this.requireEni(id);
    if (eni.attachment) {
      throw new Ec2ErrorResponse('InvalidNetworkInterface.InUse', `The network interface '${id}' is currently in use.`);
    }
    if (eni.branchAssociationId) {
      throw new Ec2ErrorResponse(
        'InvalidNetworkInterface.InUse',
        `The network interface '${id}' is currently in use: it is associated with a trunk interface (${eni.branchAssociationId}).`,
      );
    }
    if (this.associations.vlansOf(id)?.size) {
      throw new Ec2ErrorResponse(
        'InvalidNetworkInterface.InUse',
        `The network interface '${id}' is currently in use: trunk interface still has branch associations.`,
      );
    }
    this.removeEni(eni);
  }

  private removeEni(eni: Eni): void {
    const subnet = this.network.getSubnet(eni.subnetId);
    subnet?.pool.release(eni.privateIpAddress);
    for (const ip of eni.secondaryPrivateIps) subnet?.pool.release(ip);
    for (const [k, v] of eni.tags) this.unindexTag(eni, k, v);
    this.index.deleted(eni.networkInterfaceId, eni.subnetId);
    this.pending.delete(eni.networkInterfaceId);
    this.permissions.delete(eni.networkInterfaceId);
    this.enis.delete(eni.networkInterfaceId);
  }

  attachNetworkInterface(eniId: string, instanceId: string, deviceIndex: number, networkCardIndex?: number): Attachment {
    this.tick();
    const eni = this.requireEni(eniId);
    const inst = this.requireInstance(instanceId);
    if (inst.state !== 'running') {
      throw new Ec2ErrorResponse('IncorrectInstanceState', `The instance '${instanceId}' is not in a state from which it can be attached to.`);
    }
    if (eni.attachment || eni.branchAssociationId) {
      throw new Ec2ErrorResponse('InvalidNetworkInterface.InUse', `Interface: [${eniId}] in use.`);
    }
    if (eni.availabilityZone !== inst.availabilityZone) {
      throw invalidParameterCombination(
        `You may not attach a network interface to an instance if they are not in the same availability zone`,
      );
    }
    if (eni.createdType === 'trunk' && !inst.info.trunkCompatible) {
      throw new Ec2ErrorResponse(
        'UnsupportedOperation',
        `The instance type '${inst.instanceType}' does not support trunk network interfaces.`,
      );
    }
    const card = networkCardIndex ?? inst.info.defaultNetworkCardIndex;
    const slots = slotsOnCard(inst.info, card);
    if (slots === 0) throw invalidParameterValue(`Invalid value '${card}' for NetworkCardIndex: the instance type '${inst.instanceType}' has no such network card`);
    const onCard = this.enisOfInstance(instanceId).filter((e) => e.attachment?.networkCardIndex === card);
    if (onCard.length >= slots) {
      throw new Ec2ErrorResponse(
        'AttachmentLimitExceeded',
        `Interface count ${onCard.length + 1} exceeds the limit for ${inst.instanceType}`,
      );
    }
    if (deviceIndex < 0 || deviceIndex >= slots) {
      throw invalidParameterValue(
        `Invalid value '${deviceIndex}' for DeviceIndex: ${inst.instanceType} supports device indexes 0..${slots - 1} on network card ${card}`,
      );
    }
    if (onCard.some((e) => e.attachment?.deviceIndex === deviceIndex)) {
      throw invalidParameterValue(`Instance '${instanceId}' already has an interface attached at device index '${deviceIndex}'.`);
    }
    const delay = this.opts.attachDelayMs();
    const att: Attachment = {
      attachmentId: this.ids.next('eni-attach'),
      instanceId,
      deviceIndex,
      networkCardIndex: card,
      status: delay > 0 ? 'attaching' : 'attached',
      attachTime: new Date(),
      deleteOnTermination: false,
      settleAt: this.opts.now() + delay,
    };
    this.setAttachment(eni, att);
    if (delay > 0) this.pending.add(eniId);
    return att;
  }

  private setAttachment(eni: Eni, att: Attachment): void {
    eni.attachment = att;
    eni.status = 'in-use';
    this.index.attached(eni.networkInterfaceId, att.instanceId, att.attachmentId);
  }

  private finishDetach(eni: Eni): void {
    const att = eni.attachment;
    if (!att) return;
    this.index.detached(eni.networkInterfaceId, att.instanceId, att.attachmentId);
    this.pending.delete(eni.networkInterfaceId);
    eni.attachment = undefined;
    eni.status = eni.branchAssociationId ? 'in-use' : 'available';
  }

  detachNetworkInterface(attachmentId: string, force = false): void {
    this.tick();
    const eniId = this.index.eniOfAttachment(attachmentId);
    const eni = eniId ? this.enis.get(eniId) : undefined;
    if (!eni?.attachment) {
      throw new Ec2ErrorResponse('InvalidAttachmentID.NotFound', `The attachment ID '${attachmentId}' does not exist`);
    }
    const att = eni.attachment;
    if (att.deviceIndex === 0) {
      throw new Ec2ErrorResponse('OperationNotPermitted', 'The network interface at device index 0 cannot be detached.');
    }
    if (att.status === 'detaching' && !force) return;
    const delay = force ? 0 : this.opts.attachDelayMs();
    if (delay <= 0) {
      this.finishDetach(eni);
      return;
    }
    att.status = 'detaching';
    att.settleAt = this.opts.now() + delay;
    this.pending.add(eni.networkInterfaceId);
  }

  modifyNetworkInterfaceAttribute(eniId: string, input: ModifyEniInput): void {
    this.tick();
    const eni = this.requireEni(eniId);
    const changes =
      (input.groups ? 1 : 0) + (input.description !== undefined ? 1 : 0) + (input.sourceDestCheck !== undefined ? 1 : 0) + (input.attachment ? 1 : 0);
    if (changes === 0) throw missingParameter('an attribute to modify (SecurityGroupId, Attachment, Description or SourceDestCheck)');
    // Validate everything before changing anything, so a rejected call leaves the ENI untouched.
    const groups = input.groups ? this.network.resolveGroups(input.groups, eni.vpcId, eni.subnetId) : undefined;
    if (input.attachment) {
      if (!eni.attachment || eni.attachment.attachmentId !== input.attachment.attachmentId) {
        throw new Ec2ErrorResponse('InvalidAttachmentID.NotFound', `The attachment ID '${input.attachment.attachmentId}' does not exist`);
      }
    }
    if (input.description !== undefined && input.description.length > 255) {
      throw invalidParameterValue('Description is limited to 255 characters');
    }
    if (groups) eni.groups = groups;
    if (input.description !== undefined) eni.description = input.description;
    if (input.sourceDestCheck !== undefined) eni.sourceDestCheck = input.sourceDestCheck;
    if (input.attachment && eni.attachment) eni.attachment.deleteOnTermination = input.attachment.deleteOnTermination;
  }

  createNetworkInterfacePermission(
    eniId: string,
    awsAccountId: string | undefined,
    awsService: string | undefined,
    permission: string,
  ): EniPermission {
    const eni = this.requireEni(eniId);
    if (permission !== 'INSTANCE-ATTACH' && permission !== 'EIP-ASSOCIATE') {
      throw invalidParameterValue(`Value (${permission}) for parameter permission is invalid. Valid values: INSTANCE-ATTACH | EIP-ASSOCIATE`);
    }
    if ((awsAccountId === undefined) === (awsService === undefined)) {
      throw invalidParameterCombination('Specify exactly one of AwsAccountId and AwsService');
    }
    if (awsAccountId !== undefined && !/^\d{12}$/.test(awsAccountId)) {
      throw invalidParameterValue(`Value (${awsAccountId}) for parameter awsAccountId is invalid. It must be a 12-digit account ID.`);
    }
    const p: EniPermission = {
      networkInterfacePermissionId: this.ids.next('eni-perm'),
      networkInterfaceId: eni.networkInterfaceId,
      awsAccountId,
      awsService,
      permission,
    };
    const held = this.permissions.get(p.networkInterfaceId);
    if (held) held.push(p);
    else this.permissions.set(p.networkInterfaceId, [p]);
    return p;
  }

  // ------------------------------------------------------------------ trunking

  associateTrunkInterface(branchId: string, trunkId: string, vlanId: number): TrunkAssociation {
    this.tick();
    const trunk = this.requireEni(trunkId);
    const branch = this.requireEni(branchId);
    if (trunk.createdType !== 'trunk') {
      throw invalidParameterValue(`The network interface '${trunkId}' is not a trunk network interface.`);
    }
    if (branch.createdType !== 'interface') {
      throw invalidParameterValue(`The network interface '${branchId}' cannot be used as a branch network interface.`);
    }
    const att = trunk.attachment;
    if (!att || att.status !== 'attached') {
      throw new Ec2ErrorResponse('IncorrectState', `The trunk network interface '${trunkId}' is not attached to an instance.`);
    }
    if (branch.branchAssociationId) {
      throw new Ec2ErrorResponse(
        'InvalidNetworkInterface.InUse',
        `The network interface '${branchId}' is already associated with a trunk (${branch.branchAssociationId}).`,
      );
    }
    if (branch.status !== 'available') {
      throw new Ec2ErrorResponse('InvalidNetworkInterface.InUse', `The network interface '${branchId}' is not available: it is ${branch.status}.`);
    }
    if (branch.vpcId !== trunk.vpcId || branch.availabilityZone !== trunk.availabilityZone) {
      throw invalidParameterCombination(
        `The branch network interface '${branchId}' and trunk '${trunkId}' must be in the same VPC and availability zone.`,
      );
    }
    if (!Number.isInteger(vlanId) || vlanId < 1 || vlanId > 4094) {
      throw invalidParameterValue(`Value (${vlanId}) for parameter VlanId is invalid. It must be between 1 and 4094.`);
    }
    const vlans = this.associations.vlansOf(trunkId);
    if (vlans?.has(vlanId)) {
      throw invalidParameterValue(`VLAN ID ${vlanId} is already in use on trunk network interface '${trunkId}' (${vlans.get(vlanId)}).`);
    }
    const inst = this.instances.get(att.instanceId) as Instance;
    const limit = inst.info.branchInterfaces;
    if ((vlans?.size ?? 0) >= limit) {
      throw new Ec2ErrorResponse(
        'AttachmentLimitExceeded',
        `The trunk network interface '${trunkId}' has reached the branch interface limit (${limit}) for instance type ${inst.instanceType}.`,
      );
    }
    const assoc = this.associations.add(this.ids.next('trunk-assoc'), trunkId, branchId, vlanId);
    branch.branchAssociationId = assoc.associationId;
    branch.status = 'in-use';
    return assoc;
  }

  disassociateTrunkInterface(associationId: string): void {
    const assoc = this.requireAssociation(associationId);
    this.removeAssociation(assoc);
  }

  private removeAssociation(assoc: TrunkAssociation): void {
    this.associations.remove(assoc);
    const branch = this.enis.get(assoc.branchInterfaceId);
    if (branch) {
      branch.branchAssociationId = undefined;
      branch.status = branch.attachment ? 'in-use' : 'available';
    }
  }

  /** Removes every association in which this ENI is the trunk or the branch. */
  private dropTrunkAssociations(eniId: string): void {
    const vlans = this.associations.vlansOf(eniId);
    if (vlans) for (const aid of [...vlans.values()]) this.removeAssociation(this.associations.get(aid) as TrunkAssociation);
    const eni = this.enis.get(eniId);
    if (eni?.branchAssociationId) {
      const a = this.associations.get(eni.branchAssociationId);
      if (a) this.removeAssociation(a);
    }
  }

  // ------------------------------------------------------------------ tags

  private taggable(id: string): { tags: Tags; eni?: Eni } {
    const dash = id.lastIndexOf('-');
    const prefix = dash > 0 ? id.slice(0, dash) : '';
    const lookups: Record<string, () => { tags: Tags; eni?: Eni } | undefined> = {
      eni: () => {
        const e = this.requireEni(id);
        return { tags: e.tags, eni: e };
      },
      sg: () => ({ tags: this.requireGroup(id).tags }),
      subnet: () => ({ tags: this.requireSubnet(id).tags }),
      vpc: () => ({ tags: this.requireVpc(id).tags }),
      i: () => ({ tags: this.requireInstance(id).tags }),
      'trunk-assoc': () => ({ tags: this.requireAssociation(id).tags }),
    };
    const r = lookups[prefix]?.();
    if (!r) throw new Ec2ErrorResponse('InvalidID', `The ID '${id}' is not valid`);
    return r;
  }

  createTags(resourceIds: readonly string[], tags: readonly TagInputs[]): void {
    if (resourceIds.length === 0) throw missingParameter('ResourceId');
    if (tags.length === 0) throw missingParameter('Tag');
    validateTags(tags);
    const targets = resourceIds.map((id) => this.taggable(id));
    for (const t of targets) {
      const newKeys = tags.filter((tag) => !t.tags.has(tag.key)).length;
      if (t.tags.size + newKeys > MAX_TAGS_PER_RESOURCE) throw tagLimit();
    }
    for (const t of targets) {
      for (const tag of tags) {
        if (t.eni) this.setEniTag(t.eni, tag.key, tag.value ?? '');
        else t.tags.set(tag.key, tag.value ?? '');
      }
    }
  }

  /** Deletes tags; a tag given with a value is deleted only when the value matches, as in EC2. */
  deleteTags(resourceIds: readonly string[], tags: readonly TagInputs[]): void {
    if (resourceIds.length === 0) throw missingParameter('ResourceId');
    validateTags(tags, false);
    const targets = resourceIds.map((id) => this.taggable(id));
    for (const t of targets) {
      const keys = tags.length === 0 ? [...t.tags.keys()].map((key) => ({ key, value: undefined })) : tags;
      for (const tag of keys) {
        const cur = t.tags.get(tag.key);
        if (cur === undefined || (tag.value !== undefined && tag.value !== cur)) continue;
        if (t.eni) this.unindexTag(t.eni, tag.key, cur);
        t.tags.delete(tag.key);
      }
    }
  }

  private setEniTag(eni: Eni, key: string, value: string): void {
    const old = eni.tags.get(key);
    if (old !== undefined) this.unindexTag(eni, key, old);
    eni.tags.set(key, value);
    this.index.tagged(eni.networkInterfaceId, key, value);
  }

  private unindexTag(eni: Eni, key: string, value: string): void {
    this.index.untagged(eni.networkInterfaceId, key, value);
  }
}
