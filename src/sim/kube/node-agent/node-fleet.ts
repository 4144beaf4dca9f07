// All node agents of a sandbox, sharing one set of informers (pods, nodes, CNINodes) instead of
// one watch per node, so that a sandbox of hundreds of nodes stays light. Each EC2 instance gets
// its own NodeAgent; events are routed to it by node name.
import { DescribeInstancesCommand, DescribeInstanceTypesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { CNINode } from '../../../apis/cninode.js';
import { CNINODE_GROUP, CNINODE_PLURAL, CNINODE_VERSION } from '../../../apis/constants.js';
import { isNotFound } from '../../../kube/errors.js';
import { SupervisedInformer } from '../../../kube/informer.js';
import type { Logger } from '../../../observability/logger.js';
import { NodeAgent, type CniSettings } from './node-agent.js';
import type { InstanceFacts } from './node-identity.js';
import { podCidrForIndex } from './pod-ip-pool.js';

export interface NodeFleetOptions {
  /** Credentials of the kubelet identity (Node, Node status, Pod status, pod deletion). */
  kubelet: KubeConfig;
  /** Credentials of the aws-node identity (CNINode, node labels). */
  awsNode: KubeConfig;
  ec2: EC2Client;
  region: string;
  logger: Logger;
  cni: CniSettings;
  /** Ready heartbeat period (default 10 s, kubelet's node status update frequency). */
  heartbeatMs?: number;
  /** While an instance has no free slot, how often the CNI looks again (default 30 s). */
  slotRecheckMs?: number;
  /** How long to wait for an instance to be running before giving up (default 60 s). */
  instanceReadyTimeoutMs?: number;
}

export interface NodeFleet {
  /** Starts an agent for each instance; resolves with the node names once each Node is registered. */
  addInstances(instanceIds: readonly string[]): Promise<string[]>;
  /** Stops the node's agent and deletes its Node object (the instance is the caller's business). */
  removeNode(name: string): Promise<void>;
  agent(name: string): NodeAgent | undefined;
  agents(): NodeAgent[];
  stop(): Promise<void>;
}

interface TypeInfo {
  maxInterfaces: number;
  ipv4PerInterface: number;
  vcpus?: number;
  memoryMiB?: number;
}

type CniNodeObject = KubernetesObject & Pick<CNINode, 'spec'>;

const BACKOFF = { baseMs: 200, maxMs: 5_000 };

export async function startNodeFleet(opts: NodeFleetOptions): Promise<NodeFleet> {
  const log = opts.logger.child({ component: 'node-agents' });
  const kubelet = opts.kubelet.makeApiClient(CoreV1Api);
  const awsNodeCore = opts.awsNode.makeApiClient(CoreV1Api);
  const awsNodeCustom = opts.awsNode.makeApiClient(CustomObjectsApi);
  const agents = new Map<string, NodeAgent>();
  const typeCache = new Map<string, Promise<TypeInfo>>();
  let podCidrIndex = 0;

  const pods = new SupervisedInformer<V1Pod>({
    name: 'node-agent-pods',
    kc: opts.kubelet,
    path: '/api/v1/pods',
    list: (q) => kubelet.listPodForAllNamespaces(q),
    indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
    backoff: BACKOFF,
    logger: log,
  });
  const nodes = new SupervisedInformer<V1Node>({
    name: 'node-agent-nodes',
    kc: opts.kubelet,
    path: '/api/v1/nodes',
    list: (q) => kubelet.listNode(q),
    backoff: BACKOFF,
    logger: log,
  });
  const cniNodes =
    opts.cni.mode === 'cninode'
      ? new SupervisedInformer<CniNodeObject>({
          name: 'node-agent-cninodes',
          kc: opts.awsNode,
          path: `/apis/${CNINODE_GROUP}/${CNINODE_VERSION}/${CNINODE_PLURAL}`,
          list: (q) =>
            awsNodeCustom.listClusterCustomObject({ group: CNINODE_GROUP, version: CNINODE_VERSION, plural: CNINODE_PLURAL, ...q }) as Promise<KubernetesListObject<CniNodeObject>>,
          backoff: BACKOFF,
          logger: log,
        })
      : undefined;

  const podToAgent = (p: V1Pod): void => {
    const a = agents.get(p.spec?.nodeName ?? '');
    if (a) a.onPod(p);
  };
  pods.onAdd(podToAgent);
  pods.onUpdate(podToAgent);
  pods.onDelete((p) => agents.get(p.spec?.nodeName ?? '')?.onPodDeleted(p));
  nodes.onAdd((n) => agents.get(n.metadata?.name ?? '')?.onNode());
  nodes.onUpdate((n) => agents.get(n.metadata?.name ?? '')?.onNode());
  nodes.onDelete((n) => agents.get(n.metadata?.name ?? '')?.onNodeDeleted());
  cniNodes?.onAdd((c) => agents.get(c.metadata?.name ?? '')?.onCniNode());
  cniNodes?.onUpdate((c) => agents.get(c.metadata?.name ?? '')?.onCniNode());
  cniNodes?.onDelete((c) => agents.get(c.metadata?.name ?? '')?.onCniNode());

  const informers = [pods, nodes, ...(cniNodes ? [cniNodes] : [])];
  await Promise.all(informers.map((i) => i.start()));
  await Promise.all(informers.map((i) => i.waitForSync()));

  function typeInfo(instanceType: string): Promise<TypeInfo> {
    let p = typeCache.get(instanceType);
    if (!p) {
      p = opts.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] })).then((out) => {
        const t = out.InstanceTypes?.[0];
        const maxInterfaces = t?.NetworkInfo?.MaximumNetworkInterfaces;
        const ipv4 = t?.NetworkInfo?.Ipv4AddressesPerInterface;
        if (!maxInterfaces || !ipv4) throw new Error(`EC2 did not describe the network limits of instance type ${instanceType}`);
        return { maxInterfaces, ipv4PerInterface: ipv4, vcpus: t?.VCpuInfo?.DefaultVCpus, memoryMiB: t?.MemoryInfo?.SizeInMiB };
      });
      p.catch(() => typeCache.delete(instanceType));
      typeCache.set(instanceType, p);
    }
    return p;
  }

  async function instanceFacts(instanceId: string): Promise<InstanceFacts> {
    const deadline = Date.now() + (opts.instanceReadyTimeoutMs ?? 60_000);
    for (;;) {
      const out = await opts.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const inst = out.Reservations?.[0]?.Instances?.[0];
      const state = inst?.State?.Name;
      if (inst && state === 'running' && inst.PrivateIpAddress && inst.InstanceType && inst.Placement?.AvailabilityZone) {
        const t = await typeInfo(inst.InstanceType);
        return {
          instanceId,
          instanceType: inst.InstanceType,
          availabilityZone: inst.Placement.AvailabilityZone,
          region: opts.region,
          privateIp: inst.PrivateIpAddress,
          ...t,
        };
      }
      if (state && state !== 'pending') throw new Error(`instance ${instanceId} is ${state}, not running`);
      if (Date.now() > deadline) throw new Error(`instance ${instanceId} did not reach running in time (state ${state ?? 'unknown'})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function addOne(instanceId: string): Promise<string> {
    const facts = await instanceFacts(instanceId);
    const agent = new NodeAgent(
      {
        kubelet,
        awsNodeCore,
        awsNodeCustom,
        ec2: opts.ec2,
        logger: log,
        cni: opts.cni,
        heartbeatMs: opts.heartbeatMs ?? 10_000,
        slotRecheckMs: opts.slotRecheckMs ?? 30_000,
        getNode: (name) => nodes.get(name),
        getCniNode: (name) => cniNodes?.get(name) as CNINode | undefined,
        getPod: (key) => pods.get(key),
      },
      facts,
      podCidrForIndex(podCidrIndex++),
    );
    if (agents.has(agent.name)) throw new Error(`node ${agent.name} already has an agent`);
    agents.set(agent.name, agent);
    try {
      await agent.start();
    } catch (err) {
      agents.delete(agent.name);
      await agent.stop();
      throw err;
    }
    // Pods may already be bound to this node (an agent restarted): pick them up.
    for (const p of pods.byIndex('byNode', agent.name)) agent.onPod(p);
    return agent.name;
  }

  return {
    addInstances: (ids) => Promise.all(ids.map((id) => addOne(id))),
    async removeNode(name) {
      const agent = agents.get(name);
      if (!agent) throw new Error(`no node agent for node "${name}"`);
      agents.delete(name);
      await agent.stop();
      try {
        await kubelet.deleteNode({ name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    agent: (name) => agents.get(name),
    agents: () => [...agents.values()],
    async stop() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
      agents.clear();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
