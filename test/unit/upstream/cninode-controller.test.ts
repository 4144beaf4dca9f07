// Ported from aws/amazon-vpc-resource-controller-k8s controllers/crds/cninode_controller_test.go
// (TestCNINodeReconcile): the CNINode the controller keeps for a node (os label, cluster and
// instance tags, the resource-cleanup finalizer) and what the finalizer does when the node is gone
// (delete the instance's leftover ENIs, only with an instance ID). Written against our
// CniNodeEnsurer and reconcileCniNodeCleanup with in-memory fakes.
import { ApiException, type CustomObjectsApi, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CNINode } from '../../../src/apis/cninode.js';
import { reconcileCniNodeCleanup, type CniNodeCleanupDeps } from '../../../src/controllers/cninode/cleanup.js';
import { CniNodeEnsurer } from '../../../src/controllers/cninode/cninode-ensurer.js';
import type { CNINodeObject } from '../../../src/controllers/informers.js';
import type { KubeClients } from '../../../src/kube/client.js';
import type { SupervisedInformer } from '../../../src/kube/informer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeEc2 } from '../helpers/fake-ec2.js';

const NAME = 'node-name';
const CLUSTER = 'test-cluster';
const INSTANCE = 'i-0123456789abcdef0';
const FINALIZER = 'networking.k8s.aws/resource-cleanup';
// mockNodeWithLabel
const mockNode: V1Node = { metadata: { name: NAME, uid: 'uid-1', labels: { 'kubernetes.io/os': 'linux' } }, spec: { providerID: `aws:///us-west-2a/${INSTANCE}` } };

function ensurer() {
  const calls: { op: string; body: unknown }[] = [];
  const e = new CniNodeEnsurer({
    clusterName: CLUSTER,
    writes: {
      createCniNode: (body: CNINode) => (calls.push({ op: 'create', body }), Promise.resolve(body)),
      patchCniNode: (_n: string, patch: object) => (calls.push({ op: 'patch', body: patch }), Promise.resolve({})),
    },
  });
  return { e, calls };
}

describe('cninode_controller_test.go TestCNINodeReconcile', () => {
  it('verify clusterName, instanceID, os label are added if missing', async () => {
    const { e, calls } = ensurer();
    expect(await e.ensure(mockNode, { metadata: { name: NAME, resourceVersion: '1' } })).toBe('patched');
    expect(calls[0]?.body).toMatchObject({
      metadata: { labels: { 'kubernetes.io/os': 'linux' } },
      spec: { tags: { 'cluster.k8s.amazonaws.com/name': CLUSTER, 'node.k8s.amazonaws.com/instance_id': INSTANCE } },
    });
  });
  it('verify finalizer is added when labels and tags are present', async () => {
    const { e, calls } = ensurer();
    const cni: CNINode = {
      metadata: { name: NAME, resourceVersion: '1', labels: { 'kubernetes.io/os': 'linux' } },
      spec: { tags: { 'cluster.k8s.amazonaws.com/name': CLUSTER, 'node.k8s.amazonaws.com/instance_id': INSTANCE } },
    };
    expect(await e.ensure(mockNode, cni)).toBe('patched');
    expect((calls[0]?.body as { metadata: { finalizers: string[] } }).metadata.finalizers).toContain(FINALIZER);
  });

  describe('the node is gone and the CNINode is being finalized', () => {
    function cleanup(cni: CNINodeObject, ec2: FakeEc2) {
      const patches: unknown[] = [];
      const informer = <T extends V1Node | CNINodeObject>(m: Map<string, T>) => ({ get: (k: string) => m.get(k) }) as unknown as SupervisedInformer<T>;
      const deps: CniNodeCleanupDeps = {
        kube: {
          core: { readNode: () => Promise.reject(new ApiException(404, 'NotFound', { kind: 'Status', code: 404 }, {})) },
          custom: { patchClusterCustomObject: (req: { body: unknown }) => (patches.push(req.body), Promise.resolve({})) } as unknown as CustomObjectsApi,
        } as unknown as KubeClients,
        ec2,
        nodes: informer(new Map<string, V1Node>()),
        cniNodes: informer(new Map([[NAME, cni]])),
        clusterName: CLUSTER,
      };
      return { run: () => reconcileCniNodeCleanup(deps, NAME, { failures: 0, logger: silentLogger() }), patches };
    }
    const finalizing = (tags?: Record<string, string>): CNINodeObject =>
      ({
        apiVersion: 'vpcresources.k8s.aws/v1alpha1',
        kind: 'CNINode',
        metadata: { name: NAME, labels: { 'kubernetes.io/os': 'linux' }, finalizers: [FINALIZER], deletionTimestamp: new Date().toISOString(), resourceVersion: '7' },
        spec: tags ? { tags } : {},
      }) as unknown as CNINodeObject;
    const leftover = (ec2: FakeEc2, id: string, extra: Record<string, string>) =>
      ec2.enis.set(id, {
        NetworkInterfaceId: id,
        Status: 'available',
        TagSet: Object.entries({ 'node.k8s.amazonaws.com/instance_id': INSTANCE, ...extra }).map(([Key, Value]) => ({ Key, Value })),
      });

    it('verify cleaner was not called if node id is not present given that node is being finalized', async () => {
      const ec2 = new FakeEc2();
      const c = cleanup(finalizing(), ec2);
      expect(await c.run()).toEqual({ kind: 'done' });
      expect(ec2.count('DescribeNetworkInterfaces')).toBe(0);
      expect(c.patches).toEqual([{ metadata: { finalizers: [], resourceVersion: '7' } }]);
    });
    it('verify cleaner was called if node id is not empty when node is being finalized', async () => {
      const ec2 = new FakeEc2();
      leftover(ec2, 'eni-00000001', { 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': CLUSTER });
      leftover(ec2, 'eni-00000002', { 'eks:eni:owner': 'eks-vpc-resource-controller', [`kubernetes.io/cluster/${CLUSTER}`]: 'owned' });
      // Ours: an ENI of another cluster with the same instance tag is never deleted.
      leftover(ec2, 'eni-00000003', { 'eks:eni:owner': 'amazon-vpc-cni', 'cluster.k8s.amazonaws.com/name': 'other-cluster' });
      const c = cleanup(finalizing({ 'node.k8s.amazonaws.com/instance_id': INSTANCE }), ec2);
      expect(await c.run()).toEqual({ kind: 'done' });
      expect([...ec2.enis.keys()]).toEqual(['eni-00000003']);
      expect(c.patches).toHaveLength(1);
    });
  });
});
