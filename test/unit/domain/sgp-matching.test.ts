import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../../src/domain/label-selector.js';
import {
  checkGroupQuota,
  matchSecurityGroups,
  needsServiceAccountLabels,
  serviceAccountOf,
  type MatchInput,
  type PodFacts,
} from '../../../src/domain/sgp-matching.js';

const policy = (
  name: string,
  spec: { podSelector?: LabelSelector; serviceAccountSelector?: LabelSelector; groupIds?: string[] },
  namespace = 'shop',
) => ({
  apiVersion: 'vpcresources.k8s.aws/v1beta1',
  kind: 'SecurityGroupPolicy',
  metadata: { name, namespace },
  spec: {
    ...(spec.podSelector ? { podSelector: spec.podSelector } : {}),
    ...(spec.serviceAccountSelector ? { serviceAccountSelector: spec.serviceAccountSelector } : {}),
    securityGroups: { groupIds: spec.groupIds ?? [] },
  },
});

const SG = {
  a: 'sg-0000000a',
  b: 'sg-0000000b',
  c: 'sg-0000000c',
  d: 'sg-0123456789abcdef0',
};
const pod: PodFacts = { namespace: 'shop', labels: { app: 'checkout', tier: 'web' }, serviceAccountName: 'payments' };
const saLabels = { team: 'payments' };

describe('matchSecurityGroups', () => {
  it.each<[string, { pod?: PodFacts; policies: unknown[]; sa?: Record<string, string> | null }, string[], string[]]>([
    ['pod selector by labels', { policies: [policy('p', { podSelector: { matchLabels: { app: 'checkout' } }, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['pod selector that does not match', { policies: [policy('p', { podSelector: { matchLabels: { app: 'cart' } }, groupIds: [SG.a] })] }, [], []],
    ['pod selector by expressions', { policies: [policy('p', { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['NotIn on an absent label', { policies: [policy('p', { podSelector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['empty pod selector matches every pod in the namespace', { policies: [policy('p', { podSelector: {}, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['empty pod selector on a pod without labels', { pod: { namespace: 'shop' }, policies: [policy('p', { podSelector: {}, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['policy in another namespace is ignored', { policies: [policy('p', { podSelector: {}, groupIds: [SG.a] }, 'other')] }, [], []],
    ['neither selector matches nothing', { policies: [policy('p', { groupIds: [SG.a] })] }, [], []],
    ['SA selector by the ServiceAccount labels', { policies: [policy('p', { serviceAccountSelector: { matchLabels: { team: 'payments' } }, groupIds: [SG.b] })] }, [SG.b], ['p']],
    ['SA selector by expressions', { policies: [policy('p', { serviceAccountSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['billing', 'payments'] }] }, groupIds: [SG.b] })] }, [SG.b], ['p']],
    ['SA selector is not matched against pod labels', { policies: [policy('p', { serviceAccountSelector: { matchLabels: { app: 'checkout' } }, groupIds: [SG.b] })] }, [], []],
    ['empty SA selector matches an existing SA', { policies: [policy('p', { serviceAccountSelector: {}, groupIds: [SG.b] })] }, [SG.b], ['p']],
    ['empty SA selector does not match a missing SA', { sa: null, policies: [policy('p', { serviceAccountSelector: {}, groupIds: [SG.b] })] }, [], []],
    ['both selectors match → match', { policies: [policy('p', { podSelector: { matchLabels: { app: 'checkout' } }, serviceAccountSelector: { matchLabels: { team: 'payments' } }, groupIds: [SG.a] })] }, [SG.a], ['p']],
    ['both selectors, only pod matches → no match', { policies: [policy('p', { podSelector: { matchLabels: { app: 'checkout' } }, serviceAccountSelector: { matchLabels: { team: 'billing' } }, groupIds: [SG.a] })] }, [], []],
    ['both selectors, only SA matches → no match', { policies: [policy('p', { podSelector: { matchLabels: { app: 'cart' } }, serviceAccountSelector: { matchLabels: { team: 'payments' } }, groupIds: [SG.a] })] }, [], []],
    ['union of two policies ordered by policy name, then listed order', {
      policies: [
        policy('zeta', { podSelector: {}, groupIds: [SG.c, SG.a] }),
        policy('alpha', { podSelector: { matchLabels: { app: 'checkout' } }, groupIds: [SG.b, SG.d] }),
      ],
    }, [SG.b, SG.d, SG.c, SG.a], ['alpha', 'zeta']],
    ['duplicates removed, first occurrence kept', {
      policies: [
        policy('b', { podSelector: {}, groupIds: [SG.a, SG.c] }),
        policy('a', { podSelector: {}, groupIds: [SG.c, SG.c, SG.b] }),
      ],
    }, [SG.c, SG.b, SG.a], ['a', 'b']],
    ['hostNetwork pods are never matched', { pod: { ...pod, hostNetwork: true }, policies: [policy('p', { podSelector: {}, groupIds: [SG.a] })] }, [], []],
    ['invalid policy ignored, valid one still applies', {
      policies: [
        policy('broken', { podSelector: {}, groupIds: ['sg-bad'] }),
        policy('good', { podSelector: {}, groupIds: [SG.a] }),
      ],
    }, [SG.a], ['good']],
    ['policy without group IDs matches nothing', { policies: [policy('empty', { podSelector: {}, groupIds: [] })] }, [], []],
    ['garbage in the cache does not throw', { policies: [null, 'x', 42, { metadata: { namespace: 'shop' } }] }, [], []],
  ])('%s', (_name, c, groups, matched) => {
    const input: MatchInput = {
      pod: c.pod ?? pod,
      policies: c.policies,
      serviceAccountLabels: c.sa === null ? undefined : (c.sa ?? saLabels),
    };
    const r = matchSecurityGroups(input);
    expect(r.groups).toEqual(groups);
    expect(r.matchedPolicies).toEqual(matched);
  });

  it('reports invalid policies of the pod namespace with their errors, not those of other namespaces', () => {
    const r = matchSecurityGroups({
      pod,
      serviceAccountLabels: saLabels,
      policies: [
        policy('z-bad-selector', { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] }, groupIds: [SG.a] }),
        policy('a-bad-id', { podSelector: {}, groupIds: ['sg-XYZ'] }),
        policy('elsewhere', { podSelector: {}, groupIds: ['sg-XYZ'] }, 'other'),
        { metadata: { namespace: 'shop' }, spec: {} },
      ],
    });
    expect(r.invalidPolicies.map((p) => p.name)).toEqual(['(unnamed)', 'a-bad-id', 'z-bad-selector']);
    expect(r.invalidPolicies[1]!.errors).toEqual([
      'spec.securityGroups.groupIds[0]: "sg-XYZ" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)',
    ]);
    expect(r.invalidPolicies[2]!.errors).toEqual(['spec.podSelector.matchExpressions[0].values: must be non-empty for operator In']);
  });

  it('says which policies could not be decided because the ServiceAccount is missing', () => {
    const r = matchSecurityGroups({
      pod,
      serviceAccountLabels: undefined,
      policies: [
        policy('by-sa', { serviceAccountSelector: { matchLabels: { team: 'payments' } }, groupIds: [SG.b] }),
        policy('by-both-pod-miss', { podSelector: { matchLabels: { app: 'cart' } }, serviceAccountSelector: {}, groupIds: [SG.c] }),
        policy('by-pod', { podSelector: {}, groupIds: [SG.a] }),
      ],
    });
    expect(r.groups).toEqual([SG.a]);
    expect(r.undecidedWithoutServiceAccount).toEqual(['by-sa']);
  });

  it('an updated policy (a new object from the cache) is judged afresh', () => {
    const v1 = policy('p', { podSelector: {}, groupIds: [SG.a] });
    expect(matchSecurityGroups({ pod, policies: [v1], serviceAccountLabels: saLabels }).groups).toEqual([SG.a]);
    const v2 = policy('p', { podSelector: {}, groupIds: ['sg-bad'] });
    const r2 = matchSecurityGroups({ pod, policies: [v2], serviceAccountLabels: saLabels });
    expect(r2.groups).toEqual([]);
    expect(r2.invalidPolicies.map((p) => p.name)).toEqual(['p']);
    const v3 = policy('p', { podSelector: {}, groupIds: [SG.b] });
    expect(matchSecurityGroups({ pod, policies: [v3], serviceAccountLabels: saLabels }).groups).toEqual([SG.b]);
    // and the first object still gives its own answer
    expect(matchSecurityGroups({ pod, policies: [v1], serviceAccountLabels: saLabels }).groups).toEqual([SG.a]);
  });

  it('results do not depend on the order policies arrive in', () => {
    const ps = [
      policy('m', { podSelector: {}, groupIds: [SG.b] }),
      policy('c', { podSelector: {}, groupIds: [SG.a] }),
      policy('x', { serviceAccountSelector: {}, groupIds: [SG.d, SG.c] }),
    ];
    const forward = matchSecurityGroups({ pod, policies: ps, serviceAccountLabels: saLabels });
    const backward = matchSecurityGroups({ pod, policies: [...ps].reverse(), serviceAccountLabels: saLabels });
    expect(backward).toEqual(forward);
    expect(forward.groups).toEqual([SG.a, SG.b, SG.d, SG.c]);
  });
});

describe('needsServiceAccountLabels', () => {
  it.each<[string, PodFacts, unknown[], boolean]>([
    ['no policies', pod, [], false],
    ['only pod selectors', pod, [policy('p', { podSelector: {}, groupIds: [SG.a] })], false],
    ['an SA selector policy', pod, [policy('p', { serviceAccountSelector: { matchLabels: { team: 'x' } }, groupIds: [SG.a] })], true],
    ['an SA selector policy whose pod selector misses', pod, [policy('p', { podSelector: { matchLabels: { app: 'cart' } }, serviceAccountSelector: {}, groupIds: [SG.a] })], false],
    ['an SA selector policy in another namespace', pod, [policy('p', { serviceAccountSelector: {}, groupIds: [SG.a] }, 'other')], false],
    ['an invalid SA selector policy', pod, [policy('p', { serviceAccountSelector: {}, groupIds: ['nope'] })], false],
    ['a hostNetwork pod', { ...pod, hostNetwork: true }, [policy('p', { serviceAccountSelector: {}, groupIds: [SG.a] })], false],
  ])('%s → %s', (_name, p, policies, expected) => {
    expect(needsServiceAccountLabels({ pod: p, policies })).toBe(expected);
  });
});

describe('serviceAccountOf', () => {
  it.each<[string | undefined | null, string]>([
    [undefined, 'default'],
    [null, 'default'],
    ['', 'default'],
    ['payments', 'payments'],
  ])('%s → %s', (name, expected) => {
    expect(serviceAccountOf({ serviceAccountName: name })).toBe(expected);
  });
});

describe('checkGroupQuota', () => {
  const groups = ['sg-00000001', 'sg-00000002', 'sg-00000003', 'sg-00000004', 'sg-00000005', 'sg-00000006'];
  it('at or under the quota → undefined', () => {
    expect(checkGroupQuota(groups.slice(0, 5), 5)).toBeUndefined();
    expect(checkGroupQuota([], 5)).toBeUndefined();
  });
  it('over the quota → a message naming the count, the groups and the quota', () => {
    expect(checkGroupQuota(groups, 5)).toBe(
      'the matching SecurityGroupPolicies give 6 security groups [sg-00000001 sg-00000002 sg-00000003 sg-00000004 sg-00000005 sg-00000006], ' +
        'more than the quota of 5 per network interface; reduce the groups in the policies or raise the EC2 quota ' +
        '"Security groups per network interface" (and the controller\'s setting to match)',
    );
  });
  it.each([0, -1, 2.5, Number.NaN])('rejects quota %s', (q) => {
    expect(() => checkGroupQuota(groups, q)).toThrow(/quota must be an integer >= 1/);
  });
});
