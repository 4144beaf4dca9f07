// The warm minimum's planning (issue 14, optional item): which group sets a node keeps ENIs ready
// for, what counts toward the minimum, when a shortfall is acted on, and where top-ups stop.
import { describe, expect, it } from 'vitest';
import { WarmMinimumPlanner, warmMinimumProblem, type NodeView, type RecordView, type WarmMinimumSettings } from '../../../src/domain/warm-minimum.js';

const S: WarmMinimumSettings = { minWarm: 2, windowMs: 600_000, settleMs: 5_000, headroom: 1 };
const A = ['sg-a'];
const B = ['sg-b', 'sg-c'];
const rec = (phase: RecordView['phase'], groups: string[]): RecordView => ({ phase, groups });
const node = (records: RecordView[], over: Partial<NodeView> = {}): NodeView => ({ nodeName: 'n1', free: 20, records, inFlight: new Map(), podsWaitingForSlot: false, ...over });

/** Observe, then plan twice: once to start the shortfall clock, once after it settled. */
function settledPlan(p: WarmMinimumPlanner, n: NodeView, s = S, t0 = 0) {
  p.observe(n.nodeName, n.records, t0);
  expect(p.plan([n], s, t0)).toEqual([]);
  return p.plan([n], s, t0 + s.settleMs);
}

describe('WarmMinimumPlanner.plan', () => {
  it('tops up a group set a pod uses on the node to the minimum, once the shortfall has lasted settleMs', () => {
    const p = new WarmMinimumPlanner();
    expect(settledPlan(p, node([rec('active', A)]))).toEqual([{ nodeName: 'n1', groups: A, count: 2 }]);
  });

  it('counts warm and cooling ENIs of the group set, and top-ups in flight', () => {
    const p = new WarmMinimumPlanner();
    expect(settledPlan(p, node([rec('active', A), rec('cooling', A)]))).toEqual([{ nodeName: 'n1', groups: A, count: 1 }]);
    const q = new WarmMinimumPlanner();
    expect(settledPlan(q, node([rec('active', A), rec('cooling', A), rec('warm', A)]))).toEqual([]);
    const r = new WarmMinimumPlanner();
    expect(settledPlan(r, node([rec('active', A), rec('warm', A)], { inFlight: new Map([['sg-a', 1]]) }))).toEqual([]);
  });

  it('does not count ENIs of other group sets (order of IDs does not matter)', () => {
    const p = new WarmMinimumPlanner();
    const plan = settledPlan(p, node([rec('active', ['sg-c', 'sg-b']), rec('warm', A), rec('warm', A), rec('warm', ['sg-b'])]));
    expect(plan).toEqual([{ nodeName: 'n1', groups: B, count: 2 }]);
  });

  it('a shortfall that ends before settleMs (the old pod ENI starts cooling) makes no top-up', () => {
    const p = new WarmMinimumPlanner();
    p.observe('n1', [rec('active', A), rec('warm', A), rec('warm', A)], 0);
    expect(p.plan([node([rec('active', A), rec('warm', A), rec('warm', A)])], S, 0)).toEqual([]);
    // A new pod took a warm ENI: short by one for a moment…
    const taken = node([rec('active', A), rec('active', A), rec('warm', A)]);
    expect(p.plan([taken], S, 1_000)).toEqual([]);
    // …until its predecessor's ENI cools.
    expect(p.plan([node([rec('active', A), rec('cooling', A), rec('warm', A)])], S, 2_000)).toEqual([]);
    // A new shortfall starts its clock anew.
    expect(p.plan([taken], S, 3_000)).toEqual([]);
    expect(p.plan([taken], S, 7_999)).toEqual([]);
    expect(p.plan([taken], S, 8_000)).toEqual([{ nodeName: 'n1', groups: A, count: 1 }]);
  });

  it('no top-ups for a group set unused for longer than the window', () => {
    const p = new WarmMinimumPlanner();
    p.observe('n1', [rec('active', A)], 0);
    const gone = node([rec('warm', A)]);
    expect(p.plan([gone], S, 0)).toEqual([]);
    expect(p.plan([gone], S, 600_000)).toEqual([{ nodeName: 'n1', groups: A, count: 1 }]);
    expect(p.plan([node([])], S, 600_001)).toEqual([]);
    expect(p.recent('n1', S, 600_001)).toEqual([]);
  });

  it('never takes the last headroom slots, nor any slot while a pod waits for one', () => {
    const p = new WarmMinimumPlanner();
    expect(settledPlan(p, node([rec('active', A)], { free: 2 }))).toEqual([{ nodeName: 'n1', groups: A, count: 1 }]);
    const q = new WarmMinimumPlanner();
    expect(settledPlan(q, node([rec('active', A)], { free: 1 }))).toEqual([]);
    const r = new WarmMinimumPlanner();
    expect(settledPlan(r, node([rec('active', A)], { podsWaitingForSlot: true }))).toEqual([]);
  });

  it('shares scarce slots most recently used group set first', () => {
    const p = new WarmMinimumPlanner();
    p.observe('n1', [rec('active', A)], 0);
    p.observe('n1', [rec('active', B)], 1_000);
    const n = node([rec('active', A), rec('active', B)], { free: 3 });
    expect(p.plan([n], S, 1_000)).toEqual([]);
    expect(p.plan([n], S, 6_000)).toEqual([{ nodeName: 'n1', groups: B, count: 2 }]);
  });

  it('plans per node, and nothing when the minimum is 0', () => {
    const p = new WarmMinimumPlanner();
    const n1 = node([rec('active', A)]);
    const n2 = node([rec('active', A), rec('warm', A), rec('warm', A)], { nodeName: 'n2' });
    p.observe('n1', n1.records, 0);
    p.observe('n2', n2.records, 0);
    p.plan([n1, n2], S, 0);
    expect(p.plan([n1, n2], S, 5_000)).toEqual([{ nodeName: 'n1', groups: A, count: 2 }]);
    expect(p.plan([n1, n2], { ...S, minWarm: 0 }, 10_000)).toEqual([]);
  });

  it('forgets a node that went', () => {
    const p = new WarmMinimumPlanner();
    p.observe('n1', [rec('active', A)], 0);
    p.forgetNode('n1');
    expect(p.recent('n1', S, 1)).toEqual([]);
  });
});

describe('WarmMinimumPlanner.keepAtExpiry', () => {
  it('keeps an expiring warm ENI of a recently used group set while the node holds no more than the minimum', () => {
    const p = new WarmMinimumPlanner();
    p.observe('n1', [rec('active', A)], 0);
    expect(p.keepAtExpiry('n1', A, [rec('warm', A), rec('cooling', A)], S, 1_000)).toBe(true);
    expect(p.keepAtExpiry('n1', A, [rec('warm', A), rec('warm', A), rec('cooling', A)], S, 1_000)).toBe(false);
    expect(p.keepAtExpiry('n1', A, [rec('warm', A)], S, 700_000)).toBe(false);
    expect(p.keepAtExpiry('n1', B, [rec('warm', B)], S, 1_000)).toBe(false);
    expect(p.keepAtExpiry('n1', A, [rec('warm', A)], { ...S, minWarm: 0 }, 1_000)).toBe(false);
  });
});

describe('warmMinimumProblem', () => {
  it.each([
    [0, 600, undefined],
    [2, 1, undefined],
    [-1, 600, 'minimum of warm branch ENIs must be a whole number from 0 to 120, got -1'],
    [1.5, 600, 'got 1.5'],
    [121, 600, 'got 121'],
    [2, 0, 'window of recently used group sets must be a whole number of seconds from 1 to 86400, got 0'],
  ])('min %s, window %s → %s', (min, window, problem) => {
    const got = warmMinimumProblem(min, window);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});
