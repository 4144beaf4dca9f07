// Subnet facts the node reconciler needs (CIDRs for the pod side, the zone to check a trunk's
// subnet against its instance). Subnet CIDRs never change: one DescribeSubnets per subnet,
// shared by concurrent reconciles; a failed lookup is not remembered.
import type { Ec2Api } from '../../aws/ec2-api.js';
import { toEc2Error } from '../../aws/error-classes.js';

export interface SubnetInfo {
  subnetId: string;
  cidr: string;
  v6Cidr?: string;
  availabilityZone: string;
}

export class SubnetCache {
  private readonly subnets = new Map<string, Promise<SubnetInfo>>();

  constructor(private readonly ec2: Pick<Ec2Api, 'describeSubnets'>) {}

  get(subnetId: string): Promise<SubnetInfo> {
    let p = this.subnets.get(subnetId);
    if (!p) {
      p = this.lookup(subnetId);
      // A failed lookup is not remembered: the next reconcile asks again.
      p.catch(() => this.subnets.delete(subnetId));
      this.subnets.set(subnetId, p);
    }
    return p;
  }

  private async lookup(subnetId: string): Promise<SubnetInfo> {
    const found = await this.ec2.describeSubnets({ SubnetIds: [subnetId] }, { priority: 'trunk' });
    const s = found.find((x) => x.SubnetId === subnetId);
    if (!s?.CidrBlock || !s.AvailabilityZone) throw toEc2Error('DescribeSubnets', { name: 'InvalidSubnetID.NotFound', message: `The subnet ID '${subnetId}' does not exist` });
    const v6 = s.Ipv6CidrBlockAssociationSet?.find((a) => a.Ipv6CidrBlockState?.State === 'associated')?.Ipv6CidrBlock;
    return { subnetId, cidr: s.CidrBlock, availabilityZone: s.AvailabilityZone, ...(v6 ? { v6Cidr: v6 } : {}) };
  }
}
