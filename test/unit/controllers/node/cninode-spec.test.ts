import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cniNodePatch, newCniNode } from '../../../../src/controllers/cninode/cninode-spec.js';

const node: V1Node = { metadata: { name: 'n1', uid: 'uid-1', labels: { 'kubernetes.io/os': 'linux' } } };
const wants = { node, clusterName: 'prod', instanceId: 'i-0123456789abcdef0' };

describe('newCniNode', () => {
  it('has the owner reference, os label, finalizer and tags of the contract', () => {
    expect(newCniNode(wants)).toEqual({
      apiVersion: 'vpcresources.k8s.aws/v1alpha1',
      kind: 'CNINode',
      metadata: {
        name: 'n1',
        labels: { 'kubernetes.io/os': 'linux' },
        finalizers: ['networking.k8s.aws/resource-cleanup'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }],
      },
      spec: { tags: { 'cluster.k8s.amazonaws.com/name': 'prod', 'node.k8s.amazonaws.com/instance_id': 'i-0123456789abcdef0' } },
    });
  });
});

describe('cniNodePatch', () => {
  it('is undefined when nothing is missing', () => {
    expect(cniNodePatch(newCniNode(wants), wants)).toBeUndefined();
  });
  it('adds what a CNI-created CNINode lacks, keeping its features, finalizers and with the resourceVersion', () => {
    const existing = { metadata: { resourceVersion: '7', finalizers: ['other/finalizer'] }, spec: { features: [{ name: 'SecurityGroupsForPods' }] } };
    expect(cniNodePatch(existing, wants)).toEqual({
      metadata: {
        labels: { 'kubernetes.io/os': 'linux' },
        finalizers: ['other/finalizer', 'networking.k8s.aws/resource-cleanup'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }],
        resourceVersion: '7',
      },
      spec: { tags: { 'cluster.k8s.amazonaws.com/name': 'prod', 'node.k8s.amazonaws.com/instance_id': 'i-0123456789abcdef0' } },
    });
  });
  it('replaces an owner reference to an older Node of the same name', () => {
    const existing = { ...newCniNode(wants), metadata: { ...newCniNode(wants).metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'old' }] } };
    expect(cniNodePatch(existing, wants)).toEqual({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-1' }] } });
  });
  it('never touches a CNINode being deleted', () => {
    expect(cniNodePatch({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }, wants)).toBeUndefined();
  });
});
