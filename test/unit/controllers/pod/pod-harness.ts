// The pod side's reconciler and releaser wired to in-memory fakes (FakeEc2, a pod map, recorded
// events and queue adds): unit tests of their decisions without any server.
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { RESOURCE_POD_ENI } from '../../../../src/apis/constants.js';
import type { SecurityGroupPolicyObject } from '../../../../src/controllers/informers.js';
import { BranchReleaser } from '../../../../src/controllers/pod/branch-releaser.js';
import { CapacityWaiters } from '../../../../src/controllers/pod/capacity-waiters.js';
import { DeleteGuard } from '../../../../src/controllers/pod/delete-guard.js';
import type { PodSideMetrics } from '../../../../src/controllers/pod/metrics.js';
import { NodeStates } from '../../../../src/controllers/pod/node-states.js';
import { TrunkBranchSource } from '../../../../src/controllers/pod/branch-snapshot.js';
import { describeTrunkBranches } from '../../../../src/controllers/pod/rebuild.js';
import { PodReconciler } from '../../../../src/controllers/pod/pod-reconciler.js';
import type { TrunkInfo } from '../../../../src/controllers/trunk-registry.js';
import { BranchBook } from '../../../../src/domain/branch-book.js';
import { resolvePolicyGroups } from '../../../../src/domain/policy-groups.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export function apiError(code: number, reason = ''): ApiException<string> {
  return new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: 'Status', reason, message: `${reason || code} from the fake API server` }), {});
}

export function pod(name: string, over: { uid?: string; node?: string | undefined; eni?: number | string; labels?: Record<string, string>; phase?: string; annotations?: Record<string, string> } = {}): V1Pod {
  const eni = over.eni ?? 1;
  return {
    metadata: { name, namespace: 'ns', uid: over.uid ?? `uid-${name}`, labels: over.labels ?? { app: 'web' }, ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: {
      ...('node' in over ? (over.node ? { nodeName: over.node } : {}) : { nodeName: 'node-1' }),
      containers: [{ name: 'c', resources: eni === 0 ? {} : { requests: { [RESOURCE_POD_ENI]: String(eni) }, limits: { [RESOURCE_POD_ENI]: String(eni) } } }],
    },
    status: { phase: over.phase ?? 'Pending' },
  };
}

export function policy(name: string, groups: string[], matchLabels: Record<string, string> = { app: 'web' }): SecurityGroupPolicyObject {
  return { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name, namespace: 'ns' }, spec: { podSelector: { matchLabels }, securityGroups: { groupIds: groups } } };
}

/**
 * `ec2` shares one EC2 between harnesses (a second harness on it is the controller after a restart);
 * `startedAt` is when that controller process started (pods created before it may meet its
 * predecessor's ClientTokens).
 */
export function harness(opts: { branchLimit?: number; defaultGroups?: string[]; subnetCidr?: string; quota?: number; ec2?: FakeEc2; startedAt?: number; warmSeconds?: number } = {}) {
  const ec2 = opts.ec2 ?? new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
  if (!ec2.enis.has('eni-trunk')) ec2.enis.set('eni-trunk', { NetworkInterfaceId: 'eni-trunk', InterfaceType: 'trunk', SubnetId: 'subnet-1', Status: 'in-use', TagSet: [] });
  const trunk: TrunkInfo = {
    nodeName: 'node-1',
    instanceId: 'i-1',
    trunkEniId: 'eni-trunk',
    subnetId: 'subnet-1',
    subnetCidr: opts.subnetCidr ?? '10.0.0.0/19',
    defaultSecurityGroups: opts.defaultGroups ?? ['sg-node'],
    branchLimit: opts.branchLimit ?? 9,
  };
  const trunks = new Map<string, TrunkInfo>([['node-1', trunk]]);
  const pods = new Map<string, V1Pod>();
  const policies: SecurityGroupPolicyObject[] = [];
  const events: RecordedEvent[] = [];
  const releaseQueue: string[] = [];
  const podQueue: string[] = [];
  const patches: { namespace: string; name: string; body: { metadata: { uid: string; annotations: Record<string, string> } } }[] = [];
  const metricCalls: string[] = [];
  let clock = 1_000_000;
  const now = (): number => clock;
  const patchErrors: Error[] = [];
  const apiPods = new Map<string, V1Pod | Error>();
  const metrics: PodSideMetrics = {
    timeToAnnotation: () => metricCalls.push('timeToAnnotation'),
    allocated: (n) => metricCalls.push(`allocated:${n}`),
    allocationFailure: (step) => metricCalls.push(`allocationFailure:${step}`),
    released: (n, r) => metricCalls.push(`released:${n}:${r}`),
    releaseFailure: () => metricCalls.push('releaseFailure'),
    missingResource: () => metricCalls.push('missingResource'),
    quotaExceeded: () => metricCalls.push('quotaExceeded'),
    branches: () => undefined,
    gcOrphans: () => undefined,
    stateNodes: () => undefined,
    reuse: (result) => metricCalls.push(`reuse:${result}`),
    warmEvicted: () => metricCalls.push('warmEvicted'),
    warmExpired: () => metricCalls.push('warmExpired'),
    warmTopUp: (result) => metricCalls.push(`warmTopUp:${result}`),
    warm: () => undefined,
    groupsUpdated: (result) => metricCalls.push(`groupsUpdated:${result}`),
    deleteRefused: (reason, path) => metricCalls.push(`deleteRefused:${reason}:${path}`),
    repaired: (problem) => metricCalls.push(`repaired:${problem}`),
  };
  const book = new BranchBook();
  const capacity = new CapacityWaiters();
  const logger = silentLogger();
  const key = (p: V1Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;
  const readPod = (namespace: string, name: string): Promise<V1Pod> => {
    const p = apiPods.get(`${namespace}/${name}`) ?? pods.get(`${namespace}/${name}`);
    if (p instanceof Error) return Promise.reject(p);
    return p ? Promise.resolve(p) : Promise.reject(apiError(404, 'NotFound'));
  };
  // The API server's view of a node's pods: apiPods where set (a 404 Error means gone), else the cache.
  const listPodsOnNode = (nodeName: string): Promise<V1Pod[]> => {
    const view = new Map<string, V1Pod>(pods);
    for (const [k, v] of apiPods) {
      if (v instanceof Error) view.delete(k);
      else view.set(k, v);
    }
    return Promise.resolve([...view.values()].filter((p) => p.spec?.nodeName === nodeName));
  };
  const guard = new DeleteGuard({ ec2, clusterName: 'c1', readPod, listPodsOnNode, refused: (reason, path) => metrics.deleteRefused(reason, path), logger: silentLogger() });
  const releaser = new BranchReleaser({
    ec2,
    book,
    guard,
    readPod,
    cooldownSeconds: () => 30,
    // Warm reuse is off unless a test turns it on: most cover the cooldown-then-delete path.
    warmSeconds: () => opts.warmSeconds ?? 0,
    tagWarm: () => undefined,
    forget: () => undefined,
    enqueue: (eniId) => releaseQueue.push(eniId),
    enqueuePod: (k) => podQueue.push(k),
    capacity,
    metrics,
    logger,
    now,
  });
  const nodeStates = new NodeStates({
    book,
    branches: new TrunkBranchSource(ec2, 'c1', (trunkEniId) => describeTrunkBranches(ec2, trunkEniId)),
    rebuiltNodes: () => undefined,
    podsOnNode: (n) => [...pods.values()].filter((p) => p.spec?.nodeName === n),
    podByUid: (uid) => [...pods.values()].find((p) => p.metadata?.uid === uid),
    handOver: (items) => releaser.handOver(items),
    now,
    logger,
  });
  const reconciler = new PodReconciler({
    settings: { clusterName: 'c1', securityGroupsPerInterface: opts.quota ?? 5 },
    ec2,
    book,
    events: {
      normal: (_t, reason, message) => events.push({ type: 'Normal', reason, message }),
      warning: (_t, reason, message) => events.push({ type: 'Warning', reason, message }),
    },
    pod: (k) => pods.get(k),
    policies: (ns) => policies.filter((p) => p.metadata?.namespace === ns),
    // Only group IDs in these tests: no catalog of the VPC's groups is needed to resolve them.
    resolvePolicyGroups: (p) => resolvePolicyGroups(p.spec.securityGroups, [], opts.quota ?? 5),
    serviceAccountLabels: () => ({}),
    trunk: (n) => trunks.get(n),
    patchPod: (namespace, name, body) => {
      const err = patchErrors.shift();
      if (err) return Promise.reject(err);
      patches.push({ namespace, name, body: body as (typeof patches)[number]['body'] });
      return Promise.resolve();
    },
    nodeStates,
    releaser,
    capacity,
    metrics,
    logger,
    now,
    capacityRecheckMs: 7_000,
    // No waiting for EC2's reads to settle: the fake is consistent at once.
    settleMs: 0,
    guard,
    ...(opts.startedAt !== undefined ? { startedAt: opts.startedAt } : {}),
    reuseOn: () => false,
    reuseWaitMs: () => 0,
    coolingDue: () => undefined,
  });
  return {
    ec2,
    book,
    trunk,
    trunks,
    pods,
    policies,
    events,
    releaseQueue,
    podQueue,
    patches,
    patchErrors,
    apiPods,
    metricCalls,
    capacity,
    guard,
    nodeStates,
    readPod,
    reconciler,
    releaser,
    add(p: V1Pod): string {
      pods.set(key(p), p);
      return key(p);
    },
    /** The pod as the API server has it after our patch (what the informer would bring). */
    applyPatches(): void {
      for (const pt of patches) {
        const p = pods.get(`${pt.namespace}/${pt.name}`);
        if (p) p.metadata = { ...p.metadata, annotations: { ...p.metadata?.annotations, ...pt.body.metadata.annotations } };
      }
    },
    advance(ms: number): void {
      clock += ms;
    },
    reasons: (): string[] => events.map((e) => e.reason),
    reconcile: (k: string) => reconciler.reconcile(k),
  };
}
