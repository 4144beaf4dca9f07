import { describe, expect, it } from 'vitest';
import { resolvePolicyGroups, usesGroupLookup, type GroupFacts } from '../../../src/domain/policy-groups.js';
import { matchSecurityGroups } from '../../../src/domain/sgp-matching.js';

const catalog: GroupFacts[] = [
  { groupId: 'sg-0000000a', groupName: 'web', tags: { team: 'shop', env: 'prod' } },
  { groupId: 'sg-0000000c', groupName: 'db-clients', tags: { team: 'shop', env: 'dev' } },
  { groupId: 'sg-0000000b', groupName: 'metrics', tags: { team: 'shop', env: 'prod' } },
  { groupId: 'sg-0000000d', groupName: 'other', tags: {} },
];

describe('resolvePolicyGroups', () => {
  it.each<[string, Parameters<typeof resolvePolicyGroups>[0], string[]]>([
    ['IDs only, without looking anything up', { groupIds: ['sg-12345678'] }, ['sg-12345678']],
    ['names in listed order', { groupNames: ['metrics', 'web'] }, ['sg-0000000b', 'sg-0000000a']],
    ['tags: every tag must match, result sorted by ID', { groupTags: { team: 'shop', env: 'prod' } }, ['sg-0000000a', 'sg-0000000b']],
    ['IDs, then names, then tags, without duplicates', { groupIds: ['sg-0000000b'], groupNames: ['web', 'db-clients'], groupTags: { env: 'prod' } }, ['sg-0000000b', 'sg-0000000a', 'sg-0000000c']],
  ])('%s', (_n, sg, groups) => {
    expect(resolvePolicyGroups(sg, catalog, 5)).toEqual({ ok: true, groups });
  });

  it('a missing name or a tag set that selects nothing is GroupsNotFound, naming both', () => {
    const r = resolvePolicyGroups({ groupNames: ['web', 'nope'], groupTags: { team: 'ghost' } }, catalog, 5);
    expect(r).toEqual({ ok: false, reason: 'GroupsNotFound', message: expect.stringContaining('name "nope"; tags team=ghost') as string });
  });

  it('more groups than the quota is QuotaExceeded, naming count and quota', () => {
    const r = resolvePolicyGroups({ groupTags: { team: 'shop' } }, catalog, 2);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('QuotaExceeded');
      expect(r.message).toContain('resolves to 3 security groups [sg-0000000a sg-0000000b sg-0000000c], more than the quota of 2');
    }
  });

  it('names without a catalog are not resolved yet (never a part of the groups)', () => {
    expect(resolvePolicyGroups({ groupIds: ['sg-12345678'], groupNames: ['web'] }, undefined, 5)).toMatchObject({ ok: false, reason: 'GroupsNotResolved' });
    expect(resolvePolicyGroups({ groupIds: ['sg-12345678'] }, undefined, 5)).toEqual({ ok: true, groups: ['sg-12345678'] });
  });

  it('usesGroupLookup', () => {
    expect(usesGroupLookup({ groupIds: ['sg-12345678'] })).toBe(false);
    expect(usesGroupLookup({ groupNames: ['a'] })).toBe(true);
    expect(usesGroupLookup({ groupTags: { a: 'b' } })).toBe(true);
    expect(usesGroupLookup(undefined)).toBe(false);
  });
});

describe('matchSecurityGroups with groups by name or tag', () => {
  const sgp = (name: string, securityGroups: object) => ({ metadata: { name, namespace: 'shop' }, spec: { podSelector: {}, securityGroups } });
  const pod = { namespace: 'shop', labels: {} };

  it('adds the resolved groups in policy-name order', () => {
    const r = matchSecurityGroups({
      pod,
      policies: [sgp('b-names', { groupNames: ['web'] }), sgp('a-ids', { groupIds: ['sg-12345678'] })],
      serviceAccountLabels: undefined,
      resolveGroups: (p) => resolvePolicyGroups(p.spec.securityGroups, catalog, 5),
    });
    expect(r.groups).toEqual(['sg-12345678', 'sg-0000000a']);
    expect(r.unresolvedPolicies).toEqual([]);
  });

  it('an unresolved policy still matches but gives no groups, and says why', () => {
    const r = matchSecurityGroups({
      pod,
      policies: [sgp('ids', { groupIds: ['sg-12345678'] }), sgp('names', { groupNames: ['missing'] })],
      serviceAccountLabels: undefined,
      resolveGroups: (p) => resolvePolicyGroups(p.spec.securityGroups, catalog, 5),
    });
    expect(r.matchedPolicies).toEqual(['ids', 'names']);
    expect(r.groups).toEqual(['sg-12345678']);
    expect(r.unresolvedPolicies).toEqual([{ name: 'names', reason: 'GroupsNotFound', message: expect.stringContaining('name "missing"') as string }]);
  });

  it('without a resolver, a policy by name is unresolved', () => {
    const r = matchSecurityGroups({ pod, policies: [sgp('names', { groupNames: ['web'] })], serviceAccountLabels: undefined });
    expect(r.unresolvedPolicies.map((u) => u.reason)).toEqual(['GroupsNotResolved']);
  });
});
