import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI, RESOURCE_POD_ENI } from '../../../src/apis/constants.js';
import { mayHoldBranchEnis, sharedLabels, trimNode, trimPod } from '../../../src/controllers/cache-trim.js';

const pod = (name: string, labels: Record<string, string>, opts: { eni?: boolean; annotated?: boolean } = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: '42',
    labels: { ...labels },
    annotations: { 'kubectl.kubernetes.io/restartedAt': 'x', ...(opts.annotated ? { [ANNOTATION_POD_ENI]: '[]' } : {}) },
    managedFields: [{ manager: 'kubectl' }],
  },
  spec: {
    nodeName: 'node-1',
    serviceAccountName: 'default',
    containers: [{ name: 'app', image: 'nginx', env: [{ name: 'A', value: 'b' }], resources: opts.eni ? { requests: { [RESOURCE_POD_ENI]: '1', cpu: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } : { requests: { cpu: '1' } } }],
  },
  status: { phase: 'Running', podIP: '10.0.0.9', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(0) }, { type: 'Ready', status: 'True' }] },
});

describe('trimPod', () => {
  it('keeps what a branch pod is read for, and nothing else', () => {
    const t = trimPod(pod('web-1', { app: 'web' }, { eni: true }));
    expect(t).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-web-1', resourceVersion: '42', labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } }], nodeName: 'node-1', serviceAccountName: 'default' },
      status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(0) }] },
    });
    expect(mayHoldBranchEnis(t)).toBe(true);
  });

  it('keeps only the policy-match fields of a pod that neither requests pod-eni nor is annotated', () => {
    const t = trimPod(pod('batch-1', { app: 'batch' }));
    expect(t.spec).toEqual({ containers: [], serviceAccountName: 'default' });
    expect(t.status).toEqual({ phase: 'Running' });
    expect(t.metadata?.annotations).toBeUndefined();
    expect(mayHoldBranchEnis(t)).toBe(false);
  });

  it('keeps the pod-eni annotation (only it) of an annotated pod', () => {
    const t = trimPod(pod('web-2', { app: 'web' }, { annotated: true }));
    expect(t.metadata?.annotations).toEqual({ [ANNOTATION_POD_ENI]: '[]' });
    expect(t.spec?.nodeName).toBe('node-1');
  });

  it('pods with the same labels share one frozen label map; other labels get their own', () => {
    const a = trimPod(pod('web-a', { app: 'web', 'pod-template-hash': '5d9f' }));
    const b = trimPod(pod('web-b', { 'pod-template-hash': '5d9f', app: 'web' }));
    const c = trimPod(pod('web-c', { app: 'web', 'pod-template-hash': '77aa' }));
    expect(a.metadata?.labels).toBe(b.metadata?.labels);
    expect(c.metadata?.labels).not.toBe(a.metadata?.labels);
    expect(c.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': '77aa' });
    expect(Object.isFrozen(a.metadata?.labels)).toBe(true);
    // The input is not touched.
    const input = { app: 'x' };
    const shared = sharedLabels(input);
    expect(shared).not.toBe(input);
    expect(Object.isFrozen(input)).toBe(false);
  });
});

describe('trimPod: shared parts', () => {
  it('pods with equal pod-eni containers share one frozen list; pods without pod-eni share the empty one', () => {
    const a = trimPod(pod('web-a', { app: 'web' }, { eni: true }));
    const b = trimPod(pod('web-b', { app: 'web' }, { eni: true }));
    expect(a.spec?.containers).toBe(b.spec?.containers);
    expect(Object.isFrozen(a.spec?.containers?.[0]?.resources?.requests)).toBe(true);
    const c = trimPod(pod('batch-a', { app: 'batch' }));
    const d = trimPod(pod('batch-b', { app: 'other' }));
    expect(c.spec?.containers).toBe(d.spec?.containers);
    expect(c.spec?.containers).toEqual([]);
    expect(Object.isFrozen(c.spec?.containers)).toBe(true);
    // Another request is another list.
    const two = pod('big', { app: 'web' }, { eni: true });
    two.spec!.containers[0]!.resources = { requests: { [RESOURCE_POD_ENI]: '2' }, limits: { [RESOURCE_POD_ENI]: '2' } };
    expect(trimPod(two).spec?.containers?.[0]?.resources).toEqual({ requests: { [RESOURCE_POD_ENI]: '2' }, limits: { [RESOURCE_POD_ENI]: '2' } });
  });

  it('a pod that gains the annotation (or a pod-eni request) is cached with its node and PodScheduled time again', () => {
    const plain = trimPod(pod('web-3', { app: 'web' }));
    expect(plain.spec?.nodeName).toBeUndefined();
    expect(plain.status?.conditions).toBeUndefined();
    for (const later of [pod('web-3', { app: 'web' }, { annotated: true }), pod('web-3', { app: 'web' }, { eni: true })]) {
      const t = trimPod(later);
      expect(mayHoldBranchEnis(t)).toBe(true);
      expect(t.spec?.nodeName).toBe('node-1');
      expect(t.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(0) }]);
    }
  });

  it('an object missing metadata fields is still trimmed (absent fields read as undefined)', () => {
    const t = trimPod({ metadata: { name: 'bare' }, spec: { containers: [] } });
    expect(t.metadata?.name).toBe('bare');
    expect(t.metadata?.namespace).toBeUndefined();
    expect(t.metadata?.labels).toBeUndefined();
    expect(JSON.parse(JSON.stringify(t))).toEqual({ metadata: { name: 'bare' }, spec: { containers: [] }, status: {} });
  });
});

describe('trimNode', () => {
  it('keeps identity, labels, annotations, providerID and the pod-eni capacity', () => {
    const t = trimNode({
      metadata: { name: 'n1', uid: 'u', resourceVersion: '7', labels: { a: 'b' }, annotations: { x: 'y' }, managedFields: [{}] },
      spec: { providerID: 'aws:///us-west-2a/i-1', podCIDR: '10.0.0.0/24' },
      status: { capacity: { [RESOURCE_POD_ENI]: '9', cpu: '2' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(t).toEqual({
      metadata: { name: 'n1', uid: 'u', resourceVersion: '7', labels: { a: 'b' }, annotations: { x: 'y' } },
      spec: { providerID: 'aws:///us-west-2a/i-1' },
      status: { capacity: { [RESOURCE_POD_ENI]: '9' } },
    });
  });
});
