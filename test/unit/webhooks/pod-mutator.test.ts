import { describe, expect, it, vi } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { silentLogger } from '../../../src/observability/logger.js';
import { BadAdmissionRequest } from '../../../src/webhooks/admission-review.js';
import { createWebhookMetrics } from '../../../src/webhooks/metrics.js';
import { mutatePod, podEniPatch } from '../../../src/webhooks/pod-mutator.js';
import { applyPatch, decodePatch, pod, podReview } from './fixtures.js';

const ENI = 'vpc.amazonaws.com/pod-eni';
const matches = (): Promise<{ groups: string[] }> => Promise.resolve({ groups: ['sg-0123456789abcdef0'] });
const noMatch = (): Promise<{ groups: string[] }> => Promise.resolve({ groups: [] });

type Resources = Record<string, unknown> | undefined;
const container0 = (p: Record<string, unknown>): Record<string, unknown> =>
  ((p.spec as { containers: Record<string, unknown>[] }).containers[0] ?? {});

describe('mpod: patch shapes for a matching pod', () => {
  const cases: { name: string; resources: Resources; expectedOps: { path: string }[]; expected: Resources }[] = [
    {
      name: 'no resources at all → adds resources with both maps',
      resources: undefined,
      expectedOps: [{ path: '/spec/containers/0/resources' }],
      expected: { limits: { [ENI]: '1' }, requests: { [ENI]: '1' } },
    },
    {
      name: 'empty resources (as the API server sends) → adds /limits and /requests',
      resources: {},
      expectedOps: [{ path: '/spec/containers/0/resources/limits' }, { path: '/spec/containers/0/resources/requests' }],
      expected: { limits: { [ENI]: '1' }, requests: { [ENI]: '1' } },
    },
    {
      name: 'existing limits and requests → adds only the escaped key, keeps cpu/memory',
      resources: { limits: { memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
      expectedOps: [
        { path: '/spec/containers/0/resources/limits/vpc.amazonaws.com~1pod-eni' },
        { path: '/spec/containers/0/resources/requests/vpc.amazonaws.com~1pod-eni' },
      ],
      expected: { limits: { memory: '128Mi', [ENI]: '1' }, requests: { cpu: '100m', memory: '64Mi', [ENI]: '1' } },
    },
    {
      name: 'only requests exist → adds limits map, key into requests',
      resources: { requests: { cpu: '250m' } },
      expectedOps: [{ path: '/spec/containers/0/resources/limits' }, { path: '/spec/containers/0/resources/requests/vpc.amazonaws.com~1pod-eni' }],
      expected: { limits: { [ENI]: '1' }, requests: { cpu: '250m', [ENI]: '1' } },
    },
    {
      name: 'limits: null → replaced by a map',
      resources: { limits: null, requests: { cpu: '1' } },
      expectedOps: [{ path: '/spec/containers/0/resources/limits' }, { path: '/spec/containers/0/resources/requests/vpc.amazonaws.com~1pod-eni' }],
      expected: { limits: { [ENI]: '1' }, requests: { cpu: '1', [ENI]: '1' } },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const c0: Record<string, unknown> = { name: 'app', image: 'nginx' };
      if (c.resources !== undefined) c0.resources = c.resources;
      const object = pod({ containers: [c0, { name: 'sidecar', image: 'envoy', resources: { limits: { cpu: '1' } } }] });
      const out = await mutatePod(podReview({ object }), { resolvePodSecurityGroups: matches, logger: silentLogger() });
      expect(out.response?.allowed).toBe(true);
      expect(out.response?.patchType).toBe('JSONPatch');
      const ops = decodePatch(out);
      expect(ops?.map((o) => ({ path: o.path }))).toEqual(c.expectedOps);
      expect(ops?.every((o) => o.op === 'add')).toBe(true);
      const patched = applyPatch(object, ops ?? []);
      expect(container0(patched).resources).toEqual(c.expected);
      // Other containers untouched.
      expect((patched.spec as { containers: unknown[] }).containers[1]).toEqual((object.spec as { containers: unknown[] }).containers[1]);
    });
  }

  it('the response carries the request uid', async () => {
    const review = podReview({ object: pod({ containers: [{ name: 'a' }] }) });
    const out = await mutatePod(review, { resolvePodSecurityGroups: matches, logger: silentLogger() });
    expect(out.response?.uid).toBe(review.request.uid);
    expect(out.apiVersion).toBe('admission.k8s.io/v1');
    expect(out.kind).toBe('AdmissionReview');
  });

  it('podEniPatch of a missing container0 is empty', () => {
    expect(podEniPatch(undefined)).toEqual([]);
  });
});

describe('mpod: pods that are not patched', () => {
  const cases: { name: string; object: Record<string, unknown>; resolver: () => Promise<{ groups: string[] }>; operation?: 'CREATE' | 'UPDATE' }[] = [
    { name: 'matches no policy', object: pod({ containers: [{ name: 'a' }] }), resolver: noMatch },
    { name: 'hostNetwork pod, even if a policy would match', object: pod({ hostNetwork: true, containers: [{ name: 'a' }] }), resolver: matches },
    {
      name: 'already limits pod-eni (user asked for 2): kept as is',
      object: pod({ containers: [{ name: 'a', resources: { limits: { [ENI]: '2' } } }] }),
      resolver: matches,
    },
    {
      name: 'a second container already requests pod-eni',
      object: pod({ containers: [{ name: 'a' }, { name: 'b', resources: { requests: { [ENI]: '1' }, limits: { [ENI]: '1' } } }] }),
      resolver: matches,
    },
    { name: 'Windows pod (nodeSelector kubernetes.io/os: windows): no trunks there', object: pod({ nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ name: 'a' }] }), resolver: matches },
    { name: 'Windows pod by the beta OS label', object: pod({ nodeSelector: { 'beta.kubernetes.io/os': 'windows' }, containers: [{ name: 'a' }] }), resolver: matches },
    { name: 'UPDATE is not mutated', object: pod({ containers: [{ name: 'a' }] }), resolver: matches, operation: 'UPDATE' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const resolver = vi.fn(c.resolver);
      const out = await mutatePod(podReview({ object: c.object, operation: c.operation ?? 'CREATE', oldObject: c.object }), {
        resolvePodSecurityGroups: resolver,
        logger: silentLogger(),
      });
      expect(out.response?.allowed).toBe(true);
      expect(out.response?.patch).toBeUndefined();
      expect(out.response?.patchType).toBeUndefined();
    });
  }

  it('a Linux nodeSelector does not stop the patch', async () => {
    const out = await mutatePod(podReview({ object: pod({ nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a' }] }) }), {
      resolvePodSecurityGroups: matches,
      logger: silentLogger(),
    });
    expect(decodePatch(out)).toHaveLength(1);
  });

  it('hostNetwork pods never reach the resolver', async () => {
    const resolver = vi.fn(matches);
    await mutatePod(podReview({ object: pod({ hostNetwork: true, containers: [{ name: 'a' }] }) }), {
      resolvePodSecurityGroups: resolver,
      logger: silentLogger(),
    });
    expect(resolver).not.toHaveBeenCalled();
  });

  it('passes the pod and the request namespace to the resolver (pod without metadata.namespace)', async () => {
    const resolver = vi.fn(matches);
    const object = { metadata: { generateName: 'web-', labels: { role: 'demo-sg' } }, spec: { serviceAccountName: 'shop-sa', containers: [{ name: 'a' }] } };
    await mutatePod(podReview({ object, namespace: 'payments' }), { resolvePodSecurityGroups: resolver, logger: silentLogger() });
    expect(resolver).toHaveBeenCalledTimes(1);
    const [p, ns] = resolver.mock.calls[0] as unknown as [V1Pod, string];
    expect(ns).toBe('payments');
    expect(p.metadata?.labels).toEqual({ role: 'demo-sg' });
    expect(p.spec?.serviceAccountName).toBe('shop-sa');
  });
});

describe('mpod: resolver failure never blocks the pod', () => {
  it('a throwing resolver → allowed, unpatched, a warning naming the cause, counted', async () => {
    const metrics = createWebhookMetrics();
    const out = await mutatePod(podReview({ object: pod({ containers: [{ name: 'a' }] }) }), {
      resolvePodSecurityGroups: () => Promise.reject(new Error('serviceaccount "shop-sa" not found in cache')),
      logger: silentLogger(),
      metrics,
    });
    expect(out.response?.allowed).toBe(true);
    expect(out.response?.patch).toBeUndefined();
    expect(out.response?.warnings?.[0]).toContain('serviceaccount "shop-sa" not found in cache');
    expect(out.response?.warnings?.[0]).toContain('MissingPodENIResource');
    const m = await metrics.resolverFailures.get();
    expect(m.values).toEqual([{ labels: { reason: 'error' }, value: 1 }]);
  });

  it('a hung resolver → allowed after the deadline, counted as timeout', async () => {
    const metrics = createWebhookMetrics();
    const out = await mutatePod(podReview({ object: pod({ containers: [{ name: 'a' }] }) }), {
      resolvePodSecurityGroups: () => new Promise(() => {}),
      logger: silentLogger(),
      metrics,
      resolverTimeoutMs: 20,
    });
    expect(out.response?.allowed).toBe(true);
    expect(out.response?.patch).toBeUndefined();
    expect(out.response?.warnings?.[0]).toMatch(/timed out after 20 ms/);
    expect((await metrics.resolverFailures.get()).values).toEqual([{ labels: { reason: 'timeout' }, value: 1 }]);
  });
});

describe('mpod: unusable requests are 400s, not crashes', () => {
  const cases: { name: string; review: ReturnType<typeof podReview>; message: RegExp }[] = [
    { name: 'no object', review: podReview({}), message: /request\.object is missing/ },
    { name: 'object without containers', review: podReview({ object: { metadata: {}, spec: {} } }), message: /no spec\.containers/ },
    {
      name: 'a Node sent to the pod webhook',
      review: { ...podReview({ object: {} }), request: { ...podReview({ object: {} }).request, kind: { group: '', version: 'v1', kind: 'Node' } } },
      message: /admits core Pod objects, got Node/,
    },
    { name: 'no namespace anywhere', review: podReview({ object: pod({ containers: [] }, { namespace: undefined }), namespace: '' }), message: /namespace is missing/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await expect(mutatePod(c.review, { resolvePodSecurityGroups: matches, logger: silentLogger() })).rejects.toThrow(BadAdmissionRequest);
      await expect(mutatePod(c.review, { resolvePodSecurityGroups: matches, logger: silentLogger() })).rejects.toThrow(c.message);
    });
  }
});
