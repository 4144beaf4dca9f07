// The network half of the world: VPCs, subnets (with their address pools) and security groups,
// and the rules for using groups on an interface (exist, same VPC, within the per-interface quota).
import { AddressPool, cidrContains, cidrOverlaps, parseCidr } from './address-pool.js';
import { Ec2ErrorResponse, invalidParameterValue } from './errors.js';
import { isWellFormedId, type IdFactory } from './ids.js';
import { checkId, notFound, tagMap, validateTags, type TagInputs } from './world-errors.js';
import type { SecurityGroup, Subnet, Vpc } from './world-types.js';

export const HARD_MAX_GROUPS_PER_INTERFACE = 16;

export class Network {
  private readonly vpcs = new Map<string, Vpc>();
  private readonly subnets = new Map<string, Subnet>();
  private readonly groups = new Map<string, SecurityGroup>();

  constructor(
    private readonly ids: IdFactory,
    readonly region: string,
    private securityGroupsPerInterface: number,
  ) {}

  setSecurityGroupsPerInterface(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > HARD_MAX_GROUPS_PER_INTERFACE) {
      throw new Error(`security groups per interface must be 1..${HARD_MAX_GROUPS_PER_INTERFACE}`);
    }
    this.securityGroupsPerInterface = n;
  }

  requireVpc(id: string): Vpc {
    checkId('vpc', id);
    const v = this.vpcs.get(id);
    if (!v) throw notFound('vpc', [id]);
    return v;
  }

  requireSubnet(id: string): Subnet {
    checkId('subnet', id);
    const s = this.subnets.get(id);
    if (!s) throw notFound('subnet', [id]);
    return s;
  }

  requireGroup(id: string): SecurityGroup {
    checkId('sg', id);
    const g = this.groups.get(id);
    if (!g) throw notFound('sg', [id]);
    return g;
  }

  getVpc(id: string): Vpc | undefined {
    return this.vpcs.get(id);
  }
  getSubnet(id: string): Subnet | undefined {
    return this.subnets.get(id);
  }
  getGroup(id: string): SecurityGroup | undefined {
    return this.groups.get(id);
  }
  allVpcs(): IterableIterator<Vpc> {
    return this.vpcs.values();
  }
  allSubnets(): IterableIterator<Subnet> {
    return this.subnets.values();
  }
  allGroups(): IterableIterator<SecurityGroup> {
    return this.groups.values();
  }
  createVpc(cidrBlock: string, tags: TagInputs[] = [], isDefault = false): Vpc {
    const cidr = parseCidr(cidrBlock);
    if (cidr.prefix < 16 || cidr.prefix > 28) {
      throw new Ec2ErrorResponse('InvalidVpc.Range', `The CIDR '${cidrBlock}' is invalid.`);
    }
    validateTags(tags);
    const vpc: Vpc = { vpcId: this.ids.next('vpc'), cidrBlock, cidr, isDefault, tags: tagMap(tags) };
    this.vpcs.set(vpc.vpcId, vpc);
    // Every VPC comes with its default security group, as in EC2.
    this.addGroup('default', 'default VPC security group', vpc.vpcId, []);
    return vpc;
  }

  createSubnet(vpcId: string, cidrBlock: string, availabilityZone: string | undefined, tags: TagInputs[] = []): Subnet {
    const vpc = this.requireVpc(vpcId);
    const cidr = parseCidr(cidrBlock);
    if (cidr.prefix < 16 || cidr.prefix > 28 || !cidrContains(vpc.cidr, cidr)) {
      throw new Ec2ErrorResponse('InvalidSubnet.Range', `The CIDR '${cidrBlock}' is invalid.`);
    }
    for (const s of this.subnets.values()) {
      if (s.vpcId === vpcId && cidrOverlaps(s.cidr, cidr)) {
        throw new Ec2ErrorResponse('InvalidSubnet.Conflict', `The CIDR '${cidrBlock}' conflicts with another subnet`);
      }
    }
    const az = availabilityZone ?? `${this.region}a`;
    if (!az.startsWith(this.region) || !/^[a-z]$/.test(az.slice(this.region.length))) {
      throw invalidParameterValue(`Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${this.region}a, ${this.region}b, ${this.region}c.`);
    }
    validateTags(tags);
    const subnet: Subnet = {
      subnetId: this.ids.next('subnet'),
      vpcId,
      cidrBlock,
      cidr,
      availabilityZone: az,
      availabilityZoneId: `${regionShort(this.region)}-az${az.charCodeAt(az.length - 1) - 96}`,
      pool: new AddressPool(cidr),
      tags: tagMap(tags),
    };
    this.subnets.set(subnet.subnetId, subnet);
    return subnet;
  }

  createSecurityGroup(groupName: string, description: string, vpcId: string, tags: TagInputs[] = []): SecurityGroup {
    this.requireVpc(vpcId);
    if (groupName.length > 255 || description.length > 255) {
      throw invalidParameterValue('Security group name and description are limited to 255 characters');
    }
    if (groupName.toLowerCase().startsWith('sg-')) {
      throw invalidParameterValue(`Group names may not be in the format sg-*`);
    }
    for (const g of this.groups.values()) {
      if (g.vpcId === vpcId && g.groupName === groupName) {
        throw new Ec2ErrorResponse('InvalidGroup.Duplicate', `The security group '${groupName}' already exists for VPC '${vpcId}'`);
      }
    }
    validateTags(tags);
    return this.addGroup(groupName, description, vpcId, tags);
  }

  /**
   * Simulator only (no EC2 action does this): bring a group that exists in the user's real
   * account into the world under its real ID, so manifests written for that account work
   * unchanged in the sandbox. The ID must look like an EC2 group ID and be new.
   */
  importSecurityGroup(groupId: string, groupName: string, vpcId: string): SecurityGroup {
    this.requireVpc(vpcId);
    if (!isWellFormedId('sg', groupId)) throw invalidParameterValue(`Invalid security group ID: ${groupId}`);
    if (this.groups.has(groupId)) throw new Ec2ErrorResponse('InvalidGroup.Duplicate', `The security group '${groupId}' already exists`);
    const g: SecurityGroup = { groupId, groupName, description: `imported ${groupId}`, vpcId, tags: tagMap([]) };
    this.groups.set(groupId, g);
    return g;
  }

  private addGroup(groupName: string, description: string, vpcId: string, tags: TagInputs[]): SecurityGroup {
    const g: SecurityGroup = { groupId: this.ids.next('sg'), groupName, description, vpcId, tags: tagMap(tags) };
    this.groups.set(g.groupId, g);
    return g;
  }

  defaultGroupOf(vpcId: string): SecurityGroup | undefined {
    for (const g of this.groups.values()) if (g.vpcId === vpcId && g.groupName === 'default') return g;
    return undefined;
  }

  /** Validates a group list for an interface in `vpcId`: exists, same VPC, within quota. */
  resolveGroups(groupIds: readonly string[], vpcId: string, subnetId: string): string[] {
    const unique = [...new Set(groupIds)];
    for (const id of unique) checkId('sg', id);
    const missing = unique.filter((id) => !this.groups.has(id));
    if (missing.length > 0) throw notFound('sg', missing);
    for (const id of unique) {
      const g = this.groups.get(id) as SecurityGroup;
      if (g.vpcId !== vpcId) {
        throw new Ec2ErrorResponse('InvalidParameter', `Security group ${id} and subnet ${subnetId} belong to different networks.`);
      }
    }
    if (unique.length > this.securityGroupsPerInterface) {
      throw new Ec2ErrorResponse(
        'SecurityGroupsPerInterfaceLimitExceeded',
        `The maximum number of security groups per interface has been reached (${this.securityGroupsPerInterface}).`,
      );
    }
    return unique;
  }

}

function regionShort(region: string): string {
  // us-west-2 → usw2, the prefix EC2 uses for AZ IDs (usw2-az1).
  const [a = '', b = '', c = ''] = region.split('-');
  return `${a}${b.charAt(0)}${c}`;
}
