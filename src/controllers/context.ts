// Everything a part of the controller (node side, pod side, webhooks) is handed at start. The
// composition root (controller.ts) builds one of these; parts never construct clients,
// loggers or registries of their own.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Ec2Api, Ec2Pacing } from '../aws/ec2-api.js';
import type { KubeClients } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { LimitsTable } from '../domain/instance-limits.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics.js';
import type { ControllerInformers } from './informers.js';
import type { SecurityGroupCatalog } from './policy/group-catalog.js';
import type { TrunkRegistry } from './trunk-registry.js';

export interface ControllerSettings {
  clusterName: string;
  region: string;
  /** The cluster's VPC; discovered from the first node's instance when not given. */
  vpcId?: string;
  /** Custom networking on for the whole cluster: every node needs a settled ENIConfig before its trunk. */
  customNetworking: boolean;
  /** With custom networking, a node label whose value names the node's ENIConfig (e.g. topology.kubernetes.io/zone). */
  eniConfigLabelKey?: string;
  /** Update a trunk's groups in place when its ENIConfig's groups change (otherwise only report drift). */
  fixTrunkSecurityGroups: boolean;
  /** EC2 quota of security groups per interface (default 5, hard max 16). */
  securityGroupsPerInterface: number;
  /** Identities allowed to write the pod-eni annotation. */
  controllerIdentities: string[];
  /** Cross-account setups only: the account that gets INSTANCE-ATTACH permission on branch ENIs. */
  eniPermissionAccountId?: string;
  /** How long a branch ENI outlives its pod unless the amazon-vpc-cni ConfigMap says otherwise. */
  defaultCooldownSeconds: number;
  /** How long a branch ENI is kept warm for reuse after its cooldown unless the ConfigMap says otherwise (0 = off; default 180). */
  branchEniWarmSeconds?: number;
  /** With reuse on: how long a new pod may wait for a cooling ENI of its groups on its node instead of creating one (default 0: never). */
  branchEniReuseWaitSeconds?: number;
  /** Warm branch ENIs to keep per node and recently used group set unless the ConfigMap says otherwise (0 = off, the default). */
  branchEniMinWarm?: number;
  /** How long a group set used on a node counts as recent for the warm minimum, seconds (default 600). */
  branchEniMinWarmWindowSeconds?: number;
  /** Update a running pod's branch ENI groups in place when its policies change (default on). */
  livePolicyUpdates?: boolean;
  /** Floor under branch-eni-cooldown (default 30, the product's floor); only tests and demos lower it. */
  minCooldownSeconds?: number;
}

export interface ControllerContext {
  settings: ControllerSettings;
  logger: Logger;
  registry: Registry;
  kubeConfig: KubeConfig;
  kube: KubeClients;
  ec2: Ec2Api & Ec2Pacing;
  events: EventRecorder;
  informers: ControllerInformers;
  limits: LimitsTable;
  trunks: TrunkRegistry;
  /** The cluster VPC's security groups, for policies that name groups by name or tag. */
  groupCatalog: SecurityGroupCatalog;
}

/** A started part of the controller. */
export interface ControllerPart {
  /** Stop taking work and wait for in-flight work to finish. */
  stop(): Promise<void>;
  /** Readiness of this part (e.g. its queues are running). */
  ready?(): boolean;
}
