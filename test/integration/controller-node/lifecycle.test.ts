// A node's life with the controller: a restart finds and reuses trunks, capacity removed from a
// Node is advertised again, a failed trunk creation is rolled back fully and retried (with the IAM
// hint for UnauthorizedOperation), and a deleted node's CNINode cleanup leaves no available ENI of
// its instance that this cluster owns (the controller's and the VPC CNI's), never another cluster's.
import { CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LABEL_HAS_TRUNK_ATTACHED,
  REASON_NODE_TRUNK_FAILED_INIT,
  RESOURCE_POD_ENI,
  tagClusterKey,
  TAG_CLUSTER_NAME,
  TAG_CLUSTER_VALUE,
  TAG_ENI_OWNER,
  TAG_ENI_OWNER_VALUE,
  TAG_INSTANCE_ID,
} from '../../../src/apis/constants.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { checkInvariants } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { admin, getCniNode, instanceOfNode, listNodes, nodeEvents, podEniCapacity, startTestController, trunks } from './helpers.js';

describe('controller: node lifecycle', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let controller: RunningController | undefined;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=4', ec2: { attachDelayMs: 100 } });
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await sandbox?.stop();
  });

  const allAdvertised = async (count: number): Promise<boolean> => {
    const nodes = await listNodes(sandbox);
    return nodes.length === count && nodes.every((n) => podEniCapacity(n) === '9' && n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true');
  };

  it('after a restart, finds and reuses every trunk: none created, none duplicated', async () => {
    controller = await startTestController(sandbox);
    await waitFor(() => allAdvertised(4), { timeoutMs: 15_000, what: '4 nodes advertised' });
    const before = trunks(sandbox).map((t) => t.networkInterfaceId).sort();
    expect(before).toHaveLength(4);
    await controller.stop();
    const creates = sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    const attaches = sandbox.ec2.control.counter('AttachNetworkInterface').calls;

    controller = await startTestController(sandbox);
    const c = controller;
    await waitFor(() => c.ctx.trunks.list().length === 4, { timeoutMs: 15_000, what: 'the restarted controller to publish 4 trunks' });
    expect(c.ctx.trunks.list().map((t) => t.trunkEniId).sort()).toEqual(before);
    expect(trunks(sandbox).map((t) => t.networkInterfaceId).sort()).toEqual(before);
    expect(sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(creates);
    expect(sandbox.ec2.control.counter('AttachNetworkInterface').calls).toBe(attaches);
    expect(await checkInvariants(sandbox, { skipPods: true })).toEqual([]);
  });

  it('advertises the capacity again when it disappears from the Node', async () => {
    const name = sandbox.nodeNames()[0] ?? '';
    await sandbox.nodeAgent(name)?.removeExtendedResource(RESOURCE_POD_ENI);
    await waitFor(async () => podEniCapacity((await listNodes(sandbox)).find((n) => n.metadata?.name === name) ?? {}) === '9', {
      timeoutMs: 5_000,
      what: 'capacity re-advertised',
    });
  });

  it('rolls a failed trunk back fully, says why (with the IAM hint), and retries', async () => {
    sandbox.ec2.control.injectFault('AttachNetworkInterface', { code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.', count: 1 });
    const [name] = await sandbox.addNodes('m5.large=1');
    const node = (await listNodes(sandbox)).find((n) => n.metadata?.name === name);
    const instanceId = instanceOfNode(node ?? {});
    const ev = await waitFor(async () => (await nodeEvents(sandbox, name ?? '')).find((e) => e.reason === REASON_NODE_TRUNK_FAILED_INIT));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('UnauthorizedOperation');
    expect(ev.message).toContain('IAM');
    // The unattached trunk is deleted (the event may be written while the rollback still runs):
    // no ENI of the instance is left over.
    await waitFor(() => sandbox.ec2.world.listEnis().every((e) => !(e.tags[TAG_INSTANCE_ID] === instanceId && e.status === 'available')), {
      timeoutMs: 5_000,
      what: 'the unattached trunk to be rolled back',
    });
    // UnauthorizedOperation is retried slowly (minutes); the node is reconciled at once on any change, though.
    await sandbox.nodeAgent(name ?? '')?.removeExtendedResource(RESOURCE_POD_ENI);
    await waitFor(() => allAdvertised(5), { timeoutMs: 10_000, what: 'the node to get its trunk after the failure' });
    expect(trunks(sandbox).filter((t) => t.attachment?.instanceId === instanceId)).toHaveLength(1);

    // A failure after the attachment (DeleteOnTermination) detaches and deletes the trunk first.
    const detaches = sandbox.ec2.control.counter('DetachNetworkInterface').calls;
    const deletes = sandbox.ec2.control.counter('DeleteNetworkInterface').calls;
    sandbox.ec2.control.injectFault('ModifyNetworkInterfaceAttribute', { code: 'InternalError', count: 2 });
    const [second] = await sandbox.addNodes('m5.large=1');
    const secondInstance = instanceOfNode((await listNodes(sandbox)).find((n) => n.metadata?.name === second) ?? {});
    await waitFor(() => allAdvertised(6), { timeoutMs: 15_000, what: 'the second node to get its trunk after the rollback' });
    const mine = sandbox.ec2.world.listEnis().filter((e) => e.tags[TAG_INSTANCE_ID] === secondInstance);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.attachment?.deleteOnTermination).toBe(true);
    expect(sandbox.ec2.control.counter('DetachNetworkInterface').calls).toBeGreaterThan(detaches);
    expect(sandbox.ec2.control.counter('DeleteNetworkInterface').calls).toBeGreaterThan(deletes);
    expect(await checkInvariants(sandbox, { skipPods: true })).toEqual([]);
  });

  it('node deleted: the CNINode finalizer deletes the available ENIs the controller owns for the instance, then lets it go', async () => {
    const name = sandbox.nodeNames()[1] ?? '';
    const node = (await listNodes(sandbox)).find((n) => n.metadata?.name === name);
    const instanceId = instanceOfNode(node ?? {});
    const trunk = trunks(sandbox).find((t) => t.attachment?.instanceId === instanceId);
    // Leftovers: one ENI the controller owns for this instance (e.g. a branch whose pod is gone),
    // and one that is not ours (must stay).
    const ec2 = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
    const tags = (own: boolean) => [
      { Key: TAG_INSTANCE_ID, Value: instanceId },
      { Key: tagClusterKey(sandbox.clusterName), Value: TAG_CLUSTER_VALUE },
      ...(own ? [{ Key: TAG_ENI_OWNER, Value: TAG_ENI_OWNER_VALUE }] : []),
    ];
    const ours = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: trunk?.subnetId, TagSpecifications: [{ ResourceType: 'network-interface', Tags: tags(true) }] }));
    const theirs = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: trunk?.subnetId, TagSpecifications: [{ ResourceType: 'network-interface', Tags: tags(false) }] }));
    ec2.destroy();
    expect((await getCniNode(sandbox, name))?.metadata.finalizers).toContain('networking.k8s.aws/resource-cleanup');

    await sandbox.removeNode(name);
    await waitFor(async () => (await getCniNode(sandbox, name)) === undefined, { timeoutMs: 10_000, what: 'the CNINode to be deleted after cleanup' });
    const left = sandbox.ec2.world.listEnis().filter((e) => e.tags[TAG_INSTANCE_ID] === instanceId);
    expect(left.filter((e) => e.status === 'available' && e.tags[TAG_ENI_OWNER] === TAG_ENI_OWNER_VALUE)).toEqual([]);
    expect(left.map((e) => e.networkInterfaceId)).toEqual([theirs.NetworkInterface?.NetworkInterfaceId]);
    expect(sandbox.ec2.world.getEni(ours.NetworkInterface?.NetworkInterfaceId ?? '')).toBeUndefined();
    expect(controller?.ctx.trunks.get(name)).toBeUndefined();
  });

  it("node terminated: the VPC CNI's leftover available ENI of this cluster is deleted too; ENIs of another cluster are not", async () => {
    const [name] = await sandbox.addNodes('m5.large=1');
    const c = await waitFor(() => getCniNode(sandbox, name ?? ''), { what: 'the controller-made CNINode' });
    expect(c.metadata.finalizers).toContain('networking.k8s.aws/resource-cleanup');
    const instanceId = instanceOfNode((await listNodes(sandbox)).find((n) => n.metadata?.name === name) ?? {});
    const subnetId = sandbox.ec2.world.getInstance(instanceId)?.subnetId;
    const ec2 = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
    const create = async (tags: Record<string, string>): Promise<string> => {
      const out = await ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: subnetId, TagSpecifications: [{ ResourceType: 'network-interface', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }),
      );
      return out.NetworkInterface?.NetworkInterfaceId ?? '';
    };
    // As aws-node tags its ENIs with CLUSTER_NAME set (amazon-vpc-cni pkg/awsutils buildENITags).
    const cniOurs = await create({ [TAG_INSTANCE_ID]: instanceId, [TAG_ENI_OWNER]: 'amazon-vpc-cni', [TAG_CLUSTER_NAME]: sandbox.clusterName });
    const cniOther = await create({ [TAG_INSTANCE_ID]: instanceId, [TAG_ENI_OWNER]: 'amazon-vpc-cni', [TAG_CLUSTER_NAME]: 'another-cluster' });
    const controllerOther = await create({ [TAG_INSTANCE_ID]: instanceId, [TAG_ENI_OWNER]: TAG_ENI_OWNER_VALUE, [tagClusterKey('another-cluster')]: TAG_CLUSTER_VALUE });
    ec2.destroy();

    await sandbox.removeNode(name ?? '');
    await waitFor(async () => (await getCniNode(sandbox, name ?? '')) === undefined, { timeoutMs: 10_000, what: 'the CNINode to be deleted after cleanup' });
    expect(sandbox.ec2.world.getEni(cniOurs)).toBeUndefined();
    expect(sandbox.ec2.world.getEni(cniOther)?.status).toBe('available');
    expect(sandbox.ec2.world.getEni(controllerOther)?.status).toBe('available');
  });

  it('creates the CNINode of every Linux EC2 node at once, trunk requested or not, and none for Fargate, Auto Mode or Windows nodes', async () => {
    const { core } = admin(sandbox);
    const made = (name: string, labels: Record<string, string>, instance: string) =>
      core.createNode({ body: { metadata: { name, labels }, spec: { providerID: `aws:///us-west-2a/${instance}` } } });
    await made('hand-made-fargate', { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/compute-type': 'fargate', 'eks.amazonaws.com/fargate-profile': 'fp' }, 'i-0aaaaaaaaaaaaaaa1');
    await made('hand-made-auto', { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/compute-type': 'auto' }, 'i-0aaaaaaaaaaaaaaa2');
    await made('hand-made-windows', { 'kubernetes.io/os': 'windows' }, 'i-0aaaaaaaaaaaaaaa3');
    await made('hand-made-linux', { 'kubernetes.io/os': 'linux' }, 'i-0aaaaaaaaaaaaaaa4');
    try {
      // No CNI on it asks for anything: the CNINode comes anyway, with no features and no trunk.
      const linux = await waitFor(() => getCniNode(sandbox, 'hand-made-linux'), { what: 'CNINode of the Linux node' });
      expect(linux.spec?.features ?? []).toEqual([]);
      expect(linux.spec?.tags?.['node.k8s.amazonaws.com/instance_id']).toBe('i-0aaaaaaaaaaaaaaa4');
      await new Promise((r) => setTimeout(r, 300));
      for (const other of ['hand-made-fargate', 'hand-made-auto', 'hand-made-windows']) expect(await getCniNode(sandbox, other)).toBeUndefined();
      expect(trunks(sandbox).filter((t) => t.attachment?.instanceId === 'i-0aaaaaaaaaaaaaaa4')).toEqual([]);
    } finally {
      for (const n of ['hand-made-fargate', 'hand-made-auto', 'hand-made-windows', 'hand-made-linux']) await core.deleteNode({ name: n });
    }
    await waitFor(async () => (await getCniNode(sandbox, 'hand-made-linux')) === undefined, { what: 'the CNINode collected with its Node', timeoutMs: 10_000 });
  });
});
