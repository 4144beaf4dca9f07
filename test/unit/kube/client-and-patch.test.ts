import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException } from '@kubernetes/client-node';
import { loadKubeConfig, makeKubeClients, type KubeClients } from '../../../src/kube/client.js';
import {
  jsonPatchPod,
  jsonPointerEscape,
  mergePatchCustomObject,
  mergePatchNodeStatus,
  mergePatchPod,
  strategicPatchPod,
} from '../../../src/kube/patch.js';
import { isAlreadyExists, isConflict, isNotFound, messageOf, reasonOf, statusOf } from '../../../src/kube/errors.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

function kubeconfigFile(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-kc-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "${server}", insecure-skip-tls-verify: true }
users:
- name: me
  user: { token: "t" }
contexts:
- name: local
  context: { cluster: local, user: me }
- name: other
  context: { cluster: local, user: me }
current-context: local
`,
  );
  return file;
}

describe('kube client and patch helpers against an HTTP server', () => {
  let server: Server;
  let seen: Seen[] = [];
  let kube: KubeClients;
  let file: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: raw ? JSON.parse(raw) : undefined });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    file = kubeconfigFile(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    kube = makeKubeClients(loadKubeConfig({ kubeconfig: file }));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends merge patches as application/merge-patch+json', async () => {
    seen = [];
    await mergePatchNodeStatus(kube.core, 'node-1', { status: { capacity: { 'vpc.amazonaws.com/pod-eni': '9' } } });
    await mergePatchPod(kube.core, 'ns', 'p', { metadata: { annotations: { a: 'b' } } });
    expect(seen.map((s) => [s.method, s.url, s.contentType])).toEqual([
      ['PATCH', '/api/v1/nodes/node-1/status', 'application/merge-patch+json'],
      ['PATCH', '/api/v1/namespaces/ns/pods/p', 'application/merge-patch+json'],
    ]);
    expect(seen[0]!.body).toEqual({ status: { capacity: { 'vpc.amazonaws.com/pod-eni': '9' } } });
  });

  it('sends JSON patches and strategic merge patches with their content types', async () => {
    seen = [];
    const path = `/metadata/annotations/${jsonPointerEscape('vpc.amazonaws.com/pod-eni')}`;
    await jsonPatchPod(kube.core, 'ns', 'p', [{ op: 'add', path, value: '[]' }]);
    await strategicPatchPod(kube.core, 'ns', 'p', { metadata: { labels: { a: 'b' } } });
    expect(seen.map((s) => s.contentType)).toEqual(['application/json-patch+json', 'application/strategic-merge-patch+json']);
    expect(seen[0]!.body).toEqual([{ op: 'add', path: '/metadata/annotations/vpc.amazonaws.com~1pod-eni', value: '[]' }]);
  });

  it('merge-patches cluster-scoped custom objects', async () => {
    seen = [];
    await mergePatchCustomObject(kube.custom, { group: 'vpcresources.k8s.aws', version: 'v1alpha1', plural: 'cninodes', name: 'n1' }, { metadata: { finalizers: [] } });
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: '/apis/vpcresources.k8s.aws/v1alpha1/cninodes/n1', contentType: 'application/merge-patch+json' });
  });

  it('loadKubeConfig uses the in-cluster service account when run in a pod and no file is given', () => {
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = '10.100.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      const kc = loadKubeConfig();
      expect(kc.getCurrentCluster()?.server).toBe('https://10.100.0.1:443');
      // An explicit file still wins.
      expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toMatch(/^http:\/\/127\.0\.0\.1:/);
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
  });

  it('loadKubeConfig picks a context and names a missing one', () => {
    expect(loadKubeConfig({ kubeconfig: file, context: 'other' }).getCurrentContext()).toBe('other');
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'nope' })).toThrow(/no context "nope" \(known: local, other\)/);
    expect(() => loadKubeConfig({ kubeconfig: '/does/not/exist' })).toThrow(/cannot load kubeconfig \/does\/not\/exist/);
  });
});

describe('kube error helpers', () => {
  const status = (code: number, reason: string, message: string) =>
    new ApiException(code, 'x', JSON.stringify({ kind: 'Status', reason, message }), {});

  it('reads status and reason from ApiException string bodies', () => {
    expect(statusOf(status(404, 'NotFound', 'pods "x" not found'))).toBe(404);
    expect(isNotFound(status(404, 'NotFound', ''))).toBe(true);
    expect(isConflict(status(409, 'Conflict', ''))).toBe(true);
    expect(isAlreadyExists(status(409, 'AlreadyExists', ''))).toBe(true);
    expect(isAlreadyExists(status(409, 'Conflict', ''))).toBe(false);
    expect(reasonOf(status(409, 'Conflict', ''))).toBe('Conflict');
    expect(messageOf(status(422, 'Invalid', 'spec.x: Invalid value'))).toBe('spec.x: Invalid value');
  });

  it('handles watch errors, plain errors and unparseable bodies', () => {
    expect(statusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(statusOf(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(isNotFound(undefined)).toBe(false);
    expect(messageOf(new ApiException(500, 'x', '<html>oops</html>', {}))).toMatch(/^HTTP 500: /);
    expect(messageOf(new Error('line one\nline two'))).toBe('line one');
  });
});
