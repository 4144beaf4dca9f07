import { describe, expect, it } from 'vitest';
import {
  instanceLimits,
  instanceLimitsEntryErrors,
  LimitsTable,
  parseLimitsOverrides,
  SHIPPED_LIMITS_SOURCE,
  shippedEntries,
} from '../../../src/domain/instance-limits.js';

describe('instanceLimits (shipped data)', () => {
  it.each<[string, boolean, number, number, number]>([
    // type, trunk, branch limit, interfaces, device slots
    ['m5.large', true, 9, 3, 3],
    ['c5.xlarge', true, 18, 4, 4],
    ['m5.metal', true, 120, 15, 15],
    ['t3.medium', false, 0, 3, 3],
    ['r7a.medium', true, 4, 2, 2],
    // several network cards: slots are the default card's, not the instance total
    ['p4d.24xlarge', true, 62, 60, 15],
  ])('%s: trunk %s, branch limit %i, %i interfaces, %i device slots', (type, trunk, branch, interfaces, slots) => {
    expect(instanceLimits(type)).toMatchObject({
      instanceType: type,
      trunkSupported: trunk,
      branchLimit: branch,
      interfaces,
      deviceSlots: slots,
      defaultNetworkCardIndex: 0,
    });
  });

  it('unknown type → undefined', () => {
    expect(instanceLimits('z9.huge')).toBeUndefined();
    expect(instanceLimits('_source')).toBeUndefined();
  });

  it('ships 1164 types, 1060 trunk-capable, no t family, with provenance', () => {
    const table = new LimitsTable();
    expect(table.size).toBe(1164);
    expect(table.instanceTypes().filter((t) => table.get(t)?.trunkSupported)).toHaveLength(1060);
    expect(table.instanceTypes().filter((t) => /^t\d/.test(t) && table.get(t)?.trunkSupported)).toEqual([]);
    expect(SHIPPED_LIMITS_SOURCE).toMatch(/amazon-vpc-resource-controller-k8s/);
  });

  it('every shipped entry passes the same validation as an override', () => {
    const problems = [...shippedEntries()].flatMap(([type, e]) => instanceLimitsEntryErrors(type, e));
    expect(problems).toEqual([]);
  });

  it('returns copies: mutating a result does not change the table', () => {
    const a = instanceLimits('m5.large')!;
    a.networkCards[0]!.maximumNetworkInterfaces = 99;
    expect(instanceLimits('m5.large')!.networkCards[0]!.maximumNetworkInterfaces).toBe(3);
  });
});

describe('LimitsTable overrides', () => {
  it('a partial override of a shipped type keeps the other fields', () => {
    const r = LimitsTable.fromOverrideText('{"m5.large": {"branchInterface": 5}}', 'limits.json');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.get('m5.large')).toMatchObject({ branchLimit: 5, interfaces: 3, trunkSupported: true, deviceSlots: 3 });
    expect(r.value.get('c5.xlarge')?.branchLimit).toBe(18);
    expect([...r.value.overridden]).toEqual(['m5.large']);
  });

  it('a new type from YAML gets one network card with all its interfaces', () => {
    const yaml = '_comment: added before the next release\nx9g.large:\n  interface: 4\n  ipv4PerInterface: 15\n  isTrunkingCompatible: true\n  branchInterface: 12\n';
    const r = LimitsTable.fromOverrideText(yaml, 'configmap kube-system/limits key limits.yaml');
    expect(r.ok && r.value.get('x9g.large')).toEqual({
      instanceType: 'x9g.large',
      interfaces: 4,
      ipv4PerInterface: 15,
      trunkSupported: true,
      branchLimit: 12,
      deviceSlots: 4,
      networkCards: [{ networkCardIndex: 0, maximumNetworkInterfaces: 4 }],
      defaultNetworkCardIndex: 0,
    });
  });

  it('can turn trunk support off for a type', () => {
    const r = LimitsTable.fromOverrideText('m5.large: {isTrunkingCompatible: false, branchInterface: 0}', 'f');
    expect(r.ok && r.value.get('m5.large')).toMatchObject({ trunkSupported: false, branchLimit: 0 });
  });

  it('an empty document overrides nothing', () => {
    expect(parseLimitsOverrides('', 'f')).toEqual({ ok: true, value: new Map() });
  });

  it.each<[string, string, RegExp]>([
    ['not YAML', '{"m5.large": ', /^f: not valid JSON or YAML/],
    ['a list', '[1, 2]', /^f: must be a map from instance type to limits/],
    ['a bad type name', '{"M5 Large": {"branchInterface": 1}}', /"M5 Large" is not an instance type name/],
    ['an entry that is not a map', '{"m5.large": 7}', /f: m5\.large: must be a map of limit fields/],
    ['an unknown field', '{"m5.large": {"branches": 7}}', /unknown field\(s\) branches/],
    ['a new type missing fields', '{"x9.large": {"interface": 3}}', /x9\.large: a type not in the shipped data needs ipv4PerInterface, isTrunkingCompatible, branchInterface/],
    ['branch limit above the VLAN range', '{"m5.large": {"branchInterface": 121}}', /m5\.large\.branchInterface: must be an integer from 0 to 120/],
    ['a fractional count', '{"m5.large": {"interface": 2.5}}', /m5\.large\.interface: must be an integer >= 1 \(got 2\.5\)/],
    ['a string boolean', '{"m5.large": {"isTrunkingCompatible": "yes"}}', /isTrunkingCompatible: must be true or false \(got "yes"\)/],
    ['trunk without branches', '{"m5.large": {"branchInterface": 0}}', /branchInterface: must be at least 1 when isTrunkingCompatible is true/],
    ['branches without trunk', '{"t3.medium": {"branchInterface": 3}}', /branchInterface: must be 0 when isTrunkingCompatible is false/],
    ['no network cards', '{"m5.large": {"networkCards": []}}', /networkCards: must be a non-empty list/],
    ['a duplicate card', '{"m5.large": {"networkCards": [{"networkCardIndex": 0, "maximumNetworkInterfaces": 3}, {"networkCardIndex": 0, "maximumNetworkInterfaces": 3}]}}', /networkCards\[1\]\.networkCardIndex: 0 is listed twice/],
    ['a card without maximum', '{"m5.large": {"networkCards": [{"networkCardIndex": 0}]}}', /networkCards\[0\]\.maximumNetworkInterfaces: must be an integer >= 1/],
    ['a default card that does not exist', '{"m5.large": {"defaultNetworkCardIndex": 2}}', /defaultNetworkCardIndex: 2 is not one of the networkCards/],
  ])('rejects %s with a clear error', (_name, text, message) => {
    const r = LimitsTable.fromOverrideText(text, 'f');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(message);
  });

  it('rejects the whole document when any entry is bad, listing every problem', () => {
    const r = parseLimitsOverrides('{"m5.large": {"branchInterface": 5}, "c5.xlarge": {"interface": 0}, "m5.metal": {"branchInterface": 500}}', 'f');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(2);
  });
});
