// The world the local EC2 starts with unless told otherwise: one VPC (10.0.0.0/16), its default
// security group, and one /19 subnet in each of three availability zones (8,187 usable addresses
// each, so thousands of pods fit). A scale run may ask for /18 subnets (16,379 each): 5,000 nodes
// with a trunk each and 20,000 branch ENIs need more than three /19s hold.
import type { World } from './world.js';
import type { SecurityGroup, Subnet, Vpc } from './world-types.js';

export interface DefaultWorld {
  vpc: Vpc;
  subnets: Subnet[];
  defaultSecurityGroup: SecurityGroup;
}

export const DEFAULT_VPC_CIDR = '10.0.0.0/16';
export const DEFAULT_SUBNET_CIDRS = ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'] as const;

/** Three subnets of the given prefix length at the start of 10.0.0.0/16 (18 or 19: three must fit). */
export function defaultSubnetCidrs(prefix: number): string[] {
  if (prefix !== 18 && prefix !== 19) throw new Error(`default subnet prefix must be 18 or 19, got ${prefix}`);
  const step = 2 ** (32 - prefix) / 256;
  return [0, 1, 2].map((i) => `10.0.${i * step}.0/${prefix}`);
}

export function seedDefaultWorld(world: World, subnetPrefix = 19): DefaultWorld {
  const vpc = world.createVpc(DEFAULT_VPC_CIDR, [{ key: 'Name', value: 'vpcrc-sandbox' }], true);
  const cidrs = subnetPrefix === 19 ? DEFAULT_SUBNET_CIDRS : defaultSubnetCidrs(subnetPrefix);
  const subnets = cidrs.map((cidr, i) =>
    world.createSubnet(vpc.vpcId, cidr, `${world.region}${'abc'[i] ?? 'a'}`, [
      { key: 'Name', value: `vpcrc-sandbox-${'abc'[i] ?? 'a'}` },
    ]),
  );
  const sg = world.defaultGroupOf(vpc.vpcId);
  if (!sg) throw new Error('default VPC has no default security group');
  return { vpc, subnets, defaultSecurityGroup: sg };
}
