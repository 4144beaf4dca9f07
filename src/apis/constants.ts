// Every name the controller shares with the VPC CNI, kubectl users and EC2, byte-exact with
// the names the upstream controller and the VPC CNI use (the project contract). Nothing else in the code base spells these strings.

// ---- API groups and kinds (contract §2)
export const SGP_GROUP = 'vpcresources.k8s.aws';
export const SGP_VERSION = 'v1beta1';
export const SGP_KIND = 'SecurityGroupPolicy';
export const SGP_PLURAL = 'securitygrouppolicies';
export const SGP_SHORT_NAME = 'sgp';

export const CNINODE_GROUP = 'vpcresources.k8s.aws';
export const CNINODE_VERSION = 'v1alpha1';
export const CNINODE_KIND = 'CNINode';
export const CNINODE_PLURAL = 'cninodes';
export const CNINODE_SHORT_NAME = 'cnd';

export const ENICONFIG_GROUP = 'crd.k8s.amazonaws.com';
export const ENICONFIG_VERSION = 'v1alpha1';
export const ENICONFIG_KIND = 'ENIConfig';
export const ENICONFIG_PLURAL = 'eniconfigs';

// ---- CNINode features
export const FEATURE_SECURITY_GROUPS_FOR_PODS = 'SecurityGroupsForPods';
export const FEATURE_CUSTOM_NETWORKING = 'CustomNetworking';
export const CNINODE_FINALIZER = 'networking.k8s.aws/resource-cleanup';

// ---- Node and pod keys (contract §3)
export const LABEL_INSTANCE_TYPE = 'node.kubernetes.io/instance-type';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_HAS_TRUNK_ATTACHED = 'vpc.amazonaws.com/has-trunk-attached';
export const LABEL_VPC_ENICONFIG = 'vpc.amazonaws.com/eniConfig';
export const LABEL_USER_ENICONFIG = 'k8s.amazonaws.com/eniConfig';
export const LABEL_COMPUTE_TYPE = 'eks.amazonaws.com/compute-type';
export const COMPUTE_TYPE_AUTO = 'auto';
export const COMPUTE_TYPE_FARGATE = 'fargate';
/** On Fargate nodes and pods: the Fargate profile that placed them. */
export const LABEL_FARGATE_PROFILE = 'eks.amazonaws.com/fargate-profile';
export const RESOURCE_POD_ENI = 'vpc.amazonaws.com/pod-eni';
export const ANNOTATION_POD_ENI = 'vpc.amazonaws.com/pod-eni';
/** On a Fargate pod: its security groups, comma separated, set by the mutating webhook at creation. */
export const ANNOTATION_FARGATE_POD_SG = 'fargate.amazonaws.com/pod-sg';

/** Identities allowed to add, change or remove the pod-eni annotation (configurable; these are the defaults). */
export const DEFAULT_CONTROLLER_IDENTITIES: readonly string[] = [
  'system:serviceaccount:kube-system:vpc-resource-controller',
  'system:serviceaccount:kube-system:eks-vpc-resource-controller',
  'eks:vpc-resource-controller',
];
export const AWS_NODE_IDENTITY = 'system:serviceaccount:kube-system:aws-node';
/** The only node labels the aws-node identity may change. */
export const AWS_NODE_MUTABLE_LABELS: readonly string[] = [LABEL_HAS_TRUNK_ATTACHED, LABEL_VPC_ENICONFIG];

// ---- Events (contract §4)
export const EVENT_SOURCE_COMPONENT = 'vpc-resource-controller';
export const REASON_SECURITY_GROUP_REQUESTED = 'SecurityGroupRequested';
export const REASON_RESOURCE_ALLOCATED = 'ResourceAllocated';
export const REASON_BRANCH_ALLOCATION_FAILED = 'BranchAllocationFailed';
export const REASON_BRANCH_ENI_ANNOTATION_FAILED = 'BranchENIAnnotationFailed';
export const REASON_NODE_TRUNK_INITIATED = 'NodeTrunkInitiated';
export const REASON_NODE_TRUNK_FAILED_INIT = 'NodeTrunkFailedInit';
export const REASON_TRUNK_ENI_CREATION_FAILED = 'TrunkENICreationFailed';
export const REASON_UNSUPPORTED = 'Unsupported';
export const REASON_BRANCH_ENI_COOLDOWN_UPDATED = 'BranchENICoolDownPeriodUpdated';
export const REASON_CONTROLLER_VERSION_NOTICE = 'ControllerVersionNotice';
// (ours) user-fixable problems, each a Warning naming the fix
export const REASON_ENICONFIG_NOT_SETTLED = 'ENIConfigNotSettled';
export const REASON_INSUFFICIENT_INTERFACE_SLOTS = 'InsufficientInterfaceSlots';
export const REASON_TRUNK_SECURITY_GROUP_DRIFT = 'TrunkSecurityGroupDrift';
export const REASON_TRUNK_SUBNET_DRIFT = 'TrunkSubnetDrift';
export const REASON_SECURITY_GROUP_QUOTA_EXCEEDED = 'SecurityGroupQuotaExceeded';
export const REASON_MISSING_POD_ENI_RESOURCE = 'MissingPodENIResource';
export const REASON_INVALID_SECURITY_GROUP_POLICY = 'InvalidSecurityGroupPolicy';
export const REASON_EC2_THROTTLED = 'EC2Throttled';
/** On a SecurityGroupPolicy: a group it names by name or tag is not in the cluster's VPC. */
export const REASON_SECURITY_GROUPS_NOT_FOUND = 'SecurityGroupsNotFound';
/** On a pod: its branch ENI is a warm one reused, with no EC2 call (issue 14). */
export const REASON_BRANCH_ENI_REUSED = 'BranchENIReused';
/** On a pod: its running branch ENI got a new group set in place (live policies). */
export const REASON_SECURITY_GROUPS_UPDATED = 'SecurityGroupsUpdated';
/** On a pod: no policy selects it any more, but its branch ENI stays until the pod restarts. */
export const REASON_SECURITY_GROUP_POLICY_UNMATCHED = 'SecurityGroupPolicyUnmatched';

export const MESSAGE_NODE_TRUNK_INITIATED = 'The node has trunk interface initialized successfully';
export const messageSecurityGroupRequested = (groups: readonly string[]): string =>
  `Pod will get the following Security Groups [${groups.join(' ')}]`;
export const messageResourceAllocated = (annotationJson: string): string => `Allocated ${annotationJson} to the pod`;
export const messageBranchAllocationFailed = (cause: string): string => `failed to allocate branch ENI to pod: ${cause}`;
export const messageBranchAnnotationFailed = (cause: string): string =>
  `failed to annotate pod with branch ENI details: ${cause}`;
export const messageUnsupported = (instanceType: string): string =>
  `The instance type ${instanceType} is not supported for trunk interface (Security Group for Pods)`;
export const messageCooldownUpdated = (duration: string): string =>
  `Branch ENI cool down period has been updated to ${duration}`;
export const messageControllerVersion = (version: string): string =>
  `The node is managed by VPC resource controller version ${version}`;

// ---- EC2 (contract §6)
export const TAG_ENI_OWNER = 'eks:eni:owner';
export const TAG_ENI_OWNER_VALUE = 'eks-vpc-resource-controller';
/** The owner value the VPC CNI writes on the ENIs it creates (with CLUSTER_NAME set, beside TAG_CLUSTER_NAME). */
export const TAG_ENI_OWNER_VALUE_CNI = 'amazon-vpc-cni';
export const tagClusterKey = (cluster: string): string => `kubernetes.io/cluster/${cluster}`;
export const TAG_CLUSTER_VALUE = 'owned';
export const TAG_CLUSTER_NAME = 'cluster.k8s.amazonaws.com/name';
export const TAG_INSTANCE_ID = 'node.k8s.amazonaws.com/instance_id';
export const TAG_TRUNK_ENI_ID = 'vpcresources.k8s.aws/trunk-eni-id';
export const TAG_VLAN_ID = 'vpcresources.k8s.aws/vlan-id';
// (ours) the owning pod, so an ENI created but not yet annotated can be adopted after a crash
export const TAG_POD_NAMESPACE = 'vpcresources.k8s.aws/pod-namespace';
export const TAG_POD_NAME = 'vpcresources.k8s.aws/pod-name';
export const TAG_POD_UID = 'vpcresources.k8s.aws/pod-uid';
/** (ours) On a branch ENI kept warm for reuse after its pod left (value `true`). */
export const TAG_WARM = 'vpcresources.k8s.aws/warm';
export const TRUNK_ENI_DESCRIPTION = 'aws-k8s-trunk-eni';
export const BRANCH_ENI_DESCRIPTION = 'aws-k8s-branch-eni';
export const MIN_VLAN_ID = 1;
export const MAX_VLAN_ID = 120;

// ---- Settings users already know (contract §7)
export const CNI_CONFIGMAP_NAMESPACE = 'kube-system';
export const CNI_CONFIGMAP_NAME = 'amazon-vpc-cni';
export const CONFIG_KEY_BRANCH_ENI_COOLDOWN = 'branch-eni-cooldown';
/** (ours) Seconds a branch ENI is kept warm for reuse after its cooldown; 0 turns reuse off. */
export const CONFIG_KEY_BRANCH_ENI_WARM = 'branch-eni-warm-seconds';
export const DEFAULT_BRANCH_ENI_WARM_SECONDS = 180;
/** ConfigMap key (ours): warm branch ENIs to keep per node and recently used group set (0 = off). */
export const CONFIG_KEY_BRANCH_ENI_MIN_WARM = 'branch-eni-min-warm';
/** ConfigMap key (ours): how long a group set used on a node counts as recent for the minimum, seconds. */
export const CONFIG_KEY_BRANCH_ENI_MIN_WARM_WINDOW = 'branch-eni-min-warm-window-seconds';
export const DEFAULT_BRANCH_ENI_MIN_WARM_WINDOW_SECONDS = 600;
export const DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS = 60;
export const MIN_BRANCH_ENI_COOLDOWN_SECONDS = 30;
export const LEADER_ELECTION_NAMESPACE = 'kube-system';
export const LEADER_ELECTION_LEASE = 'cp-vpc-resource-controller';
export const WEBHOOK_PATH_MUTATE_POD = '/mutate-v1-pod';
export const WEBHOOK_PATH_VALIDATE_POD = '/validate-v1-pod';
export const WEBHOOK_PATH_VALIDATE_NODE = '/validate-v1-node';
export const WEBHOOK_NAME_MUTATE_POD = 'mpod.vpc.k8s.aws';
export const WEBHOOK_NAME_VALIDATE_POD = 'vpod.vpc.k8s.aws';
export const WEBHOOK_NAME_VALIDATE_NODE = 'vnode.vpc.k8s.aws';

// ---- EC2 ID formats (validated before any EC2 call; see ids.ts)
export const SECURITY_GROUP_ID_PATTERN = '^sg-[0-9a-f]{8}([0-9a-f]{9})?$';
export const SUBNET_ID_PATTERN = '^subnet-[0-9a-f]{8}([0-9a-f]{9})?$';

// ---- Sandbox-only keys (not part of the contract; understood by the sandbox's node agents)
/** Pod annotation: the sandbox's kubelet marks the pod Succeeded this many seconds after it started. */
export const ANNOTATION_COMPLETE_AFTER_SECONDS = 'sandbox.vpcrc.dev/complete-after-seconds';
// ---- Limits (contract §2, §3)
export const OS_LINUX = 'linux';
/** EC2's default quota of security groups per network interface, and its hard maximum. */
export const DEFAULT_SECURITY_GROUPS_PER_INTERFACE = 5;
export const MAX_SECURITY_GROUPS_PER_INTERFACE = 16;
