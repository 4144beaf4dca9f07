// The warm-ENI rules of NodeBranchState (issue 14): which cooling ENI may turn warm, which warm ENI
// a pod takes, who may wait for a cooling one, and which warm ENI is evicted first.
import { describe, expect, it } from 'vitest';
import { NodeBranchState, groupSetKey, type BranchRecord } from '../../../src/domain/branch-state.js';

const pod = (uid: string) => ({ uid, namespace: 'ns', name: uid });
const full = (eniId: string, vlanId: number, uid: string, groups: string[]): BranchRecord => ({
  eniId,
  vlanId,
  pod: pod(uid),
  index: 0,
  phase: 'active',
  groups,
  associationId: `trunk-assoc-${eniId}`,
  macAddress: '02:00:00:00:00:01',
  privateIp: '10.0.0.10',
});

/** A node whose ENIs (one per pod) have all been released at `releasedAt`. */
function cooled(entries: [string, string[]][], releasedAt = 0): NodeBranchState {
  const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 10 });
  entries.forEach(([eni, groups], i) => {
    s.record(full(eni, s.reserveVlan()!, `old-${i}`, groups));
    s.startCooldown(`old-${i}`, releasedAt);
  });
  return s;
}

describe('groupSetKey', () => {
  it.each([
    [['sg-b', 'sg-a'], ['sg-a', 'sg-b'], true],
    [['sg-a', 'sg-a', 'sg-b'], ['sg-b', 'sg-a'], true],
    [['sg-a'], ['sg-a', 'sg-b'], false],
    [[], ['sg-a'], false],
  ])('%j and %j are the same set: %s', (a, b, same) => {
    expect(groupSetKey(a) === groupSetKey(b)).toBe(same);
  });
});

describe('makeWarm', () => {
  it('turns a cooling ENI with known groups and association warm, keeping its VLAN', () => {
    const s = cooled([['eni-1', ['sg-a']]]);
    expect(s.makeWarm('eni-1', 5_000, 100)).toBe(true);
    expect(s.get('eni-1')).toMatchObject({ phase: 'warm', warmUntil: 5_000, warmSince: 100 });
    expect(s.get('eni-1')?.releaseAt).toBeUndefined();
    expect(s.counts()).toMatchObject({ warm: 1, cooling: 0, free: 9 });
  });

  it.each([
    ['an active ENI', (s: NodeBranchState) => s.record(full('eni-x', 9, 'live', ['sg-a'])), 'eni-x'],
    ['an unknown ENI', () => undefined, 'eni-nope'],
    ['an ENI without known groups', (s: NodeBranchState) => {
      s.record({ eniId: 'eni-g', vlanId: 8, pod: pod('g'), index: 0, phase: 'active', associationId: 'a', macAddress: 'm', privateIp: 'i' });
      s.startCooldown('g', 0);
    }, 'eni-g'],
    ['an ENI without an association', (s: NodeBranchState) => {
      s.record({ eniId: 'eni-u', vlanId: 7, pod: pod('u'), index: 0, phase: 'active', groups: ['sg-a'], macAddress: 'm', privateIp: 'i' });
      s.startCooldown('u', 0);
    }, 'eni-u'],
  ])('refuses %s (it could not be handed over without an EC2 call)', (_what, setup, eni) => {
    const s = cooled([]);
    setup(s);
    expect(s.makeWarm(eni, 5_000, 0)).toBe(false);
  });
});

describe('takeWarm', () => {
  it('hands a warm ENI of exactly the pod’s groups to the pod, the most recently warmed first', () => {
    const s = cooled([['eni-1', ['sg-a', 'sg-b']], ['eni-2', ['sg-b', 'sg-a']], ['eni-3', ['sg-a']]]);
    s.makeWarm('eni-1', 9_000, 10);
    s.makeWarm('eni-2', 9_000, 20);
    s.makeWarm('eni-3', 9_000, 30);
    const got = s.takeWarm(['sg-b', 'sg-a'], pod('new'), 0, 50);
    expect(got).toMatchObject({ eniId: 'eni-2', phase: 'active', pod: pod('new') });
    expect(got?.warmUntil).toBeUndefined();
    expect(s.activeFor('new').map((r) => r.eniId)).toEqual(['eni-2']);
    // No warm ENI of a group set that only overlaps.
    expect(s.takeWarm(['sg-a', 'sg-c'], pod('other'), 0, 50)).toBeUndefined();
  });

  it('leaves an ENI claimed by a waiting pod to that pod until the claim lapses', () => {
    const s = cooled([['eni-1', ['sg-a']]], 1_000);
    expect(s.claimCooling(['sg-a'], 'waiter', () => 1_000, 2_000, 0)).toBe(1_000);
    s.makeWarm('eni-1', 60_000, 1_000);
    expect(s.takeWarm(['sg-a'], pod('intruder'), 0, 1_500)).toBeUndefined();
    expect(s.takeWarm(['sg-a'], pod('waiter'), 0, 1_500)?.eniId).toBe('eni-1');
  });

  it('a lapsed claim (10 s after the ENI was due) no longer blocks others', () => {
    const s = cooled([['eni-1', ['sg-a']]], 1_000);
    s.claimCooling(['sg-a'], 'gone', () => 1_000, 2_000, 0);
    s.makeWarm('eni-1', 60_000, 1_000);
    expect(s.takeWarm(['sg-a'], pod('late'), 0, 11_001)?.eniId).toBe('eni-1');
  });
});

describe('claimCooling', () => {
  it('claims the cooling ENI of the same groups that is due soonest, within the wait', () => {
    const s = cooled([['eni-1', ['sg-a']], ['eni-2', ['sg-a']], ['eni-3', ['sg-b']]]);
    const due: Record<string, number> = { 'eni-1': 4_000, 'eni-2': 3_000, 'eni-3': 1_000 };
    expect(s.claimCooling(['sg-a'], 'p1', (e) => due[e], 5_000, 0)).toBe(3_000);
    expect(s.get('eni-2')).toMatchObject({ claimedBy: 'p1', claimUntil: 13_000 });
    // Asking again returns the same claim; a second pod gets the next one.
    expect(s.claimCooling(['sg-a'], 'p1', (e) => due[e], 5_000, 0)).toBe(3_000);
    expect(s.claimCooling(['sg-a'], 'p2', (e) => due[e], 5_000, 0)).toBe(4_000);
    // None left for a third pod, and none due within a shorter wait.
    expect(s.claimCooling(['sg-a'], 'p3', (e) => due[e], 5_000, 0)).toBeUndefined();
  });

  it('claims nothing due after the latest time the pod would wait, or with an unknown due time', () => {
    const s = cooled([['eni-1', ['sg-a']], ['eni-2', ['sg-a']]]);
    expect(s.claimCooling(['sg-a'], 'p', (e) => (e === 'eni-1' ? 9_000 : undefined), 5_000, 0)).toBeUndefined();
    expect(s.get('eni-1')?.claimedBy).toBeUndefined();
  });
});

describe('lruWarm and expiredWarm', () => {
  it('evicts the least recently warmed ENI first, whatever its groups', () => {
    const s = cooled([['eni-1', ['sg-a']], ['eni-2', ['sg-b']], ['eni-3', ['sg-a']]]);
    s.makeWarm('eni-1', 100_000, 300);
    s.makeWarm('eni-2', 100_000, 100);
    s.makeWarm('eni-3', 100_000, 200);
    expect(s.lruWarm()?.eniId).toBe('eni-2');
    s.takeWarm(['sg-b'], pod('x'), 0, 400);
    expect(s.lruWarm()?.eniId).toBe('eni-3');
  });

  it('lists warm ENIs whose time is up, and only warm ones', () => {
    const s = cooled([['eni-1', ['sg-a']], ['eni-2', ['sg-a']], ['eni-3', ['sg-a']]]);
    s.makeWarm('eni-1', 1_000, 0);
    s.makeWarm('eni-2', 5_000, 0);
    expect(s.expiredWarm(1_000).map((r) => r.eniId)).toEqual(['eni-1']);
    expect(s.expiredWarm(10_000).map((r) => r.eniId).sort()).toEqual(['eni-1', 'eni-2']);
    expect(s.lruWarm()).toBeDefined();
    expect(cooled([['eni-9', ['sg-a']]]).lruWarm()).toBeUndefined();
  });
});
