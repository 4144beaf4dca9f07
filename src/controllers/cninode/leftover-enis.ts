// Which ENIs a terminated node left behind that this cluster may delete, pure. Upstream
// (pkg/aws/ec2/api/cleanup/node_cleanup.go with eni_cleanup.go's common filters) describes the
// `available` ENIs tagged `node.k8s.amazonaws.com/instance_id=<instance>` whose `eks:eni:owner` is
// the controller's (`eks-vpc-resource-controller`) or the VPC CNI's (`amazon-vpc-cni`), in the
// cluster's VPC. We go one step further (ours) and delete only what this cluster owns: the
// controller's ENIs carry `kubernetes.io/cluster/<name>=owned`, the CNI's carry
// `cluster.k8s.amazonaws.com/name=<name>` (the CNI writes it with its owner tag when CLUSTER_NAME is
// set, pkg/awsutils/awsutils.go buildENITags). An ENI of another cluster is never touched, even
// with the same instance tag.
import type { Filter, NetworkInterface } from '@aws-sdk/client-ec2';
import { TAG_CLUSTER_NAME, TAG_CLUSTER_VALUE, TAG_ENI_OWNER, TAG_ENI_OWNER_VALUE, TAG_ENI_OWNER_VALUE_CNI, TAG_INSTANCE_ID, tagClusterKey } from '../../apis/constants.js';

/** The DescribeNetworkInterfaces filters for the instance's ENIs of either owner (any status: in-use ones are waited for). */
export function leftoverEniFilters(instanceId: string, vpcId: string | undefined): Filter[] {
  return [
    { Name: `tag:${TAG_INSTANCE_ID}`, Values: [instanceId] },
    { Name: `tag:${TAG_ENI_OWNER}`, Values: [TAG_ENI_OWNER_VALUE, TAG_ENI_OWNER_VALUE_CNI] },
    ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : []),
  ];
}

export type EniOwner = 'controller' | 'cni';

/** Who in this cluster owns the ENI, or undefined when it is not this cluster's to delete. */
export function ownerInCluster(eni: Pick<NetworkInterface, 'TagSet'>, clusterName: string): EniOwner | undefined {
  const tags = new Map((eni.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const owner = tags.get(TAG_ENI_OWNER);
  if (owner === TAG_ENI_OWNER_VALUE && tags.get(tagClusterKey(clusterName)) === TAG_CLUSTER_VALUE) return 'controller';
  if (owner === TAG_ENI_OWNER_VALUE_CNI && tags.get(TAG_CLUSTER_NAME) === clusterName) return 'cni';
  return undefined;
}
