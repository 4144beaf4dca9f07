// The DescribeNetworkInterfaces planner: whichever index it picks (or a full scan), results come
// in creation order and pages neither skip nor repeat ENIs.
import { describe, expect, it } from 'vitest';
import { seedDefaultWorld } from '../../../src/sim/ec2/default-world.js';
import { queryEnis } from '../../../src/sim/ec2/eni-query.js';
import { IdFactory, isWellFormedId } from '../../../src/sim/ec2/ids.js';
import type { PageRequest } from '../../../src/sim/ec2/pagination.js';
import type { Filter } from '../../../src/sim/ec2/query-params.js';
import { World } from '../../../src/sim/ec2/world.js';

function world(): { w: World; subnets: string[] } {
  const w = new World({ region: 'us-west-2', securityGroupsPerInterface: 5, attachDelayMs: () => 0, consistencyDelayMs: () => 0, now: () => 0, idSeed: 9 });
  const d = seedDefaultWorld(w);
  return { w, subnets: d.subnets.map((s) => s.subnetId) };
}

function allPages(w: World, filters: Filter[], pageSize: number): string[] {
  const out: string[] = [];
  let page: PageRequest = { maxResults: pageSize, after: 0 };
  for (let guard = 0; guard < 10_000; guard++) {
    const r = queryEnis(w, [], filters, page);
    out.push(...r.items.map((e) => e.networkInterfaceId));
    if (!r.nextToken) return out;
    const last = r.items[r.items.length - 1];
    page = { maxResults: pageSize, after: last?.seq ?? 0 };
  }
  throw new Error('pagination did not end');
}

describe('ENI query planner', () => {
  it('tag index (tags added out of creation order) still yields creation order, small and large candidate sets', () => {
    const { w, subnets } = world();
    const ids: string[] = [];
    for (let i = 0; i < 6000; i++) ids.push(w.createNetworkInterface({ subnetId: subnets[i % 3] ?? '' }).networkInterfaceId);
    // Tag in reverse order so the tag index's insertion order is the opposite of creation order.
    for (let i = ids.length - 1; i >= 0; i--) {
      w.createTags([ids[i] ?? ''], [{ key: 'all', value: 'yes' }]);
      if (i % 100 === 0) w.createTags([ids[i] ?? ''], [{ key: 'few', value: 'yes' }]);
    }
    const few = ids.filter((_, i) => i % 100 === 0);
    expect(allPages(w, [{ name: 'tag:few', values: ['yes'] }], 7)).toEqual(few);
    // 6,000 candidates is above the sort limit: the planner scans in creation order instead.
    expect(allPages(w, [{ name: 'tag:all', values: ['yes'] }], 1000)).toEqual(ids);
    expect(allPages(w, [{ name: 'tag-key', values: ['few'] }, { name: 'subnet-id', values: [subnets[0] ?? ''] }], 5)).toEqual(few.filter((_, i) => (i * 100) % 3 === 0));
  });

  it('subnet index, union of subnets, attachment index and full scan agree with a brute-force filter', () => {
    const { w, subnets } = world();
    const inst = w.runInstances({ imageId: 'ami-0123456789abcdef0', instanceType: 'c5.4xlarge', subnetId: subnets[0] ?? '', minCount: 1, maxCount: 1 })[0];
    const made = Array.from({ length: 300 }, (_, i) => w.createNetworkInterface({ subnetId: subnets[i % 3] ?? '', description: i % 2 ? 'odd' : 'even' }));
    // Attach a few in reverse creation order.
    const inA = made.filter((e) => e.subnetId === subnets[0]).slice(0, 5).reverse();
    inA.forEach((e, k) => w.attachNetworkInterface(e.networkInterfaceId, inst?.instanceId ?? '', k + 1));
    const brute = (pred: (e: (typeof made)[number]) => boolean): string[] => [...w.allEnis()].filter(pred).map((e) => e.networkInterfaceId);
    expect(allPages(w, [{ name: 'subnet-id', values: [subnets[1] ?? ''] }], 9)).toEqual(brute((e) => e.subnetId === subnets[1]));
    expect(allPages(w, [{ name: 'subnet-id', values: [subnets[2] ?? '', subnets[1] ?? ''] }, { name: 'description', values: ['odd'] }], 11)).toEqual(
      brute((e) => (e.subnetId === subnets[1] || e.subnetId === subnets[2]) && e.description === 'odd'),
    );
    expect(allPages(w, [{ name: 'attachment.instance-id', values: [inst?.instanceId ?? ''] }], 5)).toEqual(brute((e) => e.attachment?.instanceId === inst?.instanceId));
    expect(allPages(w, [{ name: 'description', values: ['ev*'] }], 50)).toEqual(brute((e) => e.description === 'even'));
    expect(allPages(w, [{ name: 'network-interface-id', values: [made[5]?.networkInterfaceId ?? '', made[1]?.networkInterfaceId ?? ''] }], 5)).toEqual([made[1]?.networkInterfaceId, made[5]?.networkInterfaceId]);
  });
});

describe('IDs', () => {
  it('look like EC2 IDs, are unique, and the checker accepts 8 or 17 hex digits only', () => {
    const f = new IdFactory(1);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = f.next('eni');
      expect(id).toMatch(/^eni-[0-9a-f]{17}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
    expect(f.next('trunk-assoc')).toMatch(/^trunk-assoc-[0-9a-f]{17}$/);
    expect(f.mac()).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(isWellFormedId('sg', 'sg-0123abcd')).toBe(true);
    expect(isWellFormedId('sg', 'sg-0123abcd0123abcd0')).toBe(true);
    expect(isWellFormedId('sg', 'sg-0123')).toBe(false);
    expect(isWellFormedId('sg', 'sg-0123ABCD')).toBe(false);
    expect(isWellFormedId('i', 'eni-0123abcd')).toBe(false);
  });
});
