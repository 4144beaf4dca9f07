// The sandbox: a local EC2 and a local Kubernetes, instances launched in EC2 with a node agent
// each, the scheduler, the CRDs and the usual namespaces and ConfigMap, a kubeconfig on disk, and
// (when a starter is given) the controller. Everything talks over HTTP as in a real cluster.
import { reuseConnections } from '../../kube/client.js';
import { CreateSecurityGroupCommand, CreateSubnetCommand, DescribeSubnetsCommand, DescribeVpcsCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client, type RunInstancesCommandOutput, type _InstanceType } from '@aws-sdk/client-ec2';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { dirname, resolve } from 'node:path';
import {
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS,
  ENICONFIG_GROUP,
  ENICONFIG_KIND,
  ENICONFIG_PLURAL,
  ENICONFIG_VERSION,
  LABEL_ZONE,
  tagClusterKey,
  TAG_CLUSTER_VALUE,
} from '../../apis/constants.js';
import { loadCrdManifests } from '../../apis/crd-manifests.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { startLocalEc2, type LocalEc2, type LocalEc2Options } from '../ec2/index.js';
import { startLocalKube } from '../kube/index.js';
import { buildKubeconfigYaml } from '../kube/kubeconfig.js';
import type { NodeAgent } from '../kube/node-agent/node-agent.js';
import { startNodeFleet, type NodeFleet } from '../kube/node-agent/node-fleet.js';
import { startScheduler, type Scheduler } from '../kube/scheduler/scheduler.js';
import { pickFreeBlocks } from './cidr.js';
import { DEFAULT_SETTINGS, parseNodesSpec, type CniMode, type FeatureOrder, type NodeGroupSpec } from './config.js';
import { makeSandboxEc2Client } from './ec2-client.js';

export type LocalKube = Awaited<ReturnType<typeof startLocalKube>>;
export type SandboxUser = 'admin' | 'awsNode' | 'controller' | 'kubelet' | 'scheduler';

/** What the controller gets to run against the sandbox. */
export interface ControllerEnv {
  kubeconfigPath: string;
  /** The controller identity's credentials. */
  kubeConfig: KubeConfig;
  ec2Endpoint: string;
  region: string;
  clusterName: string;
  vpcId: string;
  customNetworking: boolean;
  /** With custom networking, the node label whose value names the node's ENIConfig. */
  eniConfigLabelKey?: string;
  /** The local EC2 refills its buckets this many times faster: the controller paces to match (default 1). */
  timeScale?: number;
  logger: Logger;
}

/** Starts the controller; the sandbox stops it first on shutdown. */
export type ControllerStarter = (env: ControllerEnv) => Promise<{ stop(): Promise<void> }>;

export interface SandboxOptions {
  /** "m5.large=3,c5.xlarge=2" or a list; default m5.large=3. Zero nodes is allowed. */
  nodes?: string | NodeGroupSpec[];
  customNetworking?: boolean;
  cniMode?: CniMode;
  featureOrder?: FeatureOrder;
  featureDelayMs?: number;
  throttle?: 'aws' | 'off';
  timeScale?: number;
  clusterName?: string;
  /** Security group IDs of the user's account to create in the local EC2 under the same IDs. */
  importSecurityGroups?: string[];
  /** Where to write the kubeconfig; default .sandbox/kubeconfig under the current directory. */
  kubeconfigPath?: string;
  controller?: ControllerStarter;
  /** Node heartbeat (default 10 s) and CNI slot re-check (default 30 s) periods. */
  heartbeatMs?: number;
  slotRecheckMs?: number;
  /** Extra local-EC2 options (attach delay, faults, latency …). */
  ec2?: Omit<LocalEc2Options, 'throttle' | 'timeScale' | 'logger'>;
  /** Scheduler: how often unschedulable pods are retried when nothing changes (default 30 s). */
  retryUnschedulableMs?: number;
  logger?: Logger;
}

export interface Sandbox {
  kube: LocalKube;
  ec2: LocalEc2;
  region: string;
  vpcId: string;
  clusterName: string;
  /** The VPC's default security group: what nodes' primary ENIs (and so trunks) get. */
  defaultSecurityGroupId: string;
  kubeconfigPath: string;
  /** Subnet and security group of each zone's ENIConfig (custom networking only), by ENIConfig name. */
  eniConfigs: Record<string, { subnetId: string; securityGroupId: string; cidr: string }>;
  kubeConfigFor(user: SandboxUser): KubeConfig;
  /** Launches instances and registers their nodes; resolves with the new node names. */
  addNodes(spec: string | NodeGroupSpec[]): Promise<string[]>;
  /** Terminates the node's instance and deletes its Node. */
  removeNode(name: string): Promise<void>;
  nodeAgent(name: string): NodeAgent | undefined;
  nodeNames(): string[];
  scheduler: Scheduler;
  stop(): Promise<void>;
}

const SANDBOX_AMI = 'ami-0abcdef1234567890';
export const ENICONFIG_LABEL_KEY = LABEL_ZONE;

/**
 * Credentials for clients inside the sandbox process: plain HTTP to the local API server. Over
 * HTTPS, client-node sets up a new TLS session per request (no agent reuse), which made TLS
 * handshakes the sandbox's main CPU cost; kubectl and other processes use the HTTPS kubeconfig.
 * (client-node refuses http:// unless skipTLSVerify is set, hence the flag; there is no TLS.)
 */
function inProcessKubeConfig(kube: LocalKube, user: SandboxUser, agent: HttpAgent): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: kube.url, skipTLSVerify: true }],
    users: [{ name: user, token: kube.tokens[user] }],
    contexts: [{ name: user, cluster: 'local', user }],
    currentContext: user,
  });
  // client-node opens a new connection per request; at hundreds of requests a second that piles
  // up TIME_WAIT sockets. Every in-process client shares one keep-alive agent.
  return reuseConnections(kc, { agent });
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isAlreadyExists(err) && !isConflict(err)) throw err;
  }
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function installCrds(admin: KubeConfig): Promise<void> {
  const ext = admin.makeApiClient(ApiextensionsV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const crds = loadCrdManifests() as unknown as V1CustomResourceDefinition[];
  for (const crd of crds) await ignoreExists(ext.createCustomResourceDefinition({ body: crd }));
  // Served as soon as created in the local API server; wait until a list answers anyway.
  for (const crd of crds) {
    const version = crd.spec.versions.find((v) => v.served)?.name ?? crd.spec.versions[0]?.name ?? 'v1';
    await waitUntil(`CRD ${crd.metadata?.name ?? ''} to be served`, 10_000, async () => {
      try {
        await custom.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural, limit: 1 });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }
}

async function seedCluster(admin: KubeConfig): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ignoreExists(core.createNamespace({ body: { metadata: { name } } }));
  }
  await ignoreExists(
    core.createNamespacedConfigMap({
      namespace: CNI_CONFIGMAP_NAMESPACE,
      body: { metadata: { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE }, data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: String(DEFAULT_BRANCH_ENI_COOLDOWN_SECONDS) } },
    }),
  );
}

/** One subnet and security group per zone, and an ENIConfig named after the zone pointing at them. */
async function createEniConfigs(ec2: EC2Client, admin: KubeConfig, vpcId: string, vpcCidr: string, zones: string[], clusterName: string): Promise<Sandbox['eniConfigs']> {
  const existing = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  const cidrs = pickFreeBlocks(vpcCidr, (existing.Subnets ?? []).map((s) => s.CidrBlock ?? '').filter(Boolean), 20, zones.length);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const out: Sandbox['eniConfigs'] = {};
  for (const [i, zone] of zones.entries()) {
    const cidr = cidrs[i] as string;
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: cidr,
        AvailabilityZone: zone,
        TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `${clusterName}-pods-${zone}` }] }],
      }),
    );
    const sg = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `${clusterName}-pods-${zone}`, Description: `Pods in ${zone} (custom networking)` }));
    const subnetId = subnet.Subnet?.SubnetId;
    const securityGroupId = sg.GroupId;
    if (!subnetId || !securityGroupId) throw new Error(`EC2 did not return the subnet or security group created for ${zone}`);
    await ignoreExists(
      custom.createClusterCustomObject({
        group: ENICONFIG_GROUP,
        version: ENICONFIG_VERSION,
        plural: ENICONFIG_PLURAL,
        body: { apiVersion: `${ENICONFIG_GROUP}/${ENICONFIG_VERSION}`, kind: ENICONFIG_KIND, metadata: { name: zone }, spec: { subnet: subnetId, securityGroups: [securityGroupId] } },
      }),
    );
    out[zone] = { subnetId, securityGroupId, cidr };
  }
  return out;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const logger = opts.logger ?? silentLogger();
  const log = logger.child({ component: 'sandbox' });
  const clusterName = opts.clusterName ?? 'sandbox';
  const customNetworking = opts.customNetworking ?? false;
  const cleanups: (() => Promise<unknown>)[] = [];
  const runCleanups = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.warn({ err: String(err) }, 'sandbox cleanup step failed');
      }
    }
  };

  try {
    const ec2 = await startLocalEc2({ ...(opts.ec2 ?? {}), throttle: opts.throttle ?? 'aws', timeScale: opts.timeScale ?? 1, logger });
    cleanups.push(() => ec2.close());
    const kube = await startLocalKube({ logger });
    cleanups.push(() => kube.close());
    const region = ec2.region;
    const ec2Client = makeSandboxEc2Client(ec2.endpoint, region);
    cleanups.push(() => Promise.resolve(ec2Client.destroy()));
    const agent = new HttpAgent({ keepAlive: true });
    cleanups.push(() => Promise.resolve(agent.destroy()));
    const kc = (user: SandboxUser): KubeConfig => inProcessKubeConfig(kube, user, agent);
    const admin = kc('admin');

    await seedCluster(admin);
    await installCrds(admin);

    // The local EC2's seeded VPC when there is one; otherwise the first VPC it describes.
    const seededVpcId = ec2.defaults?.vpc.vpcId;
    const vpcs = await ec2Client.send(new DescribeVpcsCommand(seededVpcId ? { VpcIds: [seededVpcId] } : {}));
    const vpc = vpcs.Vpcs?.[0];
    if (!vpc?.VpcId || !vpc.CidrBlock) throw new Error('the local EC2 has no VPC to put the sandbox in');
    const vpcId = vpc.VpcId;
    const subnetsOut = await ec2Client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    const nodeSubnets = (subnetsOut.Subnets ?? [])
      .filter((s) => s.SubnetId && s.AvailabilityZone)
      .sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? '') || (a.SubnetId ?? '').localeCompare(b.SubnetId ?? ''));
    const zones = [...new Set(nodeSubnets.map((s) => s.AvailabilityZone as string))];
    if (nodeSubnets.length === 0) throw new Error(`VPC ${vpcId} has no subnets for nodes`);
    for (const groupId of opts.importSecurityGroups ?? []) ec2.world.importSecurityGroup(groupId, `imported-${groupId}`, vpcId);
    const defaultSecurityGroupId = ec2.world.defaultGroupOf(vpcId)?.groupId ?? '';
    const eniConfigs = customNetworking ? await createEniConfigs(ec2Client, admin, vpcId, vpc.CidrBlock, zones, clusterName) : {};

    const kubeconfigPath = resolve(opts.kubeconfigPath ?? '.sandbox/kubeconfig');
    mkdirSync(dirname(kubeconfigPath), { recursive: true });
    writeFileSync(kubeconfigPath, buildKubeconfigYaml(kube, { server: 'https' }), { mode: 0o600 });

    const scheduler = await startScheduler({ kubeConfig: kc('scheduler'), logger, ...(opts.retryUnschedulableMs ? { retryUnschedulableMs: opts.retryUnschedulableMs } : {}) });
    cleanups.push(() => scheduler.stop());
    const fleet: NodeFleet = await startNodeFleet({
      kubelet: kc('kubelet'),
      awsNode: kc('awsNode'),
      ec2: ec2Client,
      region,
      logger,
      cni: {
        mode: opts.cniMode ?? 'cninode',
        customNetworking,
        featureOrder: opts.featureOrder ?? 'cn-first',
        featureDelayMs: opts.featureDelayMs ?? 0,
        eniConfigNameForZone: (zone) => zone,
      },
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.slotRecheckMs ? { slotRecheckMs: opts.slotRecheckMs } : {}),
    });
    cleanups.push(() => fleet.stop());

    let launched = 0;
    async function addNodes(spec: string | NodeGroupSpec[]): Promise<string[]> {
      const groups = typeof spec === 'string' ? parseNodesSpec(spec) : spec;
      const ids: string[] = [];
      for (const g of groups) {
        // Spread over the zones round-robin, one RunInstances per (type, subnet).
        const perSubnet = new Map<string, number>();
        for (let i = 0; i < g.count; i++) {
          const subnet = nodeSubnets[(launched + i) % nodeSubnets.length]?.SubnetId as string;
          perSubnet.set(subnet, (perSubnet.get(subnet) ?? 0) + 1);
        }
        launched += g.count;
        for (const [subnetId, total] of perSubnet) {
          // EC2 launches at most 100 instances per RunInstances call.
          for (let left = total; left > 0; left -= 100) {
            const count = Math.min(left, 100);
            let out: RunInstancesCommandOutput;
            try {
              out = await ec2Client.send(
                new RunInstancesCommand({
                  ImageId: SANDBOX_AMI,
                  InstanceType: g.instanceType as _InstanceType,
                  SubnetId: subnetId,
                  MinCount: count,
                  MaxCount: count,
                  TagSpecifications: [
                    { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `${clusterName}-${g.instanceType}` }, { Key: tagClusterKey(clusterName), Value: TAG_CLUSTER_VALUE }] },
                  ],
                }),
              );
            } catch (err) {
              throw new Error(`cannot launch ${count} ${g.instanceType} instance(s): ${err instanceof Error ? err.message : String(err)}`);
            }
            for (const inst of out.Instances ?? []) if (inst.InstanceId) ids.push(inst.InstanceId);
          }
        }
      }
      return fleet.addInstances(ids);
    }

    await addNodes(opts.nodes ?? DEFAULT_SETTINGS.nodes);

    if (opts.controller) {
      const controller = await opts.controller({
        kubeconfigPath,
        kubeConfig: kc('controller'),
        ec2Endpoint: ec2.endpoint,
        region,
        clusterName,
        vpcId,
        customNetworking,
        ...(customNetworking ? { eniConfigLabelKey: ENICONFIG_LABEL_KEY } : {}),
        timeScale: opts.timeScale ?? 1,
        logger,
      });
      cleanups.push(() => controller.stop());
    }

    let stopped = false;
    return {
      kube,
      ec2,
      region,
      vpcId,
      clusterName,
      defaultSecurityGroupId,
      kubeconfigPath,
      eniConfigs,
      kubeConfigFor: kc,
      addNodes,
      async removeNode(name) {
        const instanceId = fleet.agent(name)?.facts.instanceId;
        if (!instanceId) throw new Error(`no sandbox node named "${name}"`);
        await ec2Client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
        await fleet.removeNode(name);
      },
      nodeAgent: (name) => fleet.agent(name),
      nodeNames: () => fleet.agents().map((a) => a.name),
      scheduler,
      async stop() {
        if (stopped) return;
        stopped = true;
        await runCleanups();
      },
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}
