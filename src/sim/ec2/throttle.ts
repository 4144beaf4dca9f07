// AWS's request throttling for EC2: one token bucket per action (per account and Region), each
// with a capacity (burst) and a refill rate. Numbers from the contract §6 / AWS's "Request
// throttling for the Amazon EC2 API", in the local EC2's own copy (request-buckets.ts). A request takes one token or is refused with
// RequestLimitExceeded; refused requests take nothing. Time is injected so tests need no sleeps.

import { EC2_REQUEST_BUCKETS, OTHER_MUTATING_BUCKET, UNFILTERED_UNPAGINATED_ACTIONS, type BucketSpec } from './request-buckets.js';

export type { BucketSpec } from './request-buckets.js';

/**
 * A throttle profile: a base (`aws` = AWS's published buckets, `off` = unlimited) plus per-bucket
 * overrides. Keys are action names, or `<Action>:unfiltered` for the lower bucket of unfiltered,
 * unpaginated DescribeInstances / DescribeNetworkInterfaces / DescribeSecurityGroups. An override
 * of `null` makes that bucket unlimited.
 */
export interface ThrottleProfile {
  base: 'aws' | 'off';
  overrides?: Record<string, BucketSpec | null>;
}

/** AWS's buckets for every action the local EC2 serves. */
export const AWS_BUCKETS: Readonly<Record<string, BucketSpec>> = EC2_REQUEST_BUCKETS;

/** Actions whose unfiltered, unpaginated calls draw from the lower bucket. */
const UNFILTERED_BUCKET_ACTIONS: ReadonlySet<string> = new Set(UNFILTERED_UNPAGINATED_ACTIONS);

/** Bucket key for a call: the action, or its `:unfiltered` bucket when it qualifies. */
export function bucketKey(action: string, unfilteredUnpaginated: boolean): string {
  return unfilteredUnpaginated && UNFILTERED_BUCKET_ACTIONS.has(action) ? `${action}:unfiltered` : action;
}

export function validateBucketSpec(key: string, spec: BucketSpec): void {
  if (!Number.isFinite(spec.capacity) || spec.capacity < 1) throw new Error(`throttle bucket ${key}: capacity must be ≥ 1`);
  if (!Number.isFinite(spec.refillPerSecond) || spec.refillPerSecond < 0) {
    throw new Error(`throttle bucket ${key}: refillPerSecond must be ≥ 0`);
  }
}

interface BucketState {
  spec: BucketSpec;
  tokens: number;
  updatedAt: number; // ms, clock time
}

export class Throttle {
  private profile: ThrottleProfile;
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    profile: ThrottleProfile,
    private readonly now: () => number,
    private timeScale: number = 1,
  ) {
    this.profile = normalizeProfile(profile);
  }

  setProfile(profile: ThrottleProfile | 'aws' | 'off'): void {
    this.profile = normalizeProfile(typeof profile === 'string' ? { base: profile } : profile);
    this.buckets.clear(); // new profile starts with full buckets, as a fresh account would
  }

  /** Override one bucket (null = unlimited, undefined = back to the base profile). */
  setOverride(key: string, spec: BucketSpec | null | undefined): void {
    if (spec) validateBucketSpec(key, spec);
    const overrides = { ...(this.profile.overrides ?? {}) };
    if (spec === undefined) delete overrides[key];
    else overrides[key] = spec;
    this.profile = { base: this.profile.base, overrides };
    this.buckets.delete(key);
  }

  setTimeScale(scale: number): void {
    this.timeScale = scale;
  }

  specFor(key: string): BucketSpec | null {
    const o = this.profile.overrides;
    if (o && Object.hasOwn(o, key)) return o[key] ?? null;
    if (this.profile.base === 'off') return null;
    return AWS_BUCKETS[key] ?? OTHER_MUTATING_BUCKET;
  }

  /** Takes one token from the bucket; false when the call must be refused. */
  tryTake(key: string): boolean {
    const spec = this.specFor(key);
    if (!spec) return true;
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b || b.spec !== spec) {
      b = { spec, tokens: spec.capacity, updatedAt: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = this.refilled(b, t);
      b.updatedAt = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens currently in a bucket (refilled to now), or Infinity when unlimited. */
  tokens(key: string): number {
    const spec = this.specFor(key);
    if (!spec) return Infinity;
    const b = this.buckets.get(key);
    if (!b || b.spec !== spec) return spec.capacity;
    return this.refilled(b, this.now());
  }

  /** The bucket's tokens at clock time `t`, refilled since its last update (scaled), capped at capacity. */
  private refilled(b: BucketState, t: number): number {
    const elapsed = Math.max(0, t - b.updatedAt) / 1000;
    return Math.min(b.spec.capacity, b.tokens + elapsed * b.spec.refillPerSecond * this.timeScale);
  }
}

function normalizeProfile(p: ThrottleProfile): ThrottleProfile {
  if (p.base !== 'aws' && p.base !== 'off') throw new Error(`throttle profile base must be 'aws' or 'off', got ${String(p.base)}`);
  for (const [k, v] of Object.entries(p.overrides ?? {})) if (v) validateBucketSpec(k, v);
  return { base: p.base, overrides: { ...(p.overrides ?? {}) } };
}
