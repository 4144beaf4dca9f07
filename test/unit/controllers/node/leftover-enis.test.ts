// Which leftovers of a terminated node the CNINode cleanup may delete: the instance's ENIs owned
// by the controller or by the VPC CNI (upstream pkg/aws/ec2/api/cleanup), of this cluster only.
import { describe, expect, it } from 'vitest';
import { leftoverEniFilters, ownerInCluster } from '../../../../src/controllers/cninode/leftover-enis.js';

const eni = (tags: Record<string, string>) => ({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
const INSTANCE = { 'node.k8s.amazonaws.com/instance_id': 'i-0123456789abcdef0' };

describe('leftoverEniFilters', () => {
  it("the instance tag, either owner, and the cluster's VPC when known", () => {
    expect(leftoverEniFilters('i-0123456789abcdef0', 'vpc-1')).toEqual([
      { Name: 'tag:node.k8s.amazonaws.com/instance_id', Values: ['i-0123456789abcdef0'] },
      { Name: 'tag:eks:eni:owner', Values: ['eks-vpc-resource-controller', 'amazon-vpc-cni'] },
      { Name: 'vpc-id', Values: ['vpc-1'] },
    ]);
    expect(leftoverEniFilters('i-0123456789abcdef0', undefined).map((f) => f.Name)).not.toContain('vpc-id');
  });
});

describe('ownerInCluster', () => {
  it.each([
    ['the controller’s, this cluster', { ...INSTANCE, 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/prod': 'owned' }, 'controller'],
    ['the CNI’s, this cluster', { ...INSTANCE, 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'prod' }, 'cni'],
    ['the controller’s, another cluster', { ...INSTANCE, 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/staging': 'owned' }, undefined],
    ['the CNI’s, another cluster', { ...INSTANCE, 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'staging' }, undefined],
    ['the CNI’s without a cluster tag (CLUSTER_NAME unset)', { ...INSTANCE, 'eks:eni:owner': 'amazon-vpc-cni' }, undefined],
    ['no owner tag', { ...INSTANCE, 'cluster.k8s.amazonaws.com/name': 'prod' }, undefined],
    ['an owner tag with the other owner’s cluster tag', { ...INSTANCE, 'eks:eni:owner': 'amazon-vpc-cni', 'kubernetes.io/cluster/prod': 'owned' }, undefined],
  ])('%s → %s', (_what, tags, owner) => {
    expect(ownerInCluster(eni(tags), 'prod')).toBe(owner);
  });
});
