// The shared invariant checker's pure parts must catch what they claim to (a checker that never
// fails would make every integration test pass).
import { describe, expect, it } from 'vitest';
import type { EniView } from '../../../../src/sim/ec2/index.js';
import { OrphanTracker, orphanBranchEnis, trunkViolations, vlanViolations } from '../../../integration/helpers/invariants.js';

const trunk = (id: string, instanceId: string, subnetId = 's1', groups = ['sg-1']): EniView =>
  ({ networkInterfaceId: id, interfaceType: 'trunk', status: 'in-use', subnetId, groups, tags: {}, attachment: { instanceId, deviceIndex: 2 } }) as unknown as EniView;

describe('invariant checker', () => {
  it('flags a second trunk on an instance and a trunk in the wrong subnet or with other groups', () => {
    const v = trunkViolations([trunk('eni-1', 'i-1'), trunk('eni-2', 'i-1'), trunk('eni-3', 'i-2', 's9', ['sg-9'])], (id) => (id === 'i-2' ? { subnetId: 's1', groups: ['sg-1'] } : undefined));
    expect(v).toHaveLength(3);
    expect(v.join('\n')).toContain('instance i-1 has 2 trunks');
    expect(v.join('\n')).toContain('eni-3 of i-2 is in subnet s9');
  });
  it('flags a VLAN used twice on one trunk, not across trunks', () => {
    expect(vlanViolations([{ trunkInterfaceId: 't1', branchInterfaceId: 'b1', vlanId: 1 }, { trunkInterfaceId: 't2', branchInterfaceId: 'b2', vlanId: 1 }])).toEqual([]);
    expect(vlanViolations([{ trunkInterfaceId: 't1', branchInterfaceId: 'b1', vlanId: 1 }, { trunkInterfaceId: 't1', branchInterfaceId: 'b2', vlanId: 1 }])).toHaveLength(1);
  });
  it('finds branch ENIs whose pod is gone and reports them only after the grace period', () => {
    const branch = { networkInterfaceId: 'eni-b', interfaceType: 'branch', tags: { 'eks:eni:owner': 'eks-vpc-resource-controller', 'vpcresources.k8s.aws/pod-uid': 'u1' } } as unknown as EniView;
    expect(orphanBranchEnis([branch], [{ metadata: { uid: 'u1' }, status: { phase: 'Running' } }])).toEqual([]);
    expect(orphanBranchEnis([branch], [{ metadata: { uid: 'u1' }, status: { phase: 'Succeeded' } }])).toEqual(['eni-b']);
    const t = new OrphanTracker(1_000);
    expect(t.observe(0, ['eni-b'])).toEqual([]);
    expect(t.observe(900, ['eni-b'])).toEqual([]);
    expect(t.observe(1_500, ['eni-b'])).toEqual(['eni-b']);
    expect(t.observe(1_600, [])).toEqual([]);
    expect(t.observe(2_000, ['eni-b'])).toEqual([]);
  });
});
