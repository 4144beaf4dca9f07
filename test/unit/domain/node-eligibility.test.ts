import { describe, expect, it } from 'vitest';
import type { CNINodeFeature } from '../../../src/apis/cninode.js';
import { nodeEligibility, parseProviderId, type NodeFacts } from '../../../src/domain/node-eligibility.js';

const PID = 'aws:///eu-west-1a/i-0123456789abcdef0';
const SGP: CNINodeFeature[] = [{ name: 'SecurityGroupsForPods' }];

describe('parseProviderId', () => {
  it.each<[string, string, string]>([
    [PID, 'eu-west-1a', 'i-0123456789abcdef0'],
    ['aws:///us-west-2-lax-1a/i-0123abcd', 'us-west-2-lax-1a', 'i-0123abcd'],
    ['aws://ignored/us-east-1b/i-0123456789abcdef0', 'us-east-1b', 'i-0123456789abcdef0'],
  ])('%s', (pid, az, id) => {
    expect(parseProviderId(pid)).toEqual({ ok: true, value: { availabilityZone: az, instanceId: id } });
  });

  it.each<[string | undefined, string]>([
    [undefined, 'spec.providerID is not set (the kubelet sets aws:///<zone>/<instance-id>)'],
    ['', 'spec.providerID is not set (the kubelet sets aws:///<zone>/<instance-id>)'],
    ['gce://project/zone/name', 'spec.providerID "gce://project/zone/name" is not of the form aws:///<zone>/<instance-id>'],
    ['aws:///i-0123456789abcdef0', 'spec.providerID "aws:///i-0123456789abcdef0" is not of the form aws:///<zone>/<instance-id>'],
    ['aws:///eu-west-1a/fargate-ip-10-0-0-1', 'spec.providerID "aws:///eu-west-1a/fargate-ip-10-0-0-1": "fargate-ip-10-0-0-1" is not an EC2 instance ID'],
    ['aws:///EU_WEST/i-0123456789abcdef0', 'spec.providerID "aws:///EU_WEST/i-0123456789abcdef0": "EU_WEST" is not an availability zone'],
  ])('%j is rejected', (pid, error) => {
    expect(parseProviderId(pid)).toEqual({ ok: false, errors: [error] });
  });
});

describe('nodeEligibility', () => {
  const node = (labels: Record<string, string>, providerID: string | undefined = PID): NodeFacts => ({ name: 'n1', labels, providerID });
  const linux = { 'kubernetes.io/os': 'linux' };

  it.each<[string, NodeFacts, CNINodeFeature[] | undefined, string | true]>([
    ['CNINode feature SecurityGroupsForPods', node(linux), SGP, true],
    ['legacy label has-trunk-attached=false', node({ ...linux, 'vpc.amazonaws.com/has-trunk-attached': 'false' }), undefined, true],
    ['legacy label has-trunk-attached=true (already attached)', node({ ...linux, 'vpc.amazonaws.com/has-trunk-attached': 'true' }), [], true],
    ['no os label is taken as Linux', node({}), SGP, true],
    ['no request from the CNI', node(linux), [{ name: 'CustomNetworking', value: 'a' }], 'not-requested'],
    ['no CNINode and no label', node(linux), undefined, 'not-requested'],
    ['Windows node', node({ 'kubernetes.io/os': 'windows' }), SGP, 'not-linux'],
    ['EKS Auto Mode node, even when requested', node({ ...linux, 'eks.amazonaws.com/compute-type': 'auto', 'vpc.amazonaws.com/has-trunk-attached': 'false' }), SGP, 'auto-mode'],
    ['other compute type is fine', node({ ...linux, 'eks.amazonaws.com/compute-type': 'ec2' }), SGP, true],
    ['no providerID', { name: 'n1', labels: linux }, SGP, 'no-instance'],
    ['Fargate-style providerID', node(linux, 'aws:///eu-west-1a/fargate-x'), SGP, 'no-instance'],
  ])('%s', (_name, n, features, expected) => {
    const r = nodeEligibility(n, features);
    if (expected === true) expect(r).toMatchObject({ eligible: true, instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1a' });
    else expect(r).toMatchObject({ eligible: false, code: expected });
  });

  it('says which signal requested the trunk', () => {
    expect(nodeEligibility(node(linux), SGP)).toMatchObject({ requestedBy: 'cninode-feature' });
    expect(nodeEligibility(node({ 'vpc.amazonaws.com/has-trunk-attached': 'false' }), undefined)).toMatchObject({ requestedBy: 'legacy-label' });
  });

  it('reasons name the node and the fix', () => {
    const r = nodeEligibility(node(linux), []);
    expect(!r.eligible && r.reason).toBe(
      'the VPC CNI has not asked for a trunk on node n1 (no SecurityGroupsForPods feature on its CNINode, no vpc.amazonaws.com/has-trunk-attached label); set ENABLE_POD_ENI=true on the aws-node DaemonSet',
    );
    const p = nodeEligibility(node(linux, 'nope'), SGP);
    expect(!p.eligible && p.reason).toBe('node n1: spec.providerID "nope" is not of the form aws:///<zone>/<instance-id>');
  });
});
