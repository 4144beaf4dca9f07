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
import { retryEc2 } from './ec2-retry.js';
import { maxPods } from './node-identity.js';
import { PodCidrAllocator } from './pod-ip-pool.js';
import { SANDBOX_INFORMER_BACKOFF, SANDBOX_INFORMER_RELIST_MS } from '../scheduler/scheduler.js';

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
  /** Stops the node's agent, deletes its Node object and (as pod GC does) the pods bound to it. The instance is the caller's business. */
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

/** Node registrations in flight at once when many instances join together. */
const REGISTER_CONCURRENCY = 64;

type CniNodeObject = KubernetesObject & Pick<CNINode, 'spec'>;

export async function startNodeFleet(opts: NodeFleetOptions): Promise<NodeFleet> {
  const log = opts.logger.child({ component: 'node-agents' });
  const kubelet = opts.kubelet.makeApiClient(CoreV1Api);
  const awsNodeCore = opts.awsNode.makeApiClient(CoreV1Api);
  const awsNodeCustom = opts.awsNode.makeApiClient(CustomObjectsApi);
  const agents = new Map<string, NodeAgent>();
  const typeCache = new Map<string, Promise<TypeInfo>>();
  const podCidrs = new PodCidrAllocator();

  const pods = new SupervisedInformer<V1Pod>({
    name: 'node-agent-pods',
    kc: opts.kubelet,
    path: '/api/v1/pods',
    list: (q) => kubelet.listPodForAllNamespaces(q),
    indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
    backoff: SANDBOX_INFORMER_BACKOFF,
    relistIntervalMs: SANDBOX_INFORMER_RELIST_MS,
    logger: log,
  });
  const nodes = new SupervisedInformer<V1Node>({
    name: 'node-agent-nodes',
    kc: opts.kubelet,
    path: '/api/v1/nodes',
    list: (q) => kubelet.listNode(q),
    backoff: SANDBOX_INFORMER_BACKOFF,
    relistIntervalMs: SANDBOX_INFORMER_RELIST_MS,
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
          backoff: SANDBOX_INFORMER_BACKOFF,
          relistIntervalMs: SANDBOX_INFORMER_RELIST_MS,
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

  interface Launched {
    facts: InstanceFacts;
    slots: { hasTrunk: boolean; attachedInterfaces: number };
  }

  /** Describes the instances in batches until each is running; one call per 200 instances, not one per node. */
  async function describeRunning(instanceIds: readonly string[]): Promise<Map<string, Launched>> {
    const out = new Map<string, Launched>();
    const deadline = Date.now() + (opts.instanceReadyTimeoutMs ?? 60_000);
    let waiting = [...instanceIds];
    while (waiting.length > 0) {
      const still: string[] = [];
      for (let i = 0; i < waiting.length; i += 200) {
        const batch = waiting.slice(i, i + 200);
        const res = await retryEc2(() => opts.ec2.send(new DescribeInstancesCommand({ InstanceIds: batch })));
        const seen = new Set<string>();
        for (const inst of (res.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          const id = inst.InstanceId ?? '';
          seen.add(id);
          const state = inst.State?.Name;
          if (state === 'running' && inst.PrivateIpAddress && inst.InstanceType && inst.Placement?.AvailabilityZone) {
            const t = await retryEc2(() => typeInfo(inst.InstanceType as string));
            const enis = inst.NetworkInterfaces ?? [];
            out.set(id, {
              facts: { instanceId: id, instanceType: inst.InstanceType, availabilityZone: inst.Placement.AvailabilityZone, region: opts.region, privateIp: inst.PrivateIpAddress, ...t },
              slots: { hasTrunk: enis.some((e) => e.InterfaceType === 'trunk'), attachedInterfaces: enis.length },
            });
          } else if (state === 'pending' || state === undefined) {
            still.push(id);
          } else {
            throw new Error(`instance ${id} is ${state}, not running`);
          }
        }
        for (const id of batch) if (!seen.has(id)) throw new Error(`EC2 does not know instance ${id}`);
      }
      waiting = still;
      if (waiting.length === 0) break;
      if (Date.now() > deadline) throw new Error(`instances did not reach running in time: ${waiting.slice(0, 5).join(', ')}${waiting.length > 5 ? ', …' : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return out;
  }

  async function addOne(launched: Launched): Promise<string> {
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
      launched.facts,
      podCidrs.next(maxPods(launched.facts.maxInterfaces, launched.facts.ipv4PerInterface)),
      launched.slots,
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
    async addInstances(ids) {
      const launched = await describeRunning(ids);
      // Instances boot over tens of seconds, so their kubelets never register all in the same
      // instant; thousands of registrations at once only overflow the API server's accept queue
      // (socket hang-ups at 5,000 nodes). At most REGISTER_CONCURRENCY register at a time.
      const names: string[] = new Array<string>(ids.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < ids.length) {
          const i = next++;
          names[i] = await addOne(launched.get(ids[i] as string) as Launched);
        }
      };
      await Promise.all(Array.from({ length: Math.min(REGISTER_CONCURRENCY, ids.length) }, lane));
      return names;
    },
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
      // Kubernetes' pod garbage collector force-deletes pods bound to a Node that no longer exists.
      await Promise.all(
        pods.byIndex('byNode', name).map(async (p) => {
          try {
            await kubelet.deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace: p.metadata?.namespace ?? '', gracePeriodSeconds: 0 });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }),
      );
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
