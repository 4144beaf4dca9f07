import { describe, expect, it } from 'vitest';
import {
  defaultPacingConfig,
  effectiveBudgets,
  pacingFromConfigMap,
  pacingFromFlags,
  parseBudgetKey,
  DEFAULT_POOLS,
} from '../../../src/aws/pacing-config.js';
import { AWS_BUCKETS, BURST_RESERVE, DEFAULT_ACCOUNT_SHARE, RATE_SAFETY, budgetFor, budgetKey } from '../../../src/aws/budgets.js';

describe('budgets', () => {
  it('derives every action budget from the AWS bucket × share, below the bucket', () => {
    for (const [key, bucket] of Object.entries(AWS_BUCKETS)) {
      const b = budgetFor(key as keyof typeof AWS_BUCKETS, 1);
      expect(b.ratePerSecond).toBeLessThan(bucket.refillPerSecond);
      expect(b.ratePerSecond).toBeCloseTo(bucket.refillPerSecond * RATE_SAFETY);
      expect(b.burst).toBe(bucket.capacity - BURST_RESERVE);
    }
    expect(budgetFor('CreateNetworkInterface', 0.5)).toEqual({ ratePerSecond: 2.5 * RATE_SAFETY, burst: 48 });
    expect(budgetFor('AssociateTrunkInterface', 0.01).burst).toBe(1);
  });

  it('uses the lower bucket only for unfiltered, unpaginated describes of the three metered actions', () => {
    expect(budgetKey('DescribeInstances', true)).toBe('DescribeInstances:unfiltered');
    expect(budgetKey('DescribeInstances', false)).toBe('DescribeInstances');
    expect(budgetKey('DescribeSubnets', true)).toBe('DescribeSubnets');
    expect(AWS_BUCKETS['DescribeNetworkInterfaces:unfiltered']).toEqual({ capacity: 50, refillPerSecond: 10 });
  });
});

describe('PacingConfig', () => {
  it('defaults leave room for other clients', () => {
    const c = defaultPacingConfig();
    expect(c.accountShare).toBe(DEFAULT_ACCOUNT_SHARE);
    expect(c.accountShare).toBeLessThan(1);
    expect(c.pools).toEqual(DEFAULT_POOLS);
    expect(effectiveBudgets(c).CreateNetworkInterface!.ratePerSecond).toBeCloseTo(5 * DEFAULT_ACCOUNT_SHARE * RATE_SAFETY);
  });

  it('parses flags; overrides are absolute and the time scale multiplies rates only', () => {
    const c = pacingFromFlags({
      ec2AccountShare: '1',
      ec2Rate: ['CreateNetworkInterface=3', 'DescribeInstances.unfiltered=2'],
      ec2Burst: ['CreateNetworkInterface=10'],
      ec2Pool: ['pod-start=64'],
      ec2TimeScale: '10',
    });
    const b = effectiveBudgets(c);
    expect(b.CreateNetworkInterface).toEqual({ ratePerSecond: 30, burst: 10 });
    expect(b['DescribeInstances:unfiltered']!.ratePerSecond).toBe(20);
    expect(b.AssociateTrunkInterface).toEqual({ ratePerSecond: 5 * RATE_SAFETY * 10, burst: 48 });
    expect(c.pools['pod-start']).toBe(64);
  });

  it.each([
    [{ ec2AccountShare: '1.5' }, /--ec2-account-share: "1.5" is not valid \(a number in \(0, 1\]\)/],
    [{ ec2AccountShare: 'lots' }, /--ec2-account-share/],
    [{ ec2Rate: ['CreateNetworkInterface'] }, /--ec2-rate: "CreateNetworkInterface" must look like Name=value/],
    [{ ec2Rate: ['CreateBananas=3'] }, /unknown EC2 action "CreateBananas"/],
    [{ ec2Rate: ['CreateTags=-1'] }, /--ec2-rate CreateTags: "-1" is not valid/],
    [{ ec2Burst: ['CreateTags=2.5'] }, /an integer ≥ 1/],
    [{ ec2Pool: ['gc=3'] }, /unknown pool "gc"/],
  ])('rejects bad flags with a clear error: %j', (flags, msg) => {
    expect(() => pacingFromFlags(flags)).toThrow(msg);
  });

  it('applies ConfigMap keys over the flag config, reporting bad keys without throwing', () => {
    const base = pacingFromFlags({ ec2Rate: ['CreateTags=7'] });
    const { config, errors } = pacingFromConfigMap(
      {
        'branch-eni-cooldown': '60',
        'ec2-account-share': '0.5',
        'ec2-rate-AssociateTrunkInterface': '2',
        'ec2-burst-DescribeNetworkInterfaces.unfiltered': '20',
        'ec2-pool-release': '2',
        'ec2-rate-CreateNetworkInterface': 'fast',
        'ec2-colour': 'blue',
      },
      base,
    );
    expect(config.accountShare).toBe(0.5);
    expect(config.rates).toEqual({ CreateTags: 7, AssociateTrunkInterface: 2 });
    expect(config.bursts).toEqual({ 'DescribeNetworkInterfaces:unfiltered': 20 });
    expect(config.pools.release).toBe(2);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/ec2-rate-CreateNetworkInterface: "fast" is not valid/);
    expect(errors[1]).toMatch(/ec2-colour: unknown EC2 pacing key/);
    // The base is not mutated.
    expect(base.accountShare).toBe(DEFAULT_ACCOUNT_SHARE);
  });

  it('parseBudgetKey accepts both spellings of the unfiltered bucket', () => {
    expect(parseBudgetKey('DescribeSecurityGroups:unfiltered')).toBe('DescribeSecurityGroups:unfiltered');
    expect(parseBudgetKey('DescribeSecurityGroups.unfiltered')).toBe('DescribeSecurityGroups:unfiltered');
    expect(parseBudgetKey('DescribeSubnets.unfiltered')).toBeUndefined();
  });
});
