import { describe, expect, it } from 'vitest';
import { NodeBranchState, type BranchRecord } from '../../../src/domain/branch-state.js';
import { BranchBook } from '../../../src/domain/branch-book.js';

const pod = (uid: string, name = uid) => ({ uid, namespace: 'ns', name });
const rec = (eniId: string, vlanId: number, uid: string, index = 0): BranchRecord => ({ eniId, vlanId, pod: pod(uid), index, phase: 'active' });

describe('NodeBranchState', () => {
  it('capacity counts active, cooling and reserved ENIs', () => {
    const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 3 });
    const v1 = s.reserveVlan()!;
    expect(s.record(rec('eni-1', v1, 'a'))).toBe(true);
    const v2 = s.reserveVlan()!;
    expect(s.record(rec('eni-2', v2, 'b'))).toBe(true);
    s.startCooldown('a', 1000);
    expect(s.counts()).toEqual({ active: 1, cooling: 1, warm: 0, reserved: 0, free: 1 });
    const v3 = s.reserveVlan();
    expect(v3).toBe(3);
    expect(s.reserveVlan()).toBeUndefined();
    s.cancelReservation(v3!);
    expect(s.free).toBe(1);
  });

  it('gives a VLAN back only when its ENI is gone, least recently freed first after never-used ones', () => {
    const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 2 });
    s.record(rec('eni-1', s.reserveVlan()!, 'a'));
    s.record(rec('eni-2', s.reserveVlan()!, 'b'));
    expect(s.reserveVlan()).toBeUndefined();
    s.startCooldown('a', 0);
    // Cooling still holds the VLAN.
    expect(s.reserveVlan()).toBeUndefined();
    expect(s.due(0).map((r) => r.eniId)).toEqual(['eni-1']);
    expect(s.markGone('eni-1')?.vlanId).toBe(1);
    // Never-used VLAN 3 comes before freed VLAN 1.
    expect(s.reserveVlan()).toBe(3);
    expect(s.markGone('eni-1')).toBeUndefined();
  });

  it('refuses a second ENI on a VLAN already held (a leftover after a crash)', () => {
    const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 5 });
    expect(s.record(rec('eni-1', 4, 'a'))).toBe(true);
    expect(s.record(rec('eni-2', 4, 'b'))).toBe(false);
    expect(s.all().map((r) => r.eniId)).toEqual(['eni-1']);
    // Re-recording the same ENI is fine and keeps its phase.
    s.startCooldown('a', 10);
    expect(s.record(rec('eni-1', 4, 'a'))).toBe(true);
    expect(s.get('eni-1')?.phase).toBe('cooling');
    expect(s.vlans.inUse).toBe(1);
  });

  it('records found beyond the limit (rebuild) still hold their VLANs', () => {
    const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 1 });
    s.record(rec('eni-1', 7, 'a'));
    s.record(rec('eni-2', 8, 'b'));
    expect(s.free).toBe(0);
    expect(s.vlanHeld(7) && s.vlanHeld(8)).toBe(true);
  });

  it('activeFor lists a pod incarnation’s active ENIs by index', () => {
    const s = new NodeBranchState('n', { trunkEniId: 'eni-t', branchLimit: 5 });
    s.record(rec('eni-b', 2, 'a', 1));
    s.record(rec('eni-a', 1, 'a', 0));
    s.record(rec('eni-c', 3, 'other', 0));
    expect(s.activeFor('a').map((r) => r.eniId)).toEqual(['eni-a', 'eni-b']);
  });
});

describe('BranchBook', () => {
  it('finds a deleted pod’s ENIs by key and hands them to release; gone frees VLAN and holding', () => {
    const b = new BranchBook();
    b.ensureNode('n1', { trunkEniId: 'eni-t', branchLimit: 3 });
    const s = b.node('n1')!;
    b.record('n1', rec('eni-1', s.reserveVlan()!, 'u1', 0));
    expect(b.holders('ns/u1')).toEqual([{ uid: 'u1', nodeName: 'n1' }]);
    const items = b.releasePod(pod('u1'), 'n1', 100);
    expect(items).toMatchObject([{ eniId: 'eni-1', nodeName: 'n1', since: 100, immediate: false, orphan: false }]);
    // Idempotent: the second hand-over finds nothing active.
    expect(b.releasePod(pod('u1'), 'n1', 200)).toEqual([]);
    expect(b.knows('eni-1')).toBe(true);
    expect(b.gone('eni-1')?.vlanId).toBe(1);
    expect(b.knows('eni-1')).toBe(false);
    expect(b.holders('ns/u1')).toEqual([]);
    expect(s.free).toBe(3);
  });

  it('a new trunk ID on a node starts over and hands the old ENIs to release', () => {
    const b = new BranchBook();
    b.ensureNode('n1', { trunkEniId: 'eni-old', branchLimit: 3 });
    b.record('n1', rec('eni-1', 1, 'u1'));
    expect(b.ensureNode('n1', { trunkEniId: 'eni-old', branchLimit: 3 }).fresh).toBe(false);
    const dropped = b.dropNode('n1', 5);
    expect(dropped.map((i) => i.eniId)).toEqual(['eni-1']);
    const { state, fresh } = b.ensureNode('n1', { trunkEniId: 'eni-new', branchLimit: 3 });
    expect(fresh).toBe(true);
    expect(state.all()).toEqual([]);
    expect(b.release('eni-1')?.nodeName).toBe('n1');
  });

  it('cancelRelease puts the ENI back in service (owner found alive)', () => {
    const b = new BranchBook();
    b.ensureNode('n1', { trunkEniId: 'eni-t', branchLimit: 3 });
    b.record('n1', rec('eni-1', 1, 'u1'));
    b.releaseEni({ eniId: 'eni-1', nodeName: 'n1', pod: pod('u1'), since: 0, immediate: false, orphan: true });
    expect(b.node('n1')!.get('eni-1')?.phase).toBe('cooling');
    b.cancelRelease('eni-1');
    expect(b.release('eni-1')).toBeUndefined();
    expect(b.node('n1')!.get('eni-1')?.phase).toBe('active');
    expect(b.node('n1')!.vlans.inUse).toBe(1);
  });

  it('an immediate hand-over upgrades a pending cooldown', () => {
    const b = new BranchBook();
    b.releaseEni({ eniId: 'eni-9', nodeName: '', since: 0, immediate: false, orphan: true });
    expect(b.releaseEni({ eniId: 'eni-9', nodeName: '', since: 5, immediate: true, orphan: false }).immediate).toBe(true);
  });
});
