import { describe, expect, it } from 'vitest';
import { AWS_BUCKETS, bucketKey, Throttle } from '../../../src/sim/ec2/throttle.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function drain(th: Throttle, key: string, max = 10_000): number {
  let n = 0;
  while (n < max && th.tryTake(key)) n++;
  return n;
}

describe('Throttle (token bucket per action)', () => {
  it('AWS buckets from the contract', () => {
    expect(AWS_BUCKETS.CreateNetworkInterface).toEqual({ capacity: 100, refillPerSecond: 5 });
    expect(AWS_BUCKETS.DeleteNetworkInterface).toEqual({ capacity: 100, refillPerSecond: 5 });
    expect(AWS_BUCKETS.ModifyNetworkInterfaceAttribute).toEqual({ capacity: 100, refillPerSecond: 5 });
    for (const a of ['AssociateTrunkInterface', 'DisassociateTrunkInterface', 'AttachNetworkInterface', 'DetachNetworkInterface', 'CreateNetworkInterfacePermission']) {
      expect(AWS_BUCKETS[a], a).toEqual({ capacity: 50, refillPerSecond: 5 });
    }
    expect(AWS_BUCKETS.CreateTags).toEqual({ capacity: 100, refillPerSecond: 10 });
    expect(AWS_BUCKETS.DescribeNetworkInterfaces).toEqual({ capacity: 100, refillPerSecond: 20 });
    expect(AWS_BUCKETS['DescribeInstances:unfiltered']).toEqual({ capacity: 50, refillPerSecond: 10 });
  });

  it('grants the capacity as a burst, then refills at the rate', () => {
    const c = clock();
    const th = new Throttle({ base: 'aws' }, c.now);
    expect(drain(th, 'CreateNetworkInterface')).toBe(100);
    c.advance(1000);
    expect(drain(th, 'CreateNetworkInterface')).toBe(5);
    c.advance(100); // half a token
    expect(th.tryTake('CreateNetworkInterface')).toBe(false);
    c.advance(100);
    expect(th.tryTake('CreateNetworkInterface')).toBe(true);
    // Refill never exceeds capacity.
    c.advance(3_600_000);
    expect(drain(th, 'CreateNetworkInterface')).toBe(100);
  });

  it('refused calls take no tokens', () => {
    const c = clock();
    const th = new Throttle({ base: 'aws' }, c.now);
    drain(th, 'AttachNetworkInterface');
    for (let i = 0; i < 50; i++) th.tryTake('AttachNetworkInterface');
    c.advance(200); // exactly one token at 5/s
    expect(drain(th, 'AttachNetworkInterface')).toBe(1);
  });

  it('C + R·T over a long run', () => {
    const c = clock();
    const th = new Throttle({ base: 'aws' }, c.now);
    let ok = 0;
    for (let ms = 0; ms < 10_000; ms += 7) {
      if (th.tryTake('DescribeNetworkInterfaces')) ok++;
      c.advance(7);
    }
    expect(ok).toBeGreaterThanOrEqual(100 + 20 * 10 - 1);
    expect(ok).toBeLessThanOrEqual(100 + 20 * 10 + 1);
  });

  it('time scale multiplies the refill rate', () => {
    const c = clock();
    const th = new Throttle({ base: 'aws' }, c.now, 10);
    drain(th, 'CreateTags');
    c.advance(1000);
    expect(drain(th, 'CreateTags')).toBe(100); // 10/s × 10 × 1 s, capped at capacity 100
    c.advance(100);
    expect(drain(th, 'CreateTags')).toBe(10);
  });

  it('unfiltered describes have their own lower bucket', () => {
    expect(bucketKey('DescribeInstances', true)).toBe('DescribeInstances:unfiltered');
    expect(bucketKey('DescribeInstances', false)).toBe('DescribeInstances');
    expect(bucketKey('DescribeSubnets', true)).toBe('DescribeSubnets');
    const th = new Throttle({ base: 'aws' }, clock().now);
    expect(drain(th, 'DescribeSecurityGroups:unfiltered')).toBe(50);
    expect(drain(th, 'DescribeSecurityGroups')).toBe(100);
  });

  it('off is unlimited; overrides win over the base; null means unlimited; bad specs are rejected', () => {
    const c = clock();
    const off = new Throttle({ base: 'off', overrides: { CreateTags: { capacity: 2, refillPerSecond: 0 } } }, c.now);
    expect(drain(off, 'CreateNetworkInterface', 5000)).toBe(5000);
    expect(drain(off, 'CreateTags')).toBe(2);
    const aws = new Throttle({ base: 'aws', overrides: { CreateNetworkInterface: null } }, c.now);
    expect(drain(aws, 'CreateNetworkInterface', 5000)).toBe(5000);
    aws.setOverride('CreateNetworkInterface', undefined);
    expect(drain(aws, 'CreateNetworkInterface')).toBe(100);
    expect(() => aws.setOverride('X', { capacity: 0.5, refillPerSecond: 1 })).toThrow(/capacity/);
    expect(() => aws.setOverride('X', { capacity: 5, refillPerSecond: -1 })).toThrow(/refill/);
    expect(() => new Throttle({ base: 'fast' as 'aws' }, c.now)).toThrow(/aws' or 'off/);
  });

  it('changing the profile starts with full buckets', () => {
    const c = clock();
    const th = new Throttle({ base: 'aws' }, c.now);
    drain(th, 'DeleteNetworkInterface');
    th.setProfile('off');
    expect(th.tokens('DeleteNetworkInterface')).toBe(Infinity);
    th.setProfile('aws');
    expect(th.tokens('DeleteNetworkInterface')).toBe(100);
  });
});
