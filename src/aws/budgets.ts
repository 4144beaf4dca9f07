// AWS's published EC2 request buckets (contract §6) and how much of them the controller spends.
//
// AWS meters each action per account and Region with a token bucket (capacity = burst, refill per
// second = sustained rate). The controller shares those buckets with every other client in the
// account (the VPC CNI on every node, operators' tooling), so it paces itself to `share` of each
// bucket. Default share: 0.8, leaving a fifth for everyone else; the allocation benchmark uses 1.
//
// Two safety margins keep the controller from being the cause of a RequestLimitExceeded even at
// share 1: the sustained rate is `RATE_SAFETY` of the share, and `BURST_RESERVE` tokens of the burst
// are never used, so the server's bucket always holds a few tokens more than our limiter thinks it
// has and network jitter (two calls arriving closer together than they were sent) cannot empty it.
import { AWS_REQUEST_BUCKETS, UNFILTERED_DESCRIBE_ACTIONS, type TokenBucketSpec, type UnfilteredDescribeAction } from '../domain/ec2-request-buckets.js';

/** Every action the controller calls. */
export const EC2_ACTIONS = [
  'CreateNetworkInterface',
  'DeleteNetworkInterface',
  'ModifyNetworkInterfaceAttribute',
  'AssociateTrunkInterface',
  'DisassociateTrunkInterface',
  'AttachNetworkInterface',
  'DetachNetworkInterface',
  'CreateNetworkInterfacePermission',
  'CreateTags',
  'DeleteTags',
  'DescribeInstances',
  'DescribeSubnets',
  'DescribeSecurityGroups',
  'DescribeNetworkInterfaces',
  'DescribeTrunkInterfaceAssociations',
] as const;
export type Ec2Action = (typeof EC2_ACTIONS)[number];

const UNFILTERED_ACTIONS: ReadonlySet<string> = new Set(UNFILTERED_DESCRIBE_ACTIONS);

/** A limiter key: an action, or `<Action>:unfiltered` for the lower describe bucket. */
export type BudgetKey = Ec2Action | `${UnfilteredDescribeAction}:unfiltered`;

/** The one limiter every call shares when a config sets `shared` (the reference policy, for comparison). */
export const SHARED_LIMITER_KEY = '*';
/** What the pacer keys its limiters by. */
export type LimiterKey = BudgetKey | typeof SHARED_LIMITER_KEY;

export const AWS_BUCKETS: Readonly<Record<BudgetKey, TokenBucketSpec>> = Object.fromEntries(
  [...EC2_ACTIONS, ...UNFILTERED_DESCRIBE_ACTIONS.map((a) => `${a}:unfiltered` as const)].map((k) => [k, AWS_REQUEST_BUCKETS[k]]),
) as Record<BudgetKey, TokenBucketSpec>;
export const BUDGET_KEYS = Object.keys(AWS_BUCKETS) as BudgetKey[];

export const DEFAULT_ACCOUNT_SHARE = 0.8;
export const RATE_SAFETY = 0.98;
export const BURST_RESERVE = 2;

/** Our limiter for one key: tokens per second and burst. */
export interface Budget {
  ratePerSecond: number;
  burst: number;
}

/** The limiter key a call draws from. */
export function budgetKey(action: Ec2Action, unfilteredUnpaginated: boolean): BudgetKey {
  return unfilteredUnpaginated && UNFILTERED_ACTIONS.has(action) ? (`${action}:unfiltered` as BudgetKey) : action;
}

/**
 * Our budget for a key at `share` of the account bucket, before overrides: the rate with the safety
 * factor, the burst minus the reserve (at least 1 token so a call can always go).
 */
export function budgetFor(key: BudgetKey, share: number): Budget {
  const b = AWS_BUCKETS[key];
  return {
    ratePerSecond: b.refillPerSecond * share * RATE_SAFETY,
    burst: Math.max(1, Math.floor(b.capacity * share) - BURST_RESERVE),
  };
}
