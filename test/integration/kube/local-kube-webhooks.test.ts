/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- these tests read arbitrary JSON returned by the API server */
// Admission webhooks called by the local API server over HTTPS: a patching mutating hook, a
// denying validating hook, both failure policies, a timeout, selectors, subresource rules and
// the userInfo each identity carries.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { generateServingCert } from '../../../src/sim/kube/tls.js';
import { rawClient } from './local-kube-client.js';

let kube: LocalKube;
let hookServer: Server;
let hookPort: number;
let caBundle: string;
const reviews: { path: string; request: any }[] = [];

function respond(path: string, request: any): any {
  const uid = request.uid;
  switch (path) {
    case '/mutate': {
      const patch = [
        { op: 'add', path: '/metadata/labels/mutated', value: 'yes' },
        { op: 'add', path: '/spec/containers/0/resources', value: { limits: { 'vpc.amazonaws.com/pod-eni': '1' }, requests: { 'vpc.amazonaws.com/pod-eni': '1' } } },
      ];
      return { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64'), warnings: ['mutated by test'] };
    }
    case '/deny':
      return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no pods with deny=yes here' } };
    case '/bad-patch':
      return { uid, allowed: true, patchType: 'JSONPatch', patch: 'not base64 json' };
    default:
      return { uid, allowed: true };
  }
}

beforeAll(async () => {
  kube = await startLocalKube();
  const tls = generateServingCert();
  caBundle = Buffer.from(tls.certPem).toString('base64');
  hookServer = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      reviews.push({ path, request: review.request });
      const send = () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: respond(path, review.request) }));
      };
      if (path === '/slow') setTimeout(send, 2500);
      else send();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
  hookPort = (hookServer.address() as AddressInfo).port;
  const call = rawClient(kube);
  const hook = (name: string, path: string, match: string, extra: Record<string, unknown> = {}) => ({
    name,
    clientConfig: { url: `https://127.0.0.1:${hookPort}${path}`, caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'configmaps'] }],
    objectSelector: { matchLabels: { case: match } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  });
  const unreachable = { url: 'https://127.0.0.1:1/nothing', caBundle };
  const mwc = await call('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
    metadata: { name: 'test-mutating' },
    webhooks: [
      hook('mutate.test.io', '/mutate', 'mutate'),
      hook('bad-patch.test.io', '/bad-patch', 'bad-patch'),
      hook('svc.test.io', '/echo', 'service', { clientConfig: { service: { namespace: 'default', name: 'hooks', path: '/echo', port: hookPort }, caBundle } }),
    ],
  });
  expect(mwc.status).toBe(201);
  const vwc = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    metadata: { name: 'test-validating' },
    webhooks: [
      hook('deny.test.io', '/deny', 'deny'),
      hook('fail.test.io', '/x', 'fail', { clientConfig: unreachable, failurePolicy: 'Fail' }),
      hook('ignore.test.io', '/x', 'ignore', { clientConfig: unreachable, failurePolicy: 'Ignore' }),
      hook('slow-fail.test.io', '/slow', 'slow-fail', { timeoutSeconds: 1, failurePolicy: 'Fail' }),
      hook('slow-ignore.test.io', '/slow', 'slow-ignore', { timeoutSeconds: 1, failurePolicy: 'Ignore' }),
      hook('ns.test.io', '/echo', 'ns', { namespaceSelector: { matchLabels: { hooks: 'on' } } }),
      hook('status.test.io', '/echo', 'status', { rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/status'] }] }),
    ],
  });
  expect(vwc.status).toBe(201);
});

afterAll(async () => {
  await kube.close();
  await new Promise<void>((r) => hookServer.close(() => r()));
});

const pod = (name: string, kase: string) => ({ metadata: { name, labels: { case: kase } }, spec: { containers: [{ name: 'app', image: 'nginx:1' }] } });

describe('admission webhooks', () => {
  it('applies a mutating JSON patch and passes userInfo, kind, resource and operation', async () => {
    const call = rawClient(kube, 'controller');
    const res = await call('POST', '/api/v1/namespaces/default/pods', pod('mutated', 'mutate'));
    expect(res.status).toBe(201);
    expect(res.json.metadata.labels.mutated).toBe('yes');
    expect(res.json.spec.containers[0].resources.limits['vpc.amazonaws.com/pod-eni']).toBe('1');
    expect(res.headers.get('warning')).toContain('mutated by test');
    const review = reviews.find((r) => r.path === '/mutate')!.request;
    expect(review).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'default',
      name: 'mutated',
      userInfo: { username: 'system:serviceaccount:kube-system:vpc-resource-controller', groups: expect.arrayContaining(['system:serviceaccounts']) },
      dryRun: false,
      options: { kind: 'CreateOptions' },
    });
    expect(review.object.metadata.name).toBe('mutated');
    expect(review.oldObject).toBeNull();
  });

  it('returns the denying webhook message as kube-apiserver words it', async () => {
    // As the scheduler identity: any identity allowed to create pods gets to admission (aws-node is not: its ClusterRole has no pod create).
    const res = await rawClient(kube, 'scheduler')('POST', '/api/v1/namespaces/default/pods', pod('denied', 'deny'));
    expect(res.status).toBe(403);
    expect(res.json.message).toBe('admission webhook "deny.test.io" denied the request: no pods with deny=yes here');
    expect((await rawClient(kube)('GET', '/api/v1/namespaces/default/pods/denied')).status).toBe(404);
    expect(reviews.filter((r) => r.path === '/deny').at(-1)!.request.userInfo.username).toBe('system:kube-scheduler');
  });

  it('fails closed with failurePolicy Fail and open with Ignore when the webhook is unreachable', async () => {
    const call = rawClient(kube);
    const failed = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'f', labels: { case: 'fail' } } });
    expect(failed.status).toBe(500);
    expect(failed.json.message).toMatch(/^Internal error occurred: failed calling webhook "fail.test.io": failed to call webhook: Post "https:\/\/127.0.0.1:1\/nothing\?timeout=10s"/);
    const ignored = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'i', labels: { case: 'ignore' } } });
    expect(ignored.status).toBe(201);
  });

  it('honours timeoutSeconds with both failure policies', async () => {
    const call = rawClient(kube);
    const started = Date.now();
    const failed = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'sf', labels: { case: 'slow-fail' } } });
    const took = Date.now() - started;
    expect(failed.status).toBe(500);
    expect(failed.json.message).toContain('context deadline exceeded');
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2400);
    const ignored = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'si', labels: { case: 'slow-ignore' } } });
    expect(ignored.status).toBe(201);
  });

  it('turns an unusable patch into an internal error', async () => {
    const res = await rawClient(kube)('POST', '/api/v1/namespaces/default/pods', pod('bp', 'bad-patch'));
    expect(res.status).toBe(500);
    expect(res.json.message).toContain('failed calling webhook "bad-patch.test.io"');
  });

  it('resolves a service clientConfig to https://127.0.0.1:<port><path>', async () => {
    const before = reviews.length;
    const res = await rawClient(kube)('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'svc', labels: { case: 'service' } } });
    expect(res.status).toBe(201);
    expect(reviews.slice(before).map((r) => r.path)).toContain('/echo');
  });

  it('matches namespaceSelector against the namespace labels', async () => {
    const call = rawClient(kube);
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'hooked', labels: { hooks: 'on' } } });
    const count = () => reviews.filter((r) => r.path === '/echo' && r.request.name === 'nscm').length;
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'nscm', labels: { case: 'ns' } } });
    expect(count()).toBe(0);
    await call('POST', '/api/v1/namespaces/hooked/configmaps', { metadata: { name: 'nscm', labels: { case: 'ns' } } });
    expect(count()).toBe(1);
  });

  it('stops calling webhooks as soon as their configuration is deleted', async () => {
    const call = rawClient(kube);
    await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      metadata: { name: 'short-lived' },
      webhooks: [{ name: 'gone.test.io', clientConfig: { url: `https://127.0.0.1:${hookPort}/deny`, caBundle }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }], objectSelector: { matchLabels: { case: 'short' } }, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
    });
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'short-1', labels: { case: 'short' } } })).status).toBe(403);
    expect((await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/short-lived')).status).toBe(200);
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'short-2', labels: { case: 'short' } } })).status).toBe(201);
  });

  it('calls a pods/status rule for status updates only, with the old object', async () => {
    const call = rawClient(kube);
    await call('POST', '/api/v1/namespaces/default/pods', pod('stat', 'status'));
    const calls = () => reviews.filter((r) => r.request.name === 'stat' && r.path === '/echo');
    await call('PATCH', '/api/v1/namespaces/default/pods/stat', { metadata: { annotations: { a: 'b' } } }, 'application/merge-patch+json');
    expect(calls()).toHaveLength(0);
    await call('PATCH', '/api/v1/namespaces/default/pods/stat/status', { status: { phase: 'Running' } }, 'application/merge-patch+json');
    expect(calls()).toHaveLength(1);
    expect(calls()[0]!.request).toMatchObject({ operation: 'UPDATE', subResource: 'status', oldObject: { status: { phase: 'Pending' } }, object: { status: { phase: 'Running' } } });
  });
});
