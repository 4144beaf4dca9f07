import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeFacts, podFacts } from '../../../src/controllers/kube-facts.js';
import { nodeEligibility } from '../../../src/domain/node-eligibility.js';
import { matchSecurityGroups } from '../../../src/domain/sgp-matching.js';

describe('podFacts / nodeFacts', () => {
  it('a client-node Pod feeds policy matching', () => {
    const pod: V1Pod = {
      metadata: { name: 'checkout-0', namespace: 'shop', labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'app' }], serviceAccountName: 'payments' },
    };
    expect(podFacts(pod)).toEqual({ namespace: 'shop', labels: { app: 'checkout' }, serviceAccountName: 'payments', hostNetwork: false });
    const policy = { metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'checkout' } }, securityGroups: { groupIds: ['sg-0a1b2c3d4e5f60718'] } } };
    expect(matchSecurityGroups({ pod: podFacts(pod), policies: [policy], serviceAccountLabels: {} }).groups).toEqual(['sg-0a1b2c3d4e5f60718']);
    expect(podFacts({ spec: { containers: [], hostNetwork: true } })).toEqual({ namespace: 'default', labels: {}, serviceAccountName: null, hostNetwork: true });
  });

  it('a client-node Node feeds eligibility', () => {
    const node: V1Node = {
      metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux', 'vpc.amazonaws.com/has-trunk-attached': 'false' }, annotations: { a: 'b' } },
      spec: { providerID: 'aws:///eu-west-1a/i-0123456789abcdef0' },
    };
    expect(nodeFacts(node)).toMatchObject({ name: 'n1', annotations: { a: 'b' }, providerID: 'aws:///eu-west-1a/i-0123456789abcdef0' });
    expect(nodeEligibility(nodeFacts(node), undefined)).toMatchObject({ eligible: true, instanceId: 'i-0123456789abcdef0' });
    expect(nodeFacts({})).toEqual({ name: '', labels: {}, annotations: {}, providerID: null });
  });
});
