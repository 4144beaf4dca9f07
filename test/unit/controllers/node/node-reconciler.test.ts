// Unit tests of the node reconcile: the NodeReconciler wired to FakeEc2, in-memory informer
// caches and recording writes/events/metrics, no server. One test per branch of its decisions.
import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  FEATURE_SECURITY_GROUPS_FOR_PODS,
  LABEL_HAS_TRUNK_ATTACHED,
  LABEL_USER_ENICONFIG,
  REASON_CONTROLLER_VERSION_NOTICE,
  REASON_ENICONFIG_NOT_SETTLED,
  REASON_INSUFFICIENT_INTERFACE_SLOTS,
  REASON_NODE_TRUNK_FAILED_INIT,
  REASON_NODE_TRUNK_INITIATED,
  REASON_TRUNK_SECURITY_GROUP_DRIFT,
  REASON_UNSUPPORTED,
  RESOURCE_POD_ENI,
} from '../../../../src/apis/constants.js';
import type { ControllerSettings } from '../../../../src/controllers/context.js';
import type { CNINodeObject, ENIConfigObject } from '../../../../src/controllers/informers.js';
import type { NodeMetrics, NodeState } from '../../../../src/controllers/node/node-metrics.js';
import { NodeReconciler } from '../../../../src/controllers/node/node-reconciler.js';
import type { NodeWrites } from '../../../../src/controllers/node/node-writes.js';
import type { TrunkInfo } from '../../../../src/controllers/trunk-registry.js';
import { LimitsTable, type InstanceLimitsEntry } from '../../../../src/domain/instance-limits.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';

const INSTANCE = 'i-0123456789abcdef0';
const SUBNET = 'subnet-0a000001';

/** A 2-slot type that supports trunking (only custom networking makes that a refusal). */
const TWO_SLOTS: InstanceLimitsEntry = {
  interface: 2,
  ipv4PerInterface: 4,
  isTrunkingCompatible: true,
  branchInterface: 3,
  defaultNetworkCardIndex: 0,
  networkCards: [{ networkCardIndex: 0, maximumNetworkInterfaces: 2 }],
};

function node(over: { providerID?: string | null; labels?: Record<string, string>; capacity?: Record<string, string> } = {}): V1Node {
  const providerID = 'providerID' in over ? over.providerID : `aws:///us-west-2a/${INSTANCE}`;
  return {
    metadata: { name: 'node-1', uid: 'uid-node-1', labels: { 'kubernetes.io/os': 'linux', ...over.labels } },
    spec: providerID ? { providerID } : {},
    status: { capacity: over.capacity ?? {} },
  };
}

function cniNode(features = [{ name: FEATURE_SECURITY_GROUPS_FOR_PODS }]): CNINodeObject {
  return { apiVersion: 'networking.k8s.aws/v1alpha1', kind: 'CNINode', metadata: { name: 'node-1' }, spec: { features } };
}

function harness(opts: { instanceType?: string; customNetworking?: boolean; fixGroups?: boolean; instanceZone?: string } = {}) {
  const ec2 = new FakeEc2().addSubnet(SUBNET, '10.0.0.0/19').addSubnet('subnet-0b000002', '10.1.0.0/19', 'us-west-2b');
  ec2.addInstance({ instanceId: INSTANCE, instanceType: opts.instanceType ?? 'm5.large', availabilityZone: opts.instanceZone ?? 'us-west-2a', subnetId: SUBNET, primaryGroups: ['sg-node'] });
  const nodes = new Map<string, V1Node>([['node-1', node()]]);
  const cniNodes = new Map<string, CNINodeObject>([['node-1', cniNode()]]);
  const eniConfigs = new Map<string, ENIConfigObject>();
  const writes: { op: string; name: string; body: unknown }[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const states = new Map<string, NodeState | undefined>();
  const published = new Map<string, TrunkInfo>();
  const inits: string[] = [];
  const record = (op: string, name: string, body: unknown): Promise<void> => {
    writes.push({ op, name, body });
    return Promise.resolve();
  };
  const nodeWrites: NodeWrites = {
    createCniNode: (body) => record('createCniNode', body.metadata.name ?? '', body),
    patchCniNode: (name, body) => record('patchCniNode', name, body),
    patchNodeStatus: (name, body) => record('patchNodeStatus', name, body),
    patchNode: (name, body) => record('patchNode', name, body),
  };
  const metrics: NodeMetrics = {
    setState: (n, s) => states.set(n, s),
    trunkInit: (_s, result) => inits.push(result),
    drift: () => undefined,
    driftFixed: () => inits.push('drift-fixed'),
  };
  const settings: ControllerSettings = {
    clusterName: 'test',
    region: 'us-west-2',
    customNetworking: opts.customNetworking ?? false,
    fixTrunkSecurityGroups: opts.fixGroups ?? false,
    securityGroupsPerInterface: 5,
    controllerIdentities: [],
    defaultCooldownSeconds: 60,
  };
  const reconciler = new NodeReconciler({
    settings,
    writes: nodeWrites,
    ec2,
    events: {
      normal: (_t, reason, message) => events.push({ type: 'Normal', reason, message }),
      warning: (_t, reason, message) => events.push({ type: 'Warning', reason, message }),
    },
    limits: new LimitsTable(new Map([['x2.small', TWO_SLOTS]])),
    trunks: { publish: (t) => published.set(t.nodeName, t), remove: (n) => published.delete(n) },
    nodes: { get: (n) => nodes.get(n) },
    cniNodes: { get: (n) => cniNodes.get(n) },
    eniConfigs: { get: (n) => eniConfigs.get(n) },
    metrics,
    logger: silentLogger(),
    attachPollMs: 5,
    slotRecheckMs: 777,
  });
  const run = () => reconciler.reconcile('node-1', { failures: 0, logger: silentLogger() });
  const creates = () => ec2.count('CreateNetworkInterface');
  const warnings = (reason: string) => events.filter((e) => e.type === 'Warning' && e.reason === reason);
  return { ec2, nodes, cniNodes, eniConfigs, writes, events, states, published, inits, reconciler, run, creates, warnings };
}

const trunks = (ec2: FakeEc2) => [...ec2.enis.values()].filter((e) => e.InterfaceType === 'trunk');

describe('node reconcile', () => {
  it('a node with no EC2 instance behind it (no providerID) is ineligible: no EC2 call, no trunk', async () => {
    const h = harness();
    h.nodes.set('node-1', node({ providerID: null }));
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('ineligible');
    expect(h.ec2.calls).toEqual([]);
    expect(h.reconciler.knownNodes()).toEqual([]);
  });

  it('a node whose CNI has not asked for a trunk (no feature, no label) gets no trunk', async () => {
    const h = harness();
    h.cniNodes.set('node-1', cniNode([]));
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('ineligible');
    expect(h.ec2.calls).toEqual([]);
    // Its CNINode is still made the controller's (finalizer, owner), ready for when the CNI asks.
    expect(h.writes.map((w) => w.op)).toEqual(['patchCniNode']);
  });

  it('the legacy has-trunk-attached label asks for a trunk too, and a missing CNINode is created', async () => {
    const h = harness();
    h.cniNodes.delete('node-1');
    h.nodes.set('node-1', node({ labels: { [LABEL_HAS_TRUNK_ATTACHED]: 'false' } }));
    await h.run();
    expect(h.writes.map((w) => w.op)).toContain('createCniNode');
    expect(h.creates()).toBe(1);
  });

  it("the node's CNINode gets the finalizer and an owner reference to the Node", async () => {
    const h = harness();
    await h.run();
    const patch = h.writes.find((w) => w.op === 'patchCniNode');
    expect(patch?.body).toMatchObject({ metadata: { finalizers: [expect.any(String)], ownerReferences: [{ kind: 'Node', name: 'node-1', uid: 'uid-node-1' }] } });
  });

  it('an instance EC2 no longer knows is looked at again in 30 s', async () => {
    const h = harness();
    h.ec2.instances.delete(INSTANCE);
    expect(await h.run()).toEqual({ kind: 'requeueAfter', delayMs: 30_000 });
    expect(h.states.get('node-1')).toBe('instance-missing');
    expect(h.creates()).toBe(0);
  });

  it('with custom networking and no ENIConfig named, nothing is created and one Warning says how to settle it', async () => {
    const h = harness({ customNetworking: true });
    expect(await h.run()).toEqual({ kind: 'done' });
    await h.run();
    expect(h.states.get('node-1')).toBe('waiting-eniconfig');
    expect(h.creates()).toBe(0);
    expect(h.warnings(REASON_ENICONFIG_NOT_SETTLED)).toHaveLength(1);
    expect(h.warnings(REASON_ENICONFIG_NOT_SETTLED)[0]?.message).toContain(LABEL_USER_ENICONFIG);
  });

  it('an ENIConfig named but missing keeps the node waiting; once created, the trunk goes in its subnet', async () => {
    const h = harness({ customNetworking: true, instanceType: 'm5.xlarge' });
    h.nodes.set('node-1', node({ labels: { [LABEL_USER_ENICONFIG]: 'zone-a' } }));
    await h.run();
    expect(h.states.get('node-1')).toBe('waiting-eniconfig');
    expect(h.creates()).toBe(0);
    h.ec2.addSubnet('subnet-0c000003', '10.2.0.0/19');
    h.eniConfigs.set('zone-a', { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name: 'zone-a' }, spec: { subnet: 'subnet-0c000003', securityGroups: ['sg-0c000003'] } });
    await h.run();
    expect(trunks(h.ec2).map((t) => [t.SubnetId, t.Groups?.map((g) => g.GroupId)])).toEqual([['subnet-0c000003', ['sg-0c000003']]]);
  });

  it('creates and attaches the trunk at the highest free slot, then advertises capacity, label and events once', async () => {
    const h = harness();
    const first = await h.run();
    expect(first).toEqual({ kind: 'requeueAfter', delayMs: 5, lane: 'high' });
    const [trunk] = trunks(h.ec2);
    expect(trunk?.Attachment).toMatchObject({ InstanceId: INSTANCE, DeviceIndex: 2, DeleteOnTermination: true });
    expect(trunk?.SubnetId).toBe(SUBNET);
    expect(h.states.get('node-1')).toBe('initializing');

    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('ready');
    expect(h.writes).toContainEqual({ op: 'patchNodeStatus', name: 'node-1', body: { status: { capacity: { [RESOURCE_POD_ENI]: '9' } } } });
    expect(h.writes).toContainEqual({ op: 'patchNode', name: 'node-1', body: { metadata: { labels: { [LABEL_HAS_TRUNK_ATTACHED]: 'true' } } } });
    expect(h.published.get('node-1')).toMatchObject({ trunkEniId: trunk?.NetworkInterfaceId, branchLimit: 9, subnetCidr: '10.0.0.0/19', defaultSecurityGroups: ['sg-node'] });
    expect(h.events.map((e) => e.reason)).toEqual([REASON_CONTROLLER_VERSION_NOTICE, REASON_NODE_TRUNK_INITIATED]);
    expect(h.inits).toEqual(['created']);

    // Capacity advertised (the Node now shows it): a new reconcile writes nothing and calls no EC2.
    h.nodes.set('node-1', node({ capacity: { [RESOURCE_POD_ENI]: '9' }, labels: { [LABEL_HAS_TRUNK_ATTACHED]: 'true' } }));
    const nodeWrites = () => h.writes.filter((w) => w.op === 'patchNode' || w.op === 'patchNodeStatus').length;
    const writes = nodeWrites();
    const calls = h.ec2.calls.length;
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(nodeWrites()).toBe(writes);
    expect(h.ec2.calls.length).toBe(calls);
    expect(h.events).toHaveLength(2);
  });

  it('an attachment still attaching is polled on the high lane with a growing delay', async () => {
    const h = harness();
    h.ec2.attachStatus = 'attaching';
    await h.run();
    expect(await h.run()).toEqual({ kind: 'requeueAfter', delayMs: 5, lane: 'high' });
    expect(await h.run()).toEqual({ kind: 'requeueAfter', delayMs: 10, lane: 'high' });
    expect(h.states.get('node-1')).toBe('initializing');
    for (const e of trunks(h.ec2)) if (e.Attachment) e.Attachment.Status = 'attached';
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('ready');
  });

  it('an attach failure rolls the ENI back, warns, retries with the EC2 class, and the next create uses a fresh token', async () => {
    const h = harness();
    h.ec2.failNext('AttachNetworkInterface', 'InsufficientFreeAddressesInSubnet');
    h.ec2.failNext('DeleteNetworkInterface', 'RequestLimitExceeded');
    const out = await h.run();
    expect(out).toMatchObject({ kind: 'retry', errorClass: 'quota' });
    expect(h.states.get('node-1')).toBe('failed');
    expect(h.warnings(REASON_NODE_TRUNK_FAILED_INIT)).toHaveLength(1);
    // The delete failed: the half-made trunk is still there and is removed before anything else.
    expect(trunks(h.ec2)).toHaveLength(1);
    const leftover = trunks(h.ec2)[0]?.NetworkInterfaceId;

    await h.run();
    expect(h.ec2.enis.has(leftover ?? '')).toBe(false);
    const creates = h.ec2.calls.filter((c) => c.action === 'CreateNetworkInterface');
    expect(creates).toHaveLength(2);
    expect(creates[0]?.opts).not.toEqual(creates[1]?.opts); // generation bumped: another ClientToken
    expect(trunks(h.ec2)).toHaveLength(1);
    expect(trunks(h.ec2)[0]?.NetworkInterfaceId).not.toBe(leftover);
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('ready');
  });

  it('a create failure leaves nothing to roll back and retries', async () => {
    const h = harness();
    h.ec2.failNext('CreateNetworkInterface', 'InsufficientFreeAddressesInSubnet');
    expect(await h.run()).toMatchObject({ kind: 'retry', errorClass: 'quota', minDelayMs: 15_000 });
    expect(trunks(h.ec2)).toHaveLength(0);
    expect(h.warnings(REASON_NODE_TRUNK_FAILED_INIT)[0]?.message).toContain('Failed to create the trunk interface');
  });

  it('an instance type without trunk support gets one Unsupported warning and no trunk', async () => {
    const h = harness({ instanceType: 't3.medium' });
    expect(await h.run()).toEqual({ kind: 'done' });
    await h.run();
    expect(h.states.get('node-1')).toBe('unsupported');
    expect(h.warnings(REASON_UNSUPPORTED)).toHaveLength(1);
    expect(h.creates()).toBe(0);
  });

  it('an instance type unknown to the limits table is unsupported, and the warning names --instance-limits-file', async () => {
    const h = harness({ instanceType: 'zz9.huge' });
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.warnings(REASON_UNSUPPORTED)[0]?.message).toContain('--instance-limits-file');
  });

  it('a 2-slot type with custom networking is refused for good (no recheck)', async () => {
    const h = harness({ instanceType: 'x2.small', customNetworking: true });
    h.nodes.set('node-1', node({ labels: { [LABEL_USER_ENICONFIG]: 'zone-a' } }));
    h.eniConfigs.set('zone-a', { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name: 'zone-a' }, spec: { subnet: SUBNET } });
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('refused');
    expect(h.warnings(REASON_INSUFFICIENT_INTERFACE_SLOTS)[0]?.message).toContain('only 2 network interface slots');
    expect(h.creates()).toBe(0);
  });

  it('the same 2-slot type without custom networking gets its trunk at slot 1', async () => {
    const h = harness({ instanceType: 'x2.small' });
    await h.run();
    expect(trunks(h.ec2)[0]?.Attachment?.DeviceIndex).toBe(1);
  });

  it('all slots taken: refused and looked at again after the slot recheck interval', async () => {
    const h = harness({ instanceType: 'x2.small' });
    h.ec2.enis.set('eni-cni', { NetworkInterfaceId: 'eni-cni', InterfaceType: 'interface', SubnetId: SUBNET, Attachment: { AttachmentId: 'a-cni', InstanceId: INSTANCE, DeviceIndex: 1, NetworkCardIndex: 0, Status: 'attached' } });
    expect(await h.run()).toEqual({ kind: 'requeueAfter', delayMs: 777 });
    expect(h.states.get('node-1')).toBe('refused');
    expect(h.warnings(REASON_INSUFFICIENT_INTERFACE_SLOTS)[0]?.message).toContain('slots');
  });

  it("an ENIConfig subnet in another zone than the instance fails with a Warning naming the zones", async () => {
    const h = harness({ customNetworking: true });
    h.nodes.set('node-1', node({ labels: { [LABEL_USER_ENICONFIG]: 'zone-b' } }));
    h.eniConfigs.set('zone-b', { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name: 'zone-b' }, spec: { subnet: 'subnet-0b000002' } });
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.states.get('node-1')).toBe('failed');
    expect(h.warnings(REASON_NODE_TRUNK_FAILED_INIT)[0]?.message).toContain('is in us-west-2b but the node\'s instance is in us-west-2a');
    expect(h.creates()).toBe(0);
  });

  it('a trunk found after a restart is adopted (reused), its groups drift reported, and fixed in place when allowed', async () => {
    for (const fixGroups of [false, true]) {
      const h = harness({ fixGroups });
      h.ec2.enis.set('eni-old', { NetworkInterfaceId: 'eni-old', InterfaceType: 'trunk', SubnetId: SUBNET, Groups: [{ GroupId: 'sg-other' }], Attachment: { AttachmentId: 'a-old', InstanceId: INSTANCE, DeviceIndex: 2, NetworkCardIndex: 0, Status: 'attached', DeleteOnTermination: true } });
      expect(await h.run()).toEqual({ kind: 'done' });
      expect(h.creates()).toBe(0);
      expect(h.inits).toEqual(fixGroups ? ['drift-fixed', 'reused'] : ['reused']);
      expect(h.warnings(REASON_TRUNK_SECURITY_GROUP_DRIFT)).toHaveLength(1);
      expect(h.published.get('node-1')?.defaultSecurityGroups).toEqual(fixGroups ? ['sg-node'] : ['sg-other']);
      expect(h.ec2.enis.get('eni-old')?.Groups?.map((g) => g.GroupId)).toEqual(fixGroups ? ['sg-node'] : ['sg-other']);
    }
  });

  it('a trunk being detached is waited for, not replaced', async () => {
    const h = harness();
    h.ec2.enis.set('eni-old', { NetworkInterfaceId: 'eni-old', InterfaceType: 'trunk', SubnetId: SUBNET, Groups: [{ GroupId: 'sg-node' }], Attachment: { AttachmentId: 'a-old', InstanceId: INSTANCE, DeviceIndex: 2, NetworkCardIndex: 0, Status: 'detaching' } });
    expect(await h.run()).toEqual({ kind: 'requeueAfter', delayMs: 2_000 });
    expect(h.creates()).toBe(0);
  });

  it('a node deleted after its trunk was published is forgotten: trunk withdrawn, state cleared', async () => {
    const h = harness();
    await h.run();
    await h.run();
    expect(h.published.has('node-1')).toBe(true);
    expect(h.reconciler.instanceOf('node-1')).toBe(INSTANCE);
    h.nodes.delete('node-1');
    expect(await h.run()).toEqual({ kind: 'done' });
    expect(h.published.has('node-1')).toBe(false);
    expect(h.states.get('node-1')).toBeUndefined();
    expect(h.reconciler.knownNodes()).toEqual([]);
  });
});
