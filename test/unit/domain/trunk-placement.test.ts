import { describe, expect, it } from 'vitest';
import { instanceLimits } from '../../../src/domain/instance-limits.js';
import { planTrunkPlacement } from '../../../src/domain/trunk-placement.js';

const place = (type: string, attached: number[], customNetworking = false) =>
  planTrunkPlacement({ instanceType: type, limits: instanceLimits(type), attachedDeviceIndexes: attached, customNetworking });

describe('planTrunkPlacement', () => {
  it.each<[string, number[], boolean, number]>([
    ['m5.large', [0], false, 2],
    ['m5.large', [0, 2], false, 1],
    ['c5.xlarge', [0, 1], false, 3],
    ['m5.metal', [0, 1, 2], false, 14],
    ['c5.xlarge', [0, 1], true, 3],
    // multi-card type: only the default card's 15 indexes count
    ['p4d.24xlarge', [0], false, 14],
    ['m5.large', [0, 7, 99], false, 2], // indexes outside the card are ignored
  ])('%s with %j attached (custom networking %s) → index %i', (type, attached, cn, index) => {
    expect(place(type, attached, cn)).toEqual({ ok: true, deviceIndex: index });
  });

  it('two-slot type without custom networking uses slot 1', () => {
    expect(place('r7a.medium', [0])).toEqual({ ok: true, deviceIndex: 1 });
  });

  it.each<[string, number[], boolean, string, RegExp]>([
    ['t3.medium', [0], false, 'unsupported', /^The instance type t3\.medium is not supported for trunk interface \(Security Group for Pods\)$/],
    ['z9.huge', [0], false, 'unknown-type', /^The instance type z9\.huge is not supported for trunk interface \(Security Group for Pods\): the type is not in the controller's instance limits; if it supports trunking, add it with --instance-limits-file$/],
    ['r7a.medium', [0], true, 'custom-networking-needs-slots', /^The instance type r7a\.medium has only 2 network interface slots: .* Use an instance type with at least 3 network interfaces, or turn off custom networking for this node\.$/],
    ['m7g.medium', [0, 1], true, 'custom-networking-needs-slots', /only 2 network interface slots/],
    ['m5.large', [0, 1, 2], false, 'no-free-slot', /^All 3 network interface slots of this m5\.large instance are in use, .*WARM_ENI_TARGET/],
  ])('%s with %j (custom networking %s) → refused: %s', (type, attached, cn, code, reason) => {
    const r = place(type, attached, cn);
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
