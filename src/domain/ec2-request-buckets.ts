// AWS's published request buckets for the EC2 API (contract §6; AWS "Request throttling for the
// Amazon EC2 API"): one token bucket per action, per account and Region. The controller's gateway
// paces itself below it. The local EC2 keeps its own copy (src/sim/ec2/request-buckets.ts);
// test/unit/sim-facts/ compares the two, so a change here is a visible decision.

export interface TokenBucketSpec {
  /** Burst: tokens the bucket holds when full. */
  capacity: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
}

/** Describe calls sent with neither a filter nor pagination draw from a lower bucket for these. */
export const UNFILTERED_DESCRIBE_ACTIONS = ['DescribeInstances', 'DescribeNetworkInterfaces', 'DescribeSecurityGroups'] as const;
export type UnfilteredDescribeAction = (typeof UNFILTERED_DESCRIBE_ACTIONS)[number];

const MUTATING_ENI: TokenBucketSpec = { capacity: 100, refillPerSecond: 5 };
/** "All other mutating actions" get a bucket of this size (each action its own bucket). */
export const GENERIC_MUTATING_BUCKET: TokenBucketSpec = { capacity: 50, refillPerSecond: 5 };
const GENERIC_MUTATING = GENERIC_MUTATING_BUCKET;
const DESCRIBE: TokenBucketSpec = { capacity: 100, refillPerSecond: 20 };
const UNFILTERED_DESCRIBE: TokenBucketSpec = { capacity: 50, refillPerSecond: 10 };

/** Keyed by action, or `<Action>:unfiltered` for the lower describe bucket. */
export const AWS_REQUEST_BUCKETS = {
  CreateNetworkInterface: MUTATING_ENI,
  DeleteNetworkInterface: MUTATING_ENI,
  ModifyNetworkInterfaceAttribute: MUTATING_ENI,
  AssociateTrunkInterface: GENERIC_MUTATING,
  DisassociateTrunkInterface: GENERIC_MUTATING,
  AttachNetworkInterface: GENERIC_MUTATING,
  DetachNetworkInterface: GENERIC_MUTATING,
  CreateNetworkInterfacePermission: GENERIC_MUTATING,
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: GENERIC_MUTATING,
  CreateVpc: GENERIC_MUTATING,
  CreateSubnet: GENERIC_MUTATING,
  CreateSecurityGroup: GENERIC_MUTATING,
  // RunInstances/TerminateInstances have their own published request buckets.
  RunInstances: { capacity: 1000, refillPerSecond: 2 },
  TerminateInstances: { capacity: 100, refillPerSecond: 5 },
  DescribeVpcs: DESCRIBE,
  DescribeSubnets: DESCRIBE,
  DescribeSecurityGroups: DESCRIBE,
  DescribeInstances: DESCRIBE,
  DescribeInstanceTypes: DESCRIBE,
  DescribeNetworkInterfaces: DESCRIBE,
  DescribeTrunkInterfaceAssociations: DESCRIBE,
  'DescribeInstances:unfiltered': UNFILTERED_DESCRIBE,
  'DescribeNetworkInterfaces:unfiltered': UNFILTERED_DESCRIBE,
  'DescribeSecurityGroups:unfiltered': UNFILTERED_DESCRIBE,
} as const satisfies Record<string, TokenBucketSpec>;
