// The webhook server over real TLS: the client trusts only the CA the server exposes, as the API
// server does with the caBundle.
import { Agent, request as httpsRequest } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../src/observability/logger.js';
import { generateSelfSignedCertificate } from '../../../src/webhooks/certificates.js';
import { startWebhookServer, type RunningWebhookServer } from '../../../src/webhooks/server.js';
import { applyPatch, pod, podReview } from '../../unit/webhooks/fixtures.js';
import type { AdmissionReview } from '../../../src/webhooks/admission-review.js';
import type { JsonPatchOp } from '../../../src/kube/patch.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
  peerFingerprint: string;
}

function call(url: string, opts: { method?: string; body?: string; ca: string; servername?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: opts.method ?? 'POST', ca: opts.ca, headers: { 'content-type': 'application/json' }, agent: false, ...(opts.servername ? { servername: opts.servername } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const socket = res.socket as unknown as { getPeerCertificate(): { fingerprint256: string } };
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown, peerFingerprint: socket.getPeerCertificate().fingerprint256 });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('webhook server over TLS (self-signed)', () => {
  let server: RunningWebhookServer;
  const registry = new Registry();

  beforeAll(async () => {
    server = await startWebhookServer({
      logger: silentLogger(),
      registry,
      resolvePodSecurityGroups: (p) => Promise.resolve({ groups: p.metadata?.labels?.role === 'demo-sg' ? ['sg-079157a483bcb371f'] : [] }),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('listens on an ephemeral port and exposes a CA valid for loopback and the Service names', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const cert = new X509Certificate(server.caPem);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('vpc-resource-controller-webhook.kube-system.svc')).toBe('vpc-resource-controller-webhook.kube-system.svc');
    expect(cert.checkHost('example.com')).toBeUndefined();
  });

  it('patches a matching pod (path with ?timeout= as the API server sends it)', async () => {
    const object = pod({ containers: [{ name: 'aws-cli', image: 'amazon/aws-cli', resources: {} }] }, { labels: { role: 'demo-sg' } });
    const review = podReview({ object });
    const res = await call(`${server.url}/mutate-v1-pod?timeout=10s`, { body: JSON.stringify(review), ca: server.caPem });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const out = res.json() as AdmissionReview;
    expect(out.response?.uid).toBe(review.request.uid);
    expect(out.response?.allowed).toBe(true);
    const ops = JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString()) as JsonPatchOp[];
    const patched = applyPatch(object, ops) as { spec: { containers: { resources: unknown }[] } };
    expect(patched.spec.containers[0]?.resources).toEqual({ limits: { 'vpc.amazonaws.com/pod-eni': '1' }, requests: { 'vpc.amazonaws.com/pod-eni': '1' } });
  });

  it('denies tampering with a message naming the annotation and the user', async () => {
    const review = podReview({ object: pod({ containers: [{ name: 'a' }] }, { annotations: { 'vpc.amazonaws.com/pod-eni': '[]' } }), user: 'alice' });
    const res = await call(`${server.url}/validate-v1-pod`, { body: JSON.stringify(review), ca: server.caPem });
    expect(res.status).toBe(200);
    const out = res.json() as AdmissionReview;
    expect(out.response?.allowed).toBe(false);
    expect(out.response?.status?.message).toContain('vpc.amazonaws.com/pod-eni');
    expect(out.response?.status?.message).toContain('user "alice"');
  });

  const garbage: { name: string; body: string; message: RegExp }[] = [
    { name: 'not JSON', body: 'hello', message: /not valid JSON/ },
    { name: 'wrong apiVersion', body: JSON.stringify({ apiVersion: 'v1', kind: 'AdmissionReview', request: { uid: 'x' } }), message: /unsupported apiVersion "v1"/ },
    { name: 'wrong kind', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }), message: /unsupported kind "Pod"/ },
    { name: 'missing request', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), message: /no request object/ },
    { name: 'missing uid', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE', kind: { kind: 'Pod' } } }), message: /request\.uid is missing/ },
  ];
  for (const g of garbage) {
    it(`garbage (${g.name}) → 400 with a message`, async () => {
      for (const path of ['/mutate-v1-pod', '/validate-v1-pod', '/validate-v1-node']) {
        const res = await call(`${server.url}${path}`, { body: g.body, ca: server.caPem });
        expect(res.status).toBe(400);
        expect((res.json() as { error: string }).error).toMatch(g.message);
      }
    });
  }

  it('a pod review sent to the node webhook → 400 naming the kinds', async () => {
    const res = await call(`${server.url}/validate-v1-node`, { body: JSON.stringify(podReview({ object: pod({ containers: [] }) })), ca: server.caPem });
    expect(res.status).toBe(400);
    expect((res.json() as { error: string }).error).toContain('admits core Node objects, got Pod');
  });

  it('wrong method → 405 with Allow; unknown path → 404; /healthz → 200', async () => {
    const get = await call(`${server.url}/mutate-v1-pod`, { method: 'GET', ca: server.caPem });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const nowhere = await call(`${server.url}/mutate-v1-node`, { body: '{}', ca: server.caPem });
    expect(nowhere.status).toBe(404);
    expect((nowhere.json() as { error: string }).error).toContain('/mutate-v1-node');
    const health = await call(`${server.url}/healthz`, { method: 'GET', ca: server.caPem });
    expect(health.status).toBe(200);
    expect(health.text).toBe('ok');
  });

  it('keeps idle keep-alive connections longer than client-go (90 s), not Node\'s 5 s', async () => {
    const agent = new Agent({ keepAlive: true, ca: server.caPem });
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = httpsRequest(`${server.url}/healthz`, { method: 'GET', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      });
      req.on('error', reject);
      req.end();
    });
    agent.destroy();
    expect(headers['keep-alive']).toBe('timeout=120');
  });

  it('counts admissions in the given registry', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/vpcrc_webhook_admissions_total\{webhook="mpod.vpc.k8s.aws",outcome="patched"\} [1-9]/);
    expect(text).toMatch(/vpcrc_webhook_admissions_total\{webhook="vpod.vpc.k8s.aws",outcome="denied"\} [1-9]/);
    expect(text).toMatch(/vpcrc_webhook_admissions_total\{webhook="vnode.vpc.k8s.aws",outcome="bad_request"\} [1-9]/);
  });

  it('a client that does not trust the CA is refused', async () => {
    const other = generateSelfSignedCertificate();
    await expect(call(`${server.url}/healthz`, { method: 'GET', ca: other.caPem })).rejects.toThrow(/self.signed|certificate/i);
  });
});

describe('webhook server limits', () => {
  it('a body over maxBodyBytes → 413 naming the limit; the server keeps serving', async () => {
    const small = await startWebhookServer({ logger: silentLogger(), resolvePodSecurityGroups: () => Promise.resolve({ groups: [] }), maxBodyBytes: 1024 });
    try {
      const big = JSON.stringify(podReview({ object: pod({ containers: [{ name: 'a', image: 'x'.repeat(4096) }] }) }));
      const res = await call(`${small.url}/mutate-v1-pod`, { body: big, ca: small.caPem });
      expect(res.status).toBe(413);
      expect((res.json() as { error: string }).error).toBe('request body larger than 1024 bytes');
      const ok = await call(`${small.url}/validate-v1-pod`, { body: JSON.stringify(podReview({ object: pod({ containers: [{ name: 'a' }] }) })), ca: small.caPem });
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('webhook server with certificate files', () => {
  let dir: string;
  let server: RunningWebhookServer;
  // Distinct subjects: a client trusting both picks the issuer by subject name.
  const first = generateSelfSignedCertificate({ dnsNames: ['first.localhost', 'localhost'] });
  const second = generateSelfSignedCertificate({ dnsNames: ['second.localhost', 'localhost'] });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vpcrc-webhook-'));
    await writeFile(join(dir, 'tls.crt'), first.certPem);
    await writeFile(join(dir, 'tls.key'), first.keyPem);
    server = await startWebhookServer({
      logger: silentLogger(),
      resolvePodSecurityGroups: () => Promise.resolve({ groups: [] }),
      tls: { mode: 'files', certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), reloadIntervalMs: 25 },
    });
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the file certificate and reloads it when the files change', async () => {
    const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;
    const before = await call(`${server.url}/healthz`, { method: 'GET', ca: first.caPem });
    expect(before.peerFingerprint).toBe(fp(first.certPem));
    expect(server.caPem).toBe(first.certPem);

    await writeFile(join(dir, 'tls.key'), second.keyPem);
    await writeFile(join(dir, 'tls.crt'), second.certPem);
    const deadline = Date.now() + 5_000;
    let served = '';
    while (Date.now() < deadline) {
      served = (await call(`${server.url}/healthz`, { method: 'GET', ca: `${first.caPem}${second.caPem}` })).peerFingerprint;
      if (served === fp(second.certPem)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(served).toBe(fp(second.certPem));
    expect(server.caPem).toBe(second.certPem);
  });

  it('refuses to start on an unreadable or non-PEM file, naming it', async () => {
    await writeFile(join(dir, 'bad.crt'), 'not a certificate');
    await expect(
      startWebhookServer({ logger: silentLogger(), resolvePodSecurityGroups: () => Promise.resolve({ groups: [] }), tls: { mode: 'files', certFile: join(dir, 'bad.crt'), keyFile: join(dir, 'tls.key') } }),
    ).rejects.toThrow(/bad\.crt does not contain a PEM CERTIFICATE block/);
    await expect(
      startWebhookServer({ logger: silentLogger(), resolvePodSecurityGroups: () => Promise.resolve({ groups: [] }), tls: { mode: 'files', certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'tls.key') } }),
    ).rejects.toThrow(/cannot read webhook certificate file .*missing\.crt/);
  });
});
