import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeChangeMatters, nodesUsingEniConfig } from '../../../../src/controllers/node/node-watch.js';
import type { CNINodeObject } from '../../../../src/controllers/informers.js';

const node = (over: Partial<{ labels: Record<string, string>; annotations: Record<string, string>; cap: string; providerID: string; conditions: string; uid: string }> = {}): V1Node => ({
  metadata: { name: 'n1', uid: over.uid ?? 'u1', labels: over.labels ?? { a: '1' }, annotations: over.annotations ?? {} },
  spec: { providerID: over.providerID ?? 'aws:///us-west-2a/i-0123456789abcdef0' },
  status: { capacity: over.cap ? { 'vpc.amazonaws.com/pod-eni': over.cap } : {}, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: over.conditions as unknown as Date }] },
});

describe('nodeChangeMatters', () => {
  it.each([
    ['a new node', undefined, node(), true],
    ['a heartbeat only', node({ conditions: '1' }), node({ conditions: '2' }), false],
    ['a label added', node(), node({ labels: { a: '1', b: '2' } }), true],
    ['a label changed', node(), node({ labels: { a: '2' } }), true],
    ['an annotation added', node(), node({ annotations: { 'k8s.amazonaws.com/eniConfig': 'x' } }), true],
    ['the pod-eni capacity removed', node({ cap: '9' }), node(), true],
    ['the pod-eni capacity changed', node({ cap: '9' }), node({ cap: '18' }), true],
    ['the providerID set', node({ providerID: '' }), node(), true],
    ['a new Node object with the same name', node(), node({ uid: 'u2' }), true],
  ])('%s → %s', (_what, old, cur, want) => {
    expect(nodeChangeMatters(old, cur)).toBe(want);
  });
});

describe('nodesUsingEniConfig', () => {
  const withLabels = (name: string, labels: Record<string, string>): V1Node => ({ metadata: { name, labels } });
  const cni = (name: string, value?: string): CNINodeObject =>
    ({ metadata: { name }, spec: { features: [{ name: 'SecurityGroupsForPods' }, ...(value ? [{ name: 'CustomNetworking', value }] : [])] } });
  const nodes = [
    withLabels('legacy', { 'vpc.amazonaws.com/eniConfig': 'a' }),
    withLabels('feature', {}),
    withLabels('zone', { 'topology.kubernetes.io/zone': 'a' }),
    withLabels('other', { 'topology.kubernetes.io/zone': 'b' }),
    withLabels('user', { 'k8s.amazonaws.com/eniConfig': 'a' }),
  ];
  const cnis: Record<string, CNINodeObject> = { feature: cni('feature', 'a'), other: cni('other') };

  it('finds the nodes that name the ENIConfig by any source', () => {
    expect(nodesUsingEniConfig('a', nodes, (n) => cnis[n], { customNetworking: true, eniConfigLabelKey: 'topology.kubernetes.io/zone' }).sort()).toEqual(['feature', 'legacy', 'user', 'zone']);
    expect(nodesUsingEniConfig('b', nodes, (n) => cnis[n], { customNetworking: true, eniConfigLabelKey: 'topology.kubernetes.io/zone' })).toEqual(['other']);
  });

  it('without cluster-wide custom networking only the CNI-given names count', () => {
    expect(nodesUsingEniConfig('a', nodes, (n) => cnis[n], { customNetworking: false }).sort()).toEqual(['feature', 'legacy']);
  });
});
