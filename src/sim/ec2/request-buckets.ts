// The local EC2's own copy of AWS's request token buckets: what real EC2 enforces, per account and
// Region, one bucket per action. Source: AWS EC2 Developer Guide, "Request throttling for the Amazon
// EC2 API", section "Request token limits" (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
// bucket capacity (burst) and refill rate per second for each category. Kept apart from the
// controller's table (src/domain/ec2-request-buckets.ts) on purpose: the controller paces itself
// from its copy and the local EC2 throttles from this one, so a wrong number on either side shows
// up as throttling in tests instead of agreeing with itself. test/unit/sim-facts/ compares them.

export interface BucketSpec {
  /** Bucket size: tokens when full, the burst a caller can spend at once. */
  capacity: number;
  /** Refill rate: tokens added per second, the sustained request rate. */
  refillPerSecond: number;
}

// Categories as the AWS page groups them.
/** "Mutating actions: ENI" (Create/Delete/ModifyNetworkInterface...). */
const ENI_MUTATING: BucketSpec = { capacity: 100, refillPerSecond: 5 };
/** "All other mutating actions": each such action has its own bucket of this size. */
export const OTHER_MUTATING_BUCKET: BucketSpec = { capacity: 50, refillPerSecond: 5 };
/** "Non-mutating actions" (Describe*). */
const NON_MUTATING: BucketSpec = { capacity: 100, refillPerSecond: 20 };
/** "Unfiltered and unpaginated non-mutating actions": a lower bucket for a few Describe calls. */
const UNFILTERED_NON_MUTATING: BucketSpec = { capacity: 50, refillPerSecond: 10 };

/** Describe actions whose calls with no filter and no pagination draw from the lower bucket. */
export const UNFILTERED_UNPAGINATED_ACTIONS: readonly string[] = ['DescribeInstances', 'DescribeNetworkInterfaces', 'DescribeSecurityGroups'];

/** Buckets for every action the local EC2 serves; `<Action>:unfiltered` for the lower describe bucket. */
export const EC2_REQUEST_BUCKETS: Readonly<Record<string, BucketSpec>> = {
  CreateNetworkInterface: ENI_MUTATING,
  DeleteNetworkInterface: ENI_MUTATING,
  ModifyNetworkInterfaceAttribute: ENI_MUTATING,
  AssociateTrunkInterface: OTHER_MUTATING_BUCKET,
  DisassociateTrunkInterface: OTHER_MUTATING_BUCKET,
  AttachNetworkInterface: OTHER_MUTATING_BUCKET,
  DetachNetworkInterface: OTHER_MUTATING_BUCKET,
  CreateNetworkInterfacePermission: OTHER_MUTATING_BUCKET,
  // The page lists CreateTags in its own category ("Mutating actions: CreateTags").
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: OTHER_MUTATING_BUCKET,
  CreateVpc: OTHER_MUTATING_BUCKET,
  CreateSubnet: OTHER_MUTATING_BUCKET,
  CreateSecurityGroup: OTHER_MUTATING_BUCKET,
  // Instance actions have their own published buckets.
  RunInstances: { capacity: 1000, refillPerSecond: 2 },
  TerminateInstances: { capacity: 100, refillPerSecond: 5 },
  DescribeVpcs: NON_MUTATING,
  DescribeSubnets: NON_MUTATING,
  DescribeSecurityGroups: NON_MUTATING,
  DescribeInstances: NON_MUTATING,
  DescribeInstanceTypes: NON_MUTATING,
  DescribeNetworkInterfaces: NON_MUTATING,
  DescribeTrunkInterfaceAssociations: NON_MUTATING,
  'DescribeInstances:unfiltered': UNFILTERED_NON_MUTATING,
  'DescribeNetworkInterfaces:unfiltered': UNFILTERED_NON_MUTATING,
  'DescribeSecurityGroups:unfiltered': UNFILTERED_NON_MUTATING,
};
