import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.js';
import { validateNodeUpdate } from '../../../src/webhooks/node-validator.js';
import { changedPaths, formatPath } from '../../../src/webhooks/object-diff.js';
import { nodeReview } from './fixtures.js';

const AWS_NODE = 'system:serviceaccount:kube-system:aws-node';
const TRUNK = 'vpc.amazonaws.com/has-trunk-attached';
const ENICONFIG = 'vpc.amazonaws.com/eniConfig';

function node(overrides: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Record<string, unknown>; status?: Record<string, unknown>; meta?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'ip-10-0-1-23.ec2.internal',
      uid: '6f1e',
      resourceVersion: '100',
      labels: overrides.labels ?? { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm5.large' },
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
      ...overrides.meta,
    },
    spec: overrides.spec ?? { providerID: 'aws:///us-west-2a/i-0123456789abcdef0' },
    status: overrides.status ?? { capacity: { cpu: '2' } },
  };
}
const base = { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm5.large' };

describe('vnode: aws-node may change only its two labels', () => {
  const cases: { name: string; user?: string; before: Record<string, unknown>; after: Record<string, unknown>; allowed: boolean; mentions?: string[] }[] = [
    { name: 'adds has-trunk-attached=false', before: node(), after: node({ labels: { ...base, [TRUNK]: 'false' } }), allowed: true },
    { name: 'flips has-trunk-attached', before: node({ labels: { ...base, [TRUNK]: 'true' } }), after: node({ labels: { ...base, [TRUNK]: 'false' } }), allowed: true },
    { name: 'sets eniConfig', before: node(), after: node({ labels: { ...base, [ENICONFIG]: 'us-west-2a' } }), allowed: true },
    { name: 'removes both (labels map emptied of them)', before: node({ labels: { [TRUNK]: 'true', [ENICONFIG]: 'x' } }), after: node({ labels: {} }), allowed: true },
    { name: 'removes its only label and the labels map disappears', before: node({ labels: { [TRUNK]: 'true' } }), after: { ...node(), metadata: { name: 'ip-10-0-1-23.ec2.internal', uid: '6f1e', resourceVersion: '100' } }, allowed: true },
    {
      name: 'server bookkeeping differs (resourceVersion, managedFields) → allowed',
      before: node(),
      after: node({ labels: { ...base, [TRUNK]: 'false' }, meta: { resourceVersion: '101', managedFields: [{ manager: 'aws-node' }] } }),
      allowed: true,
    },
    { name: 'adds another label → denied', before: node(), after: node({ labels: { ...base, [TRUNK]: 'false', team: 'x' } }), allowed: false, mentions: ['metadata.labels["team"]'] },
    {
      name: 'changes the instance-type label → denied',
      before: node(),
      after: node({ labels: { ...base, 'node.kubernetes.io/instance-type': 'm5.24xlarge' } }),
      allowed: false,
      mentions: ['metadata.labels["node.kubernetes.io/instance-type"]'],
    },
    { name: 'the user-facing k8s.amazonaws.com/eniConfig label is not one of the two → denied', before: node(), after: node({ labels: { ...base, 'k8s.amazonaws.com/eniConfig': 'a' } }), allowed: false, mentions: ['metadata.labels["k8s.amazonaws.com/eniConfig"]'] },
    { name: 'adds an annotation → denied', before: node(), after: node({ annotations: { 'example.com/a': 'b' } }), allowed: false, mentions: ['metadata.annotations["example.com/a"]'] },
    { name: 'taints the node → denied', before: node(), after: node({ spec: { providerID: 'aws:///us-west-2a/i-0123456789abcdef0', taints: [{ key: 'k', effect: 'NoSchedule' }] } }), allowed: false, mentions: ['spec.taints'] },
    { name: 'cordons the node → denied', before: node(), after: node({ spec: { providerID: 'aws:///us-west-2a/i-0123456789abcdef0', unschedulable: true } }), allowed: false, mentions: ['spec.unschedulable'] },
    { name: 'changes capacity → denied', before: node(), after: node({ status: { capacity: { cpu: '2', 'vpc.amazonaws.com/pod-eni': '9' } } }), allowed: false, mentions: ['status.capacity["vpc.amazonaws.com/pod-eni"]'] },
    {
      name: 'allowed label plus a forbidden one → denied, naming only the forbidden one',
      before: node(),
      after: node({ labels: { ...base, [TRUNK]: 'false', evil: '1' } }),
      allowed: false,
      mentions: ['metadata.labels["evil"]'],
    },
    { name: 'another user may change anything', user: 'kubernetes-admin', before: node(), after: node({ labels: { team: 'x' }, spec: { unschedulable: true } }), allowed: true },
    { name: 'the controller may change capacity', user: 'system:serviceaccount:kube-system:vpc-resource-controller', before: node(), after: node({ status: { capacity: { 'vpc.amazonaws.com/pod-eni': '9' } } }), allowed: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = validateNodeUpdate(nodeReview({ user: c.user ?? AWS_NODE, oldObject: c.before, object: c.after }), { logger: silentLogger() });
      expect(out.response?.allowed).toBe(c.allowed);
      if (!c.allowed) {
        const msg = out.response?.status?.message ?? '';
        expect(msg).toContain(`${AWS_NODE} may change only the labels ${TRUNK} and ${ENICONFIG} on a Node`);
        expect(msg).toContain('node ip-10-0-1-23.ec2.internal');
        for (const m of c.mentions ?? []) expect(msg).toContain(m);
        expect(msg).not.toContain(TRUNK + '"]');
      }
    });
  }

  it('long change lists are cut with a count', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`l${i}`, 'v']));
    const out = validateNodeUpdate(nodeReview({ user: AWS_NODE, oldObject: node(), object: node({ labels: { ...base, ...many } }) }), { logger: silentLogger() });
    expect(out.response?.status?.message).toMatch(/and 4 more$/);
  });

  it('names the status subresource when it is the one updated', () => {
    const out = validateNodeUpdate(
      nodeReview({ user: AWS_NODE, oldObject: node(), object: node({ status: { capacity: { cpu: '4' } } }), subResource: 'status' }),
      { logger: silentLogger() },
    );
    expect(out.response?.allowed).toBe(false);
    expect(out.response?.status?.message).toContain('(subresource status)');
  });

  it('CREATE and DELETE by aws-node are not this webhook’s business', () => {
    for (const operation of ['CREATE', 'DELETE'] as const) {
      const out = validateNodeUpdate(nodeReview({ user: AWS_NODE, operation, oldObject: node(), object: node({ labels: { x: 'y' } }) }), { logger: silentLogger() });
      expect(out.response?.allowed).toBe(true);
    }
  });
});

describe('changedPaths', () => {
  it('reports leaves of records and whole arrays, in sorted order', () => {
    expect(changedPaths({ a: { b: 1, c: [1, 2] }, z: 1 }, { a: { b: 2, c: [1, 3] }, z: 1 })).toEqual(['a.b', 'a.c']);
  });
  it('treats absent, null, {} and [] alike', () => {
    expect(changedPaths({ a: {}, b: null, c: [] }, { d: undefined })).toEqual([]);
  });
  it('a scalar replaced by an object is a change at that path', () => {
    expect(changedPaths({ a: 1 }, { a: { b: 1 } })).toEqual(['a']);
  });
  it('ignore prunes subtrees', () => {
    expect(changedPaths({ m: { x: 1, y: 1 } }, { m: { x: 2, y: 2 } }, (s) => s.join('.') === 'm.x')).toEqual(['m.y']);
  });
  it('formats non-identifier keys in brackets', () => {
    expect(formatPath(['metadata', 'labels', 'a/b'])).toBe('metadata.labels["a/b"]');
    expect(formatPath([])).toBe('(the whole object)');
  });
});
