// What a kubelet on an EC2 instance registers, pure: the Node's name, labels, providerID and
// resources, from the instance's facts. Resource figures follow EKS: max pods from the VPC CNI's
// formula, allocatable after EKS's kube-reserved (cpu by core, memory 255Mi + 11Mi per pod) and
// the 100Mi hard eviction threshold.
import { LABEL_INSTANCE_TYPE, LABEL_OS, LABEL_ZONE } from '../../../apis/constants.js';
import { rfc3339 } from '../objects.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_REGION = 'topology.kubernetes.io/region';
export const KUBELET_VERSION = 'v1.32.9-eks-sandbox';

export interface InstanceFacts {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  region: string;
  privateIp: string;
  /** From DescribeInstanceTypes when known. */
  vcpus?: number;
  memoryMiB?: number;
  maxInterfaces: number;
  ipv4PerInterface: number;
}

/** ip-10-0-1-23.us-west-2.compute.internal */
export function nodeNameFor(privateIp: string, region: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(privateIp)) throw new Error(`invalid private IPv4 address "${privateIp}"`);
  return `ip-${privateIp.replaceAll('.', '-')}.${region}.compute.internal`;
}

export function providerIdFor(az: string, instanceId: string): string {
  return `aws:///${az}/${instanceId}`;
}

/** The VPC CNI's max pods: every interface's secondary addresses, plus two host-network pods. */
export function maxPods(interfaces: number, ipv4PerInterface: number): number {
  return Math.max(0, interfaces * (ipv4PerInterface - 1) + 2);
}

const SIZE_VCPUS: Record<string, number> = { nano: 1, micro: 1, small: 1, medium: 1, large: 2, xlarge: 4, metal: 96 };
const GIB_PER_VCPU: Record<string, number> = { c: 2, m: 4, r: 8, x: 16, z: 8, t: 4, i: 8, d: 8, g: 4, p: 8, a: 2 };

/** vCPUs and memory from the type's name, for when EC2 does not say (m5.large → 2 vCPU, 8 GiB). */
export function guessShape(instanceType: string): { vcpus: number; memoryMiB: number } {
  const [family = '', size = ''] = instanceType.split('.');
  const n = /^(\d+)xlarge$/.exec(size);
  const vcpus = n ? Number(n[1]) * 4 : (SIZE_VCPUS[size] ?? 2);
  const gib = GIB_PER_VCPU[family[0] ?? 'm'] ?? 4;
  return { vcpus, memoryMiB: vcpus * gib * 1024 };
}

/** Graviton families (m6g, c7gn, r8g …) and a1 are arm64. */
export function archFor(instanceType: string): 'arm64' | 'amd64' {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g/.test(family) || family === 'a1' ? 'arm64' : 'amd64';
}

/** EKS kube-reserved cpu in millicores: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above. */
export function reservedCpuMilli(vcpus: number): number {
  let m = 0;
  for (let core = 1; core <= vcpus; core++) m += core === 1 ? 60 : core === 2 ? 10 : core <= 4 ? 5 : 2.5;
  return Math.ceil(m);
}

export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

export function nodeResources(facts: InstanceFacts): NodeResources {
  const guess = guessShape(facts.instanceType);
  const vcpus = facts.vcpus ?? guess.vcpus;
  const memoryMiB = facts.memoryMiB ?? guess.memoryMiB;
  const pods = maxPods(facts.maxInterfaces, facts.ipv4PerInterface);
  const reservedMemMiB = 255 + 11 * pods + 100;
  return {
    capacity: { cpu: String(vcpus), memory: `${memoryMiB * 1024}Ki`, pods: String(pods), 'ephemeral-storage': '20959212Ki' },
    allocatable: {
      cpu: `${vcpus * 1000 - reservedCpuMilli(vcpus)}m`,
      memory: `${Math.max(0, memoryMiB - reservedMemMiB) * 1024}Ki`,
      pods: String(pods),
      'ephemeral-storage': '18242267924',
    },
  };
}

export function nodeLabels(facts: InstanceFacts, nodeName: string): Record<string, string> {
  return {
    [LABEL_INSTANCE_TYPE]: facts.instanceType,
    [LABEL_ZONE]: facts.availabilityZone,
    [LABEL_REGION]: facts.region,
    [LABEL_OS]: 'linux',
    [LABEL_ARCH]: archFor(facts.instanceType),
    [LABEL_HOSTNAME]: nodeName,
    'beta.kubernetes.io/instance-type': facts.instanceType,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': archFor(facts.instanceType),
    'failure-domain.beta.kubernetes.io/zone': facts.availabilityZone,
    'failure-domain.beta.kubernetes.io/region': facts.region,
  };
}

/**
 * The node conditions kubelet posts. `unknown` is what the node lifecycle controller writes once
 * kubelet stops posting (every condition Unknown, reason NodeStatusUnknown).
 */
export function readyConditions(now: Date, since: Date, unknown = false): Record<string, unknown>[] {
  const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: rfc3339(now),
    lastTransitionTime: rfc3339(since),
  });
  if (unknown) {
    return ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => cond(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'));
  }
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The Node object a kubelet registers (status included; it is also written through nodes/status). */
export function buildNode(facts: InstanceFacts, opts: { podCidr: string; now: Date }): Record<string, unknown> {
  const name = nodeNameFor(facts.privateIp, facts.region);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: nodeLabels(facts, name), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: { providerID: providerIdFor(facts.availabilityZone, facts.instanceId), podCIDR: opts.podCidr, podCIDRs: [opts.podCidr] },
    status: nodeStatus(facts, opts.now, opts.now),
  };
}

export function nodeStatus(facts: InstanceFacts, now: Date, since: Date): Record<string, unknown> {
  const name = nodeNameFor(facts.privateIp, facts.region);
  const res = nodeResources(facts);
  const arch = archFor(facts.instanceType);
  return {
    capacity: res.capacity,
    allocatable: res.allocatable,
    conditions: readyConditions(now, since),
    addresses: [
      { type: 'InternalIP', address: facts.privateIp },
      { type: 'InternalDNS', address: name },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: facts.instanceId.replace(/^i-/, '').padEnd(32, '0').slice(0, 32),
      systemUUID: `ec2${facts.instanceId.replace(/^i-/, '')}`.slice(0, 36),
      bootID: facts.instanceId,
      kernelVersion: '6.1.112-124.190.amzn2023.x86_64',
      osImage: 'Amazon Linux 2023.6.20241010',
      containerRuntimeVersion: 'containerd://1.7.22',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: arch,
    },
  };
}
