// The warm minimum's I/O step against the in-memory EC2: top-ups are created and associated in the
// background pool with the warm tag, each with a ClientToken of its own and a VLAN of the node's
// allocator, recorded warm; a failed top-up leaves no ENI and gives its VLAN back.
import { describe, expect, it } from 'vitest';
import { TAG_POD_NAME, TAG_POD_UID, TAG_WARM } from '../../../../src/apis/constants.js';
import type { ReleaseItem } from '../../../../src/domain/branch-book.js';
import { BranchBook } from '../../../../src/domain/branch-book.js';
import { WarmMinimumPlanner } from '../../../../src/domain/warm-minimum.js';
import { WarmTopUps } from '../../../../src/controllers/pod/warm-topup.js';
import type { TrunkInfo } from '../../../../src/controllers/trunk-registry.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';

const trunk: TrunkInfo = { nodeName: 'node-1', instanceId: 'i-1', trunkEniId: 'eni-trunk', subnetId: 'subnet-1', subnetCidr: '10.0.0.0/19', defaultSecurityGroups: ['sg-node'], branchLimit: 9 };

function setup(minWarm = 2) {
  const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
  ec2.enis.set('eni-trunk', { NetworkInterfaceId: 'eni-trunk', InterfaceType: 'trunk', SubnetId: 'subnet-1', Status: 'in-use', TagSet: [] });
  const book = new BranchBook();
  const { state } = book.ensureNode('node-1', trunk);
  // A pod of group set [sg-a] runs on the node.
  book.record('node-1', { eniId: 'eni-pod', vlanId: state.reserveVlan()!, pod: { uid: 'u1', namespace: 'ns', name: 'p1' }, index: 0, phase: 'active', groups: ['sg-a'] });
  const released: ReleaseItem[] = [];
  const watched: string[] = [];
  const results: string[] = [];
  let clock = 1_000_000;
  const topUps = new WarmTopUps({
    ec2,
    clusterName: 'c1',
    book,
    planner: new WarmMinimumPlanner(),
    settings: () => ({ minWarm, windowMs: 600_000, settleMs: 0, headroom: 1 }),
    warmSeconds: () => 180,
    trunk: (n) => (n === 'node-1' ? trunk : undefined),
    rebuilt: () => true,
    waitingForSlot: () => false,
    releaser: { releaseEni: (item) => (released.push(item), book.releaseEni(item)) },
    watchExpiry: (id) => watched.push(id),
    tagged: () => undefined,
    tokenEpoch: 'e1',
    metrics: { warmTopUp: (r) => results.push(r), warm: () => undefined },
    logger: silentLogger(),
    now: () => clock,
  });
  return { ec2, book, state, topUps, released, watched, results, tick: (ms: number) => (clock += ms) };
}

describe('WarmTopUps', () => {
  it('names its top-ups in `creating` while their create is in flight (the GC leaves those ENIs alone), and not after', async () => {
    const { ec2, topUps } = setup(1);
    topUps.pass();
    expect(topUps.creating.size).toBe(1);
    const [uid] = [...topUps.creating];
    expect(uid).toMatch(/^warm-e1-/);
    await topUps.whenIdle();
    expect(topUps.creating.size).toBe(0);
    // The ENI carries that UID: what the GC looks up while the create runs.
    expect(ec2.branchEnis().some((e) => e.TagSet?.some((t) => t.Key === TAG_POD_UID && t.Value === uid))).toBe(true);
  });

  it('creates the shortfall in the background pool, tagged warm, on VLANs of the allocator, recorded warm', async () => {
    const { ec2, book, state, topUps, watched, results } = setup();
    expect(topUps.pass()).toEqual([{ nodeName: 'node-1', groups: ['sg-a'], count: 2 }]);
    // In flight counts: a second pass plans nothing more.
    expect(topUps.pass()).toEqual([]);
    await topUps.whenIdle();
    expect(results).toEqual(['created', 'created']);
    const warm = state.all().filter((r) => r.phase === 'warm');
    expect(warm).toHaveLength(2);
    expect(new Set(state.all().map((r) => r.vlanId)).size).toBe(3);
    expect(watched.sort()).toEqual(warm.map((r) => r.eniId).sort());
    for (const c of ec2.calls.filter((c) => c.action === 'CreateNetworkInterface' || c.action === 'AssociateTrunkInterface')) expect(c.opts.priority).toBe('background');
    const creates = ec2.calls.filter((c) => c.action === 'CreateNetworkInterface');
    expect(new Set(creates.map((c) => JSON.stringify(c.opts.purpose))).size).toBe(2);
    for (const e of ec2.branchEnis().filter((e) => e.NetworkInterfaceId !== 'eni-pod')) {
      const tags: Record<string, string | undefined> = Object.fromEntries((e.TagSet ?? []).map((t) => [t.Key ?? '', t.Value]));
      expect(tags[TAG_WARM]).toBe('true');
      expect(tags[TAG_POD_UID]).toMatch(/^warm-e1-\d+$/);
      expect(tags[TAG_POD_NAME]).toBeUndefined();
      expect(e.Groups?.map((g) => g.GroupId)).toEqual(['sg-a']);
    }
    expect(ec2.associations.size).toBe(2);
    // Full: nothing more, and the book counts them as warm.
    expect(topUps.pass()).toEqual([]);
    expect(book.warmByNode().get('node-1')).toBe(2);
  });

  it('a failed associate leaves no ENI behind and gives the VLAN back', async () => {
    const { ec2, state, topUps, results } = setup(1);
    const freeBefore = state.free;
    ec2.failNext('AssociateTrunkInterface', 'InvalidParameterValue');
    topUps.pass();
    await topUps.whenIdle();
    expect(results).toEqual(['failed']);
    expect(ec2.count('DeleteNetworkInterface')).toBe(1);
    expect(ec2.branchEnis().map((e) => e.NetworkInterfaceId).filter((id) => id !== 'eni-pod')).toEqual([]);
    expect(state.free).toBe(freeBefore);
    // The next pass tries again with a new ClientToken and succeeds.
    topUps.pass();
    await topUps.whenIdle();
    expect(results).toEqual(['failed', 'created']);
    const purposes = ec2.calls.filter((c) => c.action === 'CreateNetworkInterface').map((c) => JSON.stringify(c.opts.purpose));
    expect(new Set(purposes).size).toBe(2);
  });

  it('nothing with the minimum at 0', () => {
    const { topUps } = setup(0);
    expect(topUps.pass()).toEqual([]);
  });
});
