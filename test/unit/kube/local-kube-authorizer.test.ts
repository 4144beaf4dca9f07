// The local API server's RBAC table: the aws-node identity can do what the VPC CNI chart's
// ClusterRole allows and nothing else; other identities are not restricted.
import { describe, expect, it } from 'vitest';
import { allowedBy, authorize, AWS_NODE_RULES, requestVerb } from '../../../src/sim/kube/authorizer.js';

const AWS_NODE = 'system:serviceaccount:kube-system:aws-node';
const cninodes = { group: 'vpcresources.k8s.aws', resource: 'cninodes', subresource: '', namespace: '' };
const nodes = { group: '', resource: 'nodes', subresource: '', namespace: '' };

describe('requestVerb', () => {
  it.each([
    ['GET', true, false, 'get'],
    ['GET', false, false, 'list'],
    ['GET', false, true, 'watch'],
    ['GET', true, true, 'watch'],
    ['POST', false, false, 'create'],
    ['PUT', true, false, 'update'],
    ['PATCH', true, false, 'patch'],
    ['DELETE', true, false, 'delete'],
    ['DELETE', false, false, 'deletecollection'],
  ])('%s (name %s, watch %s) → %s', (method, hasName, watch, verb) => {
    expect(requestVerb(method, hasName, watch)).toBe(verb);
  });
});

describe('aws-node rules', () => {
  it.each([
    [cninodes, 'get', true],
    [cninodes, 'list', true],
    [cninodes, 'watch', true],
    [cninodes, 'patch', true],
    [cninodes, 'create', false],
    [cninodes, 'update', false],
    [cninodes, 'delete', false],
    [nodes, 'get', true],
    [nodes, 'patch', true],
    [nodes, 'create', false],
    [nodes, 'delete', false],
    [{ ...nodes, subresource: 'status' }, 'patch', false],
    [{ group: '', resource: 'pods', subresource: '', namespace: 'default' }, 'patch', false],
    [{ group: '', resource: 'events', subresource: '', namespace: 'default' }, 'create', true],
    [{ group: 'crd.k8s.amazonaws.com', resource: 'eniconfigs', subresource: '', namespace: '' }, 'get', true],
    [{ group: 'crd.k8s.amazonaws.com', resource: 'eniconfigs', subresource: '', namespace: '' }, 'patch', false],
    [{ group: 'vpcresources.k8s.aws', resource: 'securitygrouppolicies', subresource: '', namespace: 'default' }, 'list', false],
  ])('%o %s → %s', (attrs, verb, allowed) => {
    expect(allowedBy(AWS_NODE_RULES, { ...attrs, verb })).toBe(allowed);
  });
});

describe('authorize', () => {
  it("denies with kube-apiserver's Forbidden status", () => {
    const err = authorize(AWS_NODE, { ...cninodes, verb: 'create' });
    expect(err?.code).toBe(403);
    expect(err?.reason).toBe('Forbidden');
    expect(err?.message).toBe(
      'cninodes.vpcresources.k8s.aws is forbidden: User "system:serviceaccount:kube-system:aws-node" cannot create resource "cninodes" in API group "vpcresources.k8s.aws" at the cluster scope',
    );
    const named = authorize(AWS_NODE, { ...nodes, subresource: 'status', verb: 'patch', name: 'n1' });
    expect(named?.message).toBe('nodes "n1" is forbidden: User "system:serviceaccount:kube-system:aws-node" cannot patch resource "nodes/status" in API group "" at the cluster scope');
    const ns = authorize(AWS_NODE, { group: '', resource: 'pods', subresource: '', namespace: 'default', verb: 'delete', name: 'p' });
    expect(ns?.message).toBe('pods "p" is forbidden: User "system:serviceaccount:kube-system:aws-node" cannot delete resource "pods" in API group "" in the namespace "default"');
  });

  it('allows what the rules allow, and every other identity', () => {
    expect(authorize(AWS_NODE, { ...cninodes, verb: 'patch', name: 'n1' })).toBeUndefined();
    expect(authorize('kubernetes-admin', { ...cninodes, verb: 'create' })).toBeUndefined();
    expect(authorize('system:serviceaccount:kube-system:vpc-resource-controller', { ...cninodes, verb: 'create' })).toBeUndefined();
  });
});
