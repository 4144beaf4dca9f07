// Webhook throughput and latency over real TLS with keep-alive, as the API server calls it.
//   npm run bench -- webhooks [--requests 4000] [--concurrency 16]      saturating: closed loop
//   npm run bench -- webhooks --rate 500 [--seconds 20]                 fixed rate: open loop, as an
//                                                                       API server sends reviews
// Writes test/bench/results/webhooks.json (saturating) or webhooks-fixed-rate.json.
import { Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ANNOTATION_POD_ENI } from '../../src/apis/constants.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startWebhookServer } from '../../src/webhooks/server.js';
import { fixedRateReviews } from './lib/review-load.js';

function flag(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function review(i: number, path: string): string {
  const annotations = path === '/validate-v1-pod' && i % 2 === 0 ? { [ANNOTATION_POD_ENI]: '[]' } : undefined;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin' },
      object: {
        metadata: { name: `web-${i}`, namespace: 'shop', labels: { role: i % 2 === 0 ? 'demo-sg' : 'other' }, ...(annotations ? { annotations } : {}) },
        spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m' } } }] },
      },
    },
  });
}

/** The webhook server with a policy lookup that matches pods labelled role=demo-sg. */
function benchServer(): ReturnType<typeof startWebhookServer> {
  return startWebhookServer({
    logger: silentLogger(),
    resolvePodSecurityGroups: (p) => Promise.resolve({ groups: p.metadata?.labels?.role === 'demo-sg' ? ['sg-0123456789abcdef0'] : [] }),
  });
}

async function writeResult(file: string, result: object): Promise<void> {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'bench', 'results', file);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

/** Reviews at a fixed rate: latency from when each was due, so falling behind shows. */
async function fixedRate(rate: number, seconds: number): Promise<void> {
  const server = await benchServer();
  const paths = ['/mutate-v1-pod', '/validate-v1-pod'];
  const load = await fixedRateReviews({ baseUrl: server.url, rate, seconds, ca: server.caPem, body: (i) => ({ path: paths[i % 2] ?? '/mutate-v1-pod', json: review(i, paths[i % 2] ?? '/mutate-v1-pod') }) });
  await server.close();
  await writeResult('webhooks-fixed-rate.json', {
    bench: 'webhooks',
    mode: 'fixed-rate',
    date: new Date().toISOString(),
    node: process.version,
    ...load,
    rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  });
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--rate')) return fixedRate(flag(argv, 'rate', 500), flag(argv, 'seconds', 20));
  const total = flag(argv, 'requests', 4000);
  const concurrency = flag(argv, 'concurrency', 16);
  const server = await benchServer();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: server.caPem });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const paths = ['/mutate-v1-pod', '/validate-v1-pod'];
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const path = paths[i % 2] ?? '/mutate-v1-pod';
      const body = review(i, path);
      const t0 = process.hrtime.bigint();
      const req = request(`${server.url}${path}?timeout=5s`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) failures++;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          resolve();
        });
      });
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < total) await one(next++);
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  await server.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(3));
  const result = {
    bench: 'webhooks',
    date: new Date().toISOString(),
    node: process.version,
    requests: total,
    concurrency,
    failures,
    seconds: Number(seconds.toFixed(3)),
    requestsPerSecond: Math.round(total / seconds),
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
    rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
  };
  await writeResult('webhooks.json', result);
}
