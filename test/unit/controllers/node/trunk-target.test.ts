import { describe, expect, it } from 'vitest';
import { groupDriftMessage, subnetDriftMessage, trunkDrift, trunkTarget } from '../../../../src/controllers/node/trunk-target.js';

const facts = { subnetId: 'subnet-node', primaryGroups: ['sg-primary'] };

describe('trunkTarget', () => {
  it('uses the ENIConfig subnet and groups when resolved', () => {
    expect(trunkTarget({ state: 'resolved', name: 'az-a', subnet: 'subnet-pods', securityGroups: ['sg-1', 'sg-2'], source: 'x' }, facts)).toEqual({
      subnetId: 'subnet-pods',
      groups: ['sg-1', 'sg-2'],
      eniConfig: 'az-a',
    });
  });
  it("falls back to the primary ENI's groups when the ENIConfig lists none", () => {
    expect(trunkTarget({ state: 'resolved', name: 'az-a', subnet: 'subnet-pods', securityGroups: [], source: 'x' }, facts).groups).toEqual(['sg-primary']);
  });
  it("uses the instance's subnet and primary groups without custom networking", () => {
    expect(trunkTarget({ state: 'not-needed' }, facts)).toEqual({ subnetId: 'subnet-node', groups: ['sg-primary'] });
  });
});

describe('trunkDrift', () => {
  const target = { subnetId: 's1', groups: ['sg-a', 'sg-b'], eniConfig: 'cfg' };
  it.each([
    ['nothing when equal (order ignored)', { subnetId: 's1', groups: ['sg-b', 'sg-a'] }, {}],
    ['groups', { subnetId: 's1', groups: ['sg-a'] }, { groups: { actual: ['sg-a'], wanted: ['sg-a', 'sg-b'] } }],
    ['subnet', { subnetId: 's2', groups: ['sg-a', 'sg-b'] }, { subnet: { actual: 's2', wanted: 's1' } }],
    ['both', { subnetId: 's2', groups: ['sg-c'] }, { subnet: { actual: 's2', wanted: 's1' }, groups: { actual: ['sg-c'], wanted: ['sg-a', 'sg-b'] } }],
  ])('%s', (_w, trunk, want) => {
    expect(trunkDrift(trunk, target)).toEqual(want);
  });
  it('messages say what to do', () => {
    expect(subnetDriftMessage('eni-1', { actual: 's2', wanted: 's1' }, 'cfg')).toContain('replace the node');
    expect(groupDriftMessage('eni-1', { actual: ['sg-c'], wanted: ['sg-a'] }, 'cfg', false)).toContain('--fix-trunk-security-groups');
    expect(groupDriftMessage('eni-1', { actual: ['sg-c'], wanted: ['sg-a'] }, 'cfg', true)).toContain('updating');
  });
});
