// The CNINode finalizer: with the Node gone, the instance's available ENIs this cluster owns (the
// controller's and the VPC CNI's) are deleted, another cluster's are not; with the Node alive (the
// CNINode deleted by hand) only the finalizer goes, no EC2 call, and the spec is kept for the new one.
import { ApiException, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CNINodeObject } from '../../../../src/controllers/informers.js';
import { reconcileCniNodeCleanup, type CniNodeCleanupDeps } from '../../../../src/controllers/cninode/cleanup.js';
import { CniNodeCarryOver } from '../../../../src/controllers/cninode/cninode-ensurer.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';

const INSTANCE = 'i-0123456789abcdef0';
const rc = { failures: 0, logger: silentLogger() };

function cniNode(): CNINodeObject {
  return {
    apiVersion: 'vpcresources.k8s.aws/v1alpha1',
    kind: 'CNINode',
    metadata: {
      name: 'n1',
      resourceVersion: '5',
      deletionTimestamp: new Date().toISOString(),
      finalizers: ['networking.k8s.aws/resource-cleanup'],
      labels: { 'kubernetes.io/os': 'linux' },
    },
    spec: { features: [{ name: 'SecurityGroupsForPods' }], tags: { 'cluster.k8s.amazonaws.com/name': 'prod', 'node.k8s.amazonaws.com/instance_id': INSTANCE, team: 'x' } },
  } as unknown as CNINodeObject; // custom objects arrive as JSON: the timestamp is a string
}

function setup(node: V1Node | undefined) {
  const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
  const patches: { name: string; body: unknown }[] = [];
  const kube = {
    core: {
      readNode: () => (node ? Promise.resolve(node) : Promise.reject(new ApiException(404, 'not found', '{"kind":"Status","code":404}', {}))),
    },
    custom: {
      patchClusterCustomObject: (req: { name: string; body: unknown }) => {
        patches.push({ name: req.name, body: req.body });
        return Promise.resolve({});
      },
    },
  };
  const carryOver = new CniNodeCarryOver();
  const cni = cniNode();
  const deps = {
    kube,
    ec2,
    nodes: { get: () => node },
    cniNodes: { get: () => cni },
    clusterName: 'prod',
    carryOver,
  } as unknown as CniNodeCleanupDeps;
  return { ec2, patches, carryOver, deps };
}

async function leftover(ec2: FakeEc2, tags: Record<string, string>): Promise<string> {
  const eni = await ec2.createNetworkInterface(
    { SubnetId: 'subnet-1', TagSpecifications: [{ ResourceType: 'network-interface', Tags: Object.entries({ 'node.k8s.amazonaws.com/instance_id': INSTANCE, ...tags }).map(([Key, Value]) => ({ Key, Value })) }] },
    { priority: 'release', purpose: [JSON.stringify(tags)] },
  );
  return eni.NetworkInterfaceId ?? '';
}

describe('CNINode cleanup', () => {
  it("node gone: deletes this cluster's available ENIs of the instance, the controller's and the CNI's, never another cluster's; then drops the finalizer", async () => {
    const { ec2, patches, deps } = setup(undefined);
    const ours = await leftover(ec2, { 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/prod': 'owned' });
    const cni = await leftover(ec2, { 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'prod' });
    const otherCni = await leftover(ec2, { 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'staging' });
    const otherOurs = await leftover(ec2, { 'eks:eni:owner': 'eks-vpc-resource-controller', 'kubernetes.io/cluster/staging': 'owned' });
    const unowned = await leftover(ec2, {});
    expect(await reconcileCniNodeCleanup(deps, 'n1', rc)).toEqual({ kind: 'done' });
    expect([...ec2.enis.keys()].sort()).toEqual([otherCni, otherOurs, unowned].sort());
    expect(ec2.enis.has(ours) || ec2.enis.has(cni)).toBe(false);
    expect(patches).toEqual([{ name: 'n1', body: { metadata: { finalizers: [], resourceVersion: '5' } } }]);
  });

  it('node alive (CNINode deleted by hand): no EC2 call, the finalizer goes, the spec is kept for the re-creation', async () => {
    const node: V1Node = { metadata: { name: 'n1', uid: 'uid-1' } };
    const { ec2, patches, carryOver, deps } = setup(node);
    await leftover(ec2, { 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'prod' });
    const callsBefore = ec2.calls.length;
    expect(await reconcileCniNodeCleanup(deps, 'n1', rc)).toEqual({ kind: 'done' });
    expect(ec2.calls.length).toBe(callsBefore);
    expect(patches).toEqual([{ name: 'n1', body: { metadata: { finalizers: [], resourceVersion: '5' } } }]);
    expect(carryOver.peek('n1', 'uid-1')?.features).toEqual([{ name: 'SecurityGroupsForPods' }]);
  });

  it('node being deleted: waits for the Node deletion, writes nothing', async () => {
    const { patches, deps } = setup({ metadata: { name: 'n1', uid: 'uid-1', deletionTimestamp: new Date() } });
    expect(await reconcileCniNodeCleanup(deps, 'n1', rc)).toEqual({ kind: 'done' });
    expect(patches).toEqual([]);
  });
});
