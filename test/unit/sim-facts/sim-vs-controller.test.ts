// The simulators keep their own copy of every fact they share with the controller (docs/sandbox.md,
// "Own facts"), so that a wrong number or a matcher bug in the controller shows up as a
// disagreement with the local EC2 / API server instead of being tested against itself. This file
// compares the copies. A failure here means one side changed: check the public source, fix the
// wrong side (or both), and if the difference is deliberate, record it below with the reason.
// Never "fix" it by making src/sim import the controller's copy (ESLint forbids that).
import { describe, expect, it } from 'vitest';
import { AWS_REQUEST_BUCKETS, GENERIC_MUTATING_BUCKET, UNFILTERED_DESCRIBE_ACTIONS } from '../../../src/domain/ec2-request-buckets.js';
import { LimitsTable, shippedEntries } from '../../../src/domain/instance-limits.js';
import { labelSelectorErrors, matchesLabelSelector, type LabelSelector } from '../../../src/domain/label-selector.js';
import { encodePodEniAnnotation, decodePodEniAnnotation } from '../../../src/domain/pod-eni-annotation.js';
import { EC2_REQUEST_BUCKETS, OTHER_MUTATING_BUCKET, UNFILTERED_UNPAGINATED_ACTIONS } from '../../../src/sim/ec2/request-buckets.js';
import { catalogEntries, instanceTypeCatalog, slotsOnCard } from '../../../src/sim/ec2/instance-types.js';
import { parseLabelSelector } from '../../../src/sim/kube/label-selector.js';
import { readPodEniAnnotation } from '../../../src/sim/sandbox/pod-eni-reader.js';

describe('EC2 request token buckets: local EC2 (AWS docs copy) vs the controller pacing table', () => {
  it('both copies list the same actions with the same capacity and refill', () => {
    expect(Object.keys(EC2_REQUEST_BUCKETS).sort()).toEqual(Object.keys(AWS_REQUEST_BUCKETS).sort());
    for (const [key, spec] of Object.entries(AWS_REQUEST_BUCKETS)) expect(EC2_REQUEST_BUCKETS[key], key).toEqual(spec);
  });
  it('the same default for other mutating actions and the same unfiltered-describe actions', () => {
    expect(OTHER_MUTATING_BUCKET).toEqual(GENERIC_MUTATING_BUCKET);
    expect([...UNFILTERED_UNPAGINATED_ACTIONS].sort()).toEqual([...UNFILTERED_DESCRIBE_ACTIONS].sort());
  });
  it('are separate objects: changing one copy cannot change the other', () => {
    expect(EC2_REQUEST_BUCKETS.CreateNetworkInterface).not.toBe(AWS_REQUEST_BUCKETS.CreateNetworkInterface);
  });
});

describe('instance-type limits: local EC2 catalog vs the controller limits table', () => {
  const sim = catalogEntries();
  const ctl = shippedEntries();
  const table = new LimitsTable();
  const catalog = instanceTypeCatalog();

  it('both copies know the same instance types', () => {
    expect(sim.size).toBeGreaterThan(1000);
    expect([...sim.keys()].sort()).toEqual([...ctl.keys()].sort());
  });
  it('every type has the same interfaces, addresses, trunk support, branch limit and network cards', () => {
    const bycard = (cards: { networkCardIndex: number; maximumNetworkInterfaces: number }[]) => [...cards].sort((a, b) => a.networkCardIndex - b.networkCardIndex);
    const diffs: string[] = [];
    for (const [type, c] of ctl) {
      const s = sim.get(type);
      if (!s) continue;
      const same =
        s.interface === c.interface &&
        s.ipv4PerInterface === c.ipv4PerInterface &&
        s.isTrunkingCompatible === c.isTrunkingCompatible &&
        s.branchInterface === c.branchInterface &&
        s.defaultNetworkCardIndex === c.defaultNetworkCardIndex &&
        (s.hypervisor ?? '') === (c.hypervisor ?? '') &&
        (s.isBareMetal ?? false) === (c.isBareMetal ?? false) &&
        JSON.stringify(bycard(s.networkCards)) === JSON.stringify(bycard(c.networkCards));
      if (!same) diffs.push(type);
    }
    expect(diffs).toEqual([]);
  });
  it('what EC2 enforces (branch associations, slots on the default card) is what the controller plans with', () => {
    const diffs: string[] = [];
    for (const type of table.instanceTypes()) {
      const limits = table.get(type);
      const info = catalog.get(type);
      if (!limits || !info) continue;
      if (info.branchInterfaces !== limits.branchLimit || slotsOnCard(info, info.defaultNetworkCardIndex) !== limits.deviceSlots) diffs.push(type);
    }
    expect(diffs).toEqual([]);
  });
});

describe('LabelSelector: kube-apiserver webhook selectors (local API server) vs the controller matcher', () => {
  const labelSets: Record<string, string>[] = [{}, { app: 'web' }, { app: 'web', tier: 'front' }, { app: 'db', zone: 'a' }, { tier: '' }];
  const valid: [string, LabelSelector | undefined][] = [
    ['missing (nil)', undefined],
    ['empty', {}],
    ['matchLabels', { matchLabels: { app: 'web' } }],
    ['matchLabels empty value', { matchLabels: { tier: '' } }],
    ['In', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }],
    ['labels AND expressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }],
  ];
  it.each(valid)('%s: same answer for every label set', (_name, selector) => {
    const parsed = parseLabelSelector(selector);
    if (!parsed.ok) throw new Error(parsed.error);
    for (const labels of labelSets) expect(parsed.matches(labels), JSON.stringify(labels)).toBe(matchesLabelSelector(selector, labels));
  });

  // Deliberate difference: kube-apiserver refuses an invalid selector (the webhook call fails with
  // an internal error); the controller reports it as invalid and matches nothing. Both reject it.
  const invalid: [string, LabelSelector][] = [
    ['unknown operator', { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] }],
    ['In without values', { matchExpressions: [{ key: 'app', operator: 'In' }] }],
    ['Exists with values', { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }],
  ];
  it.each(invalid)('%s: both sides reject it', (_name, selector) => {
    expect(parseLabelSelector(selector).ok).toBe(false);
    expect(labelSelectorErrors(selector)).not.toEqual([]);
    for (const labels of labelSets) expect(matchesLabelSelector(selector, labels)).toBe(false);
  });
});

describe('pod-eni annotation: the demo (reads as the CNI does) vs the controller decoder', () => {
  it('both read the same branch ENIs from what the controller writes', () => {
    const text = encodePodEniAnnotation([
      { eniId: 'eni-0123456789abcdef0', ifAddress: '02:00:00:00:00:01', privateIp: '10.0.1.5', vlanId: 1, subnetCidr: '10.0.1.0/24', associationID: 'trunk-assoc-0123456789abcdef0' },
      { eniId: 'eni-0123456789abcdef1', ifAddress: '02:00:00:00:00:02', privateIp: '10.0.1.6', vlanId: 2, subnetCidr: '10.0.1.0/24' },
    ]);
    const ctl = decodePodEniAnnotation(text);
    const sim = readPodEniAnnotation(text);
    if (!ctl.ok || !sim.ok) throw new Error('both must read it');
    expect(sim.value).toEqual(ctl.value.map((e) => ({ eniId: e.eniId, vlanId: e.vlanId, privateIp: e.privateIp })));
  });
  it('both refuse an annotation that is not a list of branch ENIs', () => {
    for (const bad of ['{', '{"eniId":"eni-0123456789abcdef0"}', '[{"vlanId":1}]']) {
      expect(readPodEniAnnotation(bad).ok, bad).toBe(false);
      expect(decodePodEniAnnotation(bad).ok, bad).toBe(false);
    }
  });
});
