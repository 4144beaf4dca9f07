// The world the local EC2 starts with unless told otherwise: one VPC (10.0.0.0/16), its default
// security group, and one /19 subnet in each of three availability zones (8,187 usable addresses
// each, so thousands of pods fit).
import type { World } from './world.js';
import type { SecurityGroup, Subnet, Vpc } from './world-types.js';

export interface DefaultWorld {
  vpc: Vpc;
  subnets: Subnet[];
  defaultSecurityGroup: SecurityGroup;
}

export const DEFAULT_VPC_CIDR = '10.0.0.0/16';
export const DEFAULT_SUBNET_CIDRS = ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'] as const;

export function seedDefaultWorld(world: World): DefaultWorld {
  const vpc = world.createVpc(DEFAULT_VPC_CIDR, [{ key: 'Name', value: 'vpcrc-sandbox' }], true);
  const subnets = DEFAULT_SUBNET_CIDRS.map((cidr, i) =>
    world.createSubnet(vpc.vpcId, cidr, `${world.region}${'abc'[i] ?? 'a'}`, [
      { key: 'Name', value: `vpcrc-sandbox-${'abc'[i] ?? 'a'}` },
    ]),
  );
  const sg = world.defaultGroupOf(vpc.vpcId);
  if (!sg) throw new Error('default VPC has no default security group');
  return { vpc, subnets, defaultSecurityGroup: sg };
}
