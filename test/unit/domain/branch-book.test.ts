import { describe, expect, it } from 'vitest';
import { BranchBook } from '../../../src/domain/branch-book.js';
import type { BranchRecord } from '../../../src/domain/branch-state.js';

const pod = (uid: string, name = uid) => ({ uid, namespace: 'ns', name });
const rec = (eniId: string, vlanId: number, uid: string, index = 0): BranchRecord => ({ eniId, vlanId, pod: pod(uid), index, phase: 'active' });
const trunk = { trunkEniId: 'eni-t', branchLimit: 4 };

/** A book with node n1 holding eni-1 (pod a, VLAN 1) and eni-2 (pod b, VLAN 2). */
function seeded(): BranchBook {
  const book = new BranchBook();
  book.ensureNode('n1', trunk);
  book.record('n1', rec('eni-1', 1, 'a'));
  book.record('n1', rec('eni-2', 2, 'b'));
  return book;
}

describe('BranchBook (table)', () => {
  const cases: { name: string; act: (b: BranchBook) => unknown; expect: (b: BranchBook, r: unknown) => void }[] = [
    {
      name: 'record on an unknown node is refused',
      act: (b) => b.record('n2', rec('eni-9', 9, 'z')),
      expect: (b, r) => {
        expect(r).toBe(false);
        expect(b.knows('eni-9')).toBe(false);
      },
    },
    {
      name: 'record of a VLAN already held on the node is refused',
      act: (b) => b.record('n1', rec('eni-3', 1, 'c')),
      expect: (b, r) => {
        expect(r).toBe(false);
        expect(b.holders('ns/c')).toEqual([]);
      },
    },
    {
      name: 'releasePod of an unknown node hands over nothing',
      act: (b) => b.releasePod(pod('a'), 'n2', 5),
      expect: (b, r) => {
        expect(r).toEqual([]);
        expect(b.pendingReleases()).toEqual([]);
      },
    },
    {
      name: 'releasePod hands over the pod’s ENIs with its association, cooling from now',
      act: (b) => b.releasePod(pod('a'), 'n1', 5),
      expect: (b, r) => {
        expect(r).toEqual([{ eniId: 'eni-1', nodeName: 'n1', pod: pod('a'), since: 5, immediate: false, orphan: false }]);
        expect(b.totals()).toEqual({ active: 1, cooling: 1 });
      },
    },
    {
      name: 'releasePod twice hands over nothing the second time',
      act: (b) => {
        b.releasePod(pod('a'), 'n1', 5);
        return b.releasePod(pod('a'), 'n1', 6);
      },
      expect: (_b, r) => expect(r).toEqual([]),
    },
    {
      name: 'releaseEni of an unrecorded ENI (GC orphan) is kept for release and known',
      act: (b) => b.releaseEni({ eniId: 'eni-x', nodeName: '', since: 1, immediate: false, orphan: true }),
      expect: (b) => {
        expect(b.knows('eni-x')).toBe(true);
        expect(b.release('eni-x')?.orphan).toBe(true);
      },
    },
    {
      name: 'releaseEni of an ENI already pending returns the pending item (no second item)',
      act: (b) => {
        b.releasePod(pod('a'), 'n1', 5);
        return b.releaseEni({ eniId: 'eni-1', nodeName: 'n1', since: 9, immediate: false, orphan: true });
      },
      expect: (b, r) => {
        expect((r as { since: number }).since).toBe(5);
        expect(b.pendingReleases()).toHaveLength(1);
      },
    },
    {
      name: 'gone frees the VLAN, forgets the release and the holding',
      act: (b) => {
        b.releasePod(pod('a'), 'n1', 5);
        return b.gone('eni-1');
      },
      expect: (b, r) => {
        expect((r as BranchRecord).eniId).toBe('eni-1');
        expect(b.node('n1')?.vlanHeld(1)).toBe(false);
        expect(b.holders('ns/a')).toEqual([]);
        expect(b.pendingReleases()).toEqual([]);
        expect(b.knows('eni-1')).toBe(false);
      },
    },
    {
      name: 'gone of an unknown ENI changes nothing',
      act: (b) => b.gone('eni-nope'),
      expect: (b, r) => {
        expect(r).toBeUndefined();
        expect(b.totals()).toEqual({ active: 2, cooling: 0 });
      },
    },
    {
      name: 'cancelRelease of an ENI not pending changes nothing',
      act: (b) => b.cancelRelease('eni-2'),
      expect: (b) => expect(b.totals()).toEqual({ active: 2, cooling: 0 }),
    },
    {
      name: 'dropNode hands over every ENI of the node and forgets the node',
      act: (b) => b.dropNode('n1', 7),
      expect: (b, r) => {
        expect((r as { eniId: string }[]).map((i) => i.eniId).sort()).toEqual(['eni-1', 'eni-2']);
        expect(b.node('n1')).toBeUndefined();
        expect(b.nodeNames()).toEqual([]);
        expect(b.holders('ns/a')).toEqual([]);
        expect(b.knows('eni-2')).toBe(true);
      },
    },
    {
      name: 'ensureNode with the same trunk keeps the state',
      act: (b) => b.ensureNode('n1', trunk),
      expect: (b, r) => {
        expect((r as { fresh: boolean }).fresh).toBe(false);
        expect(b.node('n1')?.get('eni-1')).toBeDefined();
      },
    },
    {
      name: 'holders lists each incarnation of a key with its node',
      act: (b) => {
        b.ensureNode('n2', { trunkEniId: 'eni-t2', branchLimit: 2 });
        b.record('n2', { ...rec('eni-5', 1, 'a2'), pod: pod('a2', 'a') });
        return b.holders('ns/a');
      },
      expect: (_b, r) =>
        expect(r).toEqual([
          { uid: 'a', nodeName: 'n1' },
          { uid: 'a2', nodeName: 'n2' },
        ]),
    },
  ];
  it.each(cases)('$name', (c) => {
    const b = seeded();
    c.expect(b, c.act(b));
  });
});
