// The allocation benchmark's bound: what EC2's buckets allow, with and without a competitor.
import { describe, expect, it } from 'vitest';
import { bucketBound, percentile } from '../../bench/lib/alloc-math.js';

describe('bucketBound', () => {
  it('is the slowest action: calls beyond the tokens at start, at the refill rate', () => {
    const b = bucketBound({
      CreateNetworkInterface: { calls: 1000, tokensAtStart: 100, refillPerSecond: 5, competingShare: 0 },
      AssociateTrunkInterface: { calls: 1000, tokensAtStart: 50, refillPerSecond: 5, competingShare: 0 },
      DescribeNetworkInterfaces: { calls: 100, tokensAtStart: 100, refillPerSecond: 20, competingShare: 0 },
    });
    expect(b.perAction).toEqual({ CreateNetworkInterface: 180, AssociateTrunkInterface: 190, DescribeNetworkInterfaces: 0 });
    expect(b.seconds).toBe(190);
    expect(b.limitingAction).toBe('AssociateTrunkInterface');
  });

  it('counts only the refill a competitor leaves', () => {
    const b = bucketBound({ AssociateTrunkInterface: { calls: 1000, tokensAtStart: 50, refillPerSecond: 5, competingShare: 0.5 } });
    expect(b.seconds).toBe(380);
  });

  it('with the calls other clients got through counted, charges them to the same bucket', () => {
    // 950 of ours beyond the burst plus 900 of theirs at 5/s: 370 s, whatever share they aimed for.
    const b = bucketBound({ AssociateTrunkInterface: { calls: 1000, tokensAtStart: 50, refillPerSecond: 5, competingShare: 0.5, otherCalls: 900 } });
    expect(b.seconds).toBe(370);
  });

  it('is zero when the burst covers every call, and uses the tokens actually left at the start', () => {
    expect(bucketBound({ CreateNetworkInterface: { calls: 40, tokensAtStart: 100, refillPerSecond: 5, competingShare: 0 } })).toEqual({
      seconds: 0,
      limitingAction: undefined,
      perAction: { CreateNetworkInterface: 0 },
    });
    expect(bucketBound({ CreateNetworkInterface: { calls: 40, tokensAtStart: 10, refillPerSecond: 5, competingShare: 0 } }).seconds).toBe(6);
  });

  it('rejects a bucket that never refills or a competitor taking everything', () => {
    expect(() => bucketBound({ X: { calls: 1, tokensAtStart: 0, refillPerSecond: 0, competingShare: 0 } })).toThrow(/X: refill must be positive/);
    expect(() => bucketBound({ X: { calls: 1, tokensAtStart: 0, refillPerSecond: 5, competingShare: 1 } })).toThrow(/X: competing share/);
  });
});

describe('percentile', () => {
  it('takes the nearest rank of unsorted values', () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(v, 0.5)).toBe(5);
    expect(percentile(v, 0.99)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 0.5)).toBe(0);
  });
});
