// The controller creates every served node's CNINode itself (upstream pkg/node/manager/manager.go
// CreateCNINodeIfNotExisting), skips Auto Mode, Fargate and non-Linux nodes, and re-creates one
// deleted by hand with the features it carried.
import { ApiException, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CNINode } from '../../../../src/apis/cninode.js';
import { CniNodeCarryOver, CniNodeEnsurer, wantsCniNode } from '../../../../src/controllers/cninode/cninode-ensurer.js';

const INSTANCE = 'i-0123456789abcdef0';

function node(labels: Record<string, string> = { 'kubernetes.io/os': 'linux' }, providerID: string | null = `aws:///us-west-2a/${INSTANCE}`): V1Node {
  return { metadata: { name: 'n1', uid: 'uid-1', labels }, spec: providerID === null ? {} : { providerID } };
}

function fakeWrites(fail?: { create?: Error; patch?: Error }) {
  const calls: { op: 'create' | 'patch'; body: unknown }[] = [];
  return {
    calls,
    writes: {
      createCniNode: (body: CNINode) => {
        calls.push({ op: 'create' as const, body });
        return fail?.create ? Promise.reject(fail.create) : Promise.resolve(body);
      },
      patchCniNode: (_name: string, patch: object) => {
        calls.push({ op: 'patch' as const, body: patch });
        return fail?.patch ? Promise.reject(fail.patch) : Promise.resolve({});
      },
    },
  };
}

const apiError = (code: number): Error => new ApiException(code, `HTTP ${code}`, { kind: 'Status', code }, {});

describe('wantsCniNode', () => {
  it.each([
    ['a Linux EC2 node', { 'kubernetes.io/os': 'linux' }, true],
    ['a node without os label (hand-made, taken as Linux)', {}, true],
    ['an EKS Auto Mode node', { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/compute-type': 'auto' }, false],
    ['a Fargate node (compute-type)', { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/compute-type': 'fargate' }, false],
    ['a Fargate node (fargate-profile label)', { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/fargate-profile': 'fp-default' }, false],
    ['a Windows node', { 'kubernetes.io/os': 'windows' }, false],
  ])('%s → %s', (_what, labels, wanted) => {
    expect(wantsCniNode(node(labels)).wanted).toBe(wanted);
  });

  it('waits for a providerID naming the instance', () => {
    const w = wantsCniNode(node(undefined, null));
    expect(w).toMatchObject({ wanted: false });
    expect(w.wanted ? '' : w.reason).toContain('providerID');
    expect(wantsCniNode(node())).toEqual({ wanted: true, instanceId: INSTANCE });
  });
});

describe('CniNodeEnsurer', () => {
  it('creates the CNINode of a new node before the CNI asked for anything: owner, os label, finalizer, tags', async () => {
    const f = fakeWrites();
    const e = new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod' });
    expect(await e.ensure(node(), undefined)).toBe('created');
    expect(f.calls).toEqual([
      {
        op: 'create',
        body: {
          apiVersion: 'vpcresources.k8s.aws/v1alpha1',
          kind: 'CNINode',
          metadata: {
            name: 'n1',
            labels: { 'kubernetes.io/os': 'linux' },
            finalizers: ['networking.k8s.aws/resource-cleanup'],
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }],
          },
          spec: { tags: { 'cluster.k8s.amazonaws.com/name': 'prod', 'node.k8s.amazonaws.com/instance_id': INSTANCE } },
        },
      },
    ]);
  });

  it('writes nothing for Auto Mode, Fargate and Windows nodes', async () => {
    const f = fakeWrites();
    const e = new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod' });
    const kinds: Record<string, string>[] = [{ 'eks.amazonaws.com/compute-type': 'auto' }, { 'eks.amazonaws.com/compute-type': 'fargate' }, { 'kubernetes.io/os': 'windows' }];
    for (const labels of kinds) {
      expect(await e.ensure(node(labels), undefined)).toBe('not-wanted');
    }
    expect(f.calls).toEqual([]);
  });

  it('an AlreadyExists is a race, not a failure; other errors propagate', async () => {
    const raced = new CniNodeEnsurer({ writes: fakeWrites({ create: apiError(409) }).writes, clusterName: 'prod' });
    expect(await raced.ensure(node(), undefined)).toBe('raced');
    const broken = new CniNodeEnsurer({ writes: fakeWrites({ create: apiError(403) }).writes, clusterName: 'prod' });
    await expect(broken.ensure(node(), undefined)).rejects.toMatchObject({ code: 403 });
  });

  it('patches in what an existing CNINode lacks, leaves a complete one and one being deleted alone', async () => {
    const f = fakeWrites();
    const e = new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod' });
    const bare: CNINode = { metadata: { name: 'n1', resourceVersion: '3' }, spec: { features: [{ name: 'SecurityGroupsForPods' }] } };
    expect(await e.ensure(node(), bare)).toBe('patched');
    expect(f.calls[0]?.body).toMatchObject({ metadata: { finalizers: ['networking.k8s.aws/resource-cleanup'], resourceVersion: '3' } });
    const created = await createdBody();
    const complete: CNINode = { ...created, metadata: { ...created.metadata, resourceVersion: '4' } };
    expect(await e.ensure(node(), complete)).toBe('unchanged');
    expect(await e.ensure(node(), { ...bare, metadata: { ...bare.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } })).toBe('being-deleted');
    expect(f.calls).toHaveLength(1);
  });

  it('re-creates a CNINode deleted by hand with the features and extra tags it carried, once', async () => {
    const carry = new CniNodeCarryOver();
    const f = fakeWrites();
    const e = new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod', carryOver: carry });
    carry.remember('n1', 'uid-1', { features: [{ name: 'SecurityGroupsForPods' }], tags: { team: 'x', 'cluster.k8s.amazonaws.com/name': 'old' } });
    expect(await e.ensure(node(), undefined)).toBe('created');
    expect((f.calls[0]?.body as CNINode).spec).toEqual({
      features: [{ name: 'SecurityGroupsForPods' }],
      tags: { team: 'x', 'cluster.k8s.amazonaws.com/name': 'prod', 'node.k8s.amazonaws.com/instance_id': INSTANCE },
    });
    expect((f.calls[0]?.body as CNINode).metadata.finalizers).toEqual(['networking.k8s.aws/resource-cleanup']);
    // Taken once: a later creation (the node deleted and registered again) starts fresh.
    expect(await e.ensure(node(), undefined)).toBe('created');
    expect((f.calls[1]?.body as CNINode).spec?.features).toBeUndefined();
  });

  it('does not carry a spec over to another incarnation of the node name', async () => {
    const carry = new CniNodeCarryOver();
    const f = fakeWrites();
    const e = new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod', carryOver: carry });
    carry.remember('n1', 'uid-OLD', { features: [{ name: 'SecurityGroupsForPods' }] });
    await e.ensure(node(), undefined);
    expect((f.calls[0]?.body as CNINode).spec?.features).toBeUndefined();
  });
});

async function createdBody(): Promise<CNINode> {
  const f = fakeWrites();
  await new CniNodeEnsurer({ writes: f.writes, clusterName: 'prod' }).ensure(node(), undefined);
  return f.calls[0]?.body as CNINode;
}
