// Webhook throughput and latency over real TLS with keep-alive, as the API server calls it.
//   npm run bench -- webhooks [--requests 4000] [--concurrency 16]      saturating: closed loop
//   npm run bench -- webhooks --rate 500 [--seconds 20] [--in-process]  fixed rate: open loop, as an
//                                                                       API server sends reviews
// Writes test/bench/results/webhooks.json (saturating) or webhooks-fixed-rate.json.
//
// At a fixed rate the server runs in its own process (as the controller does; the API server is
// another process on another machine), so the sender's TLS and JSON work does not queue on the
// server's event loop and is not counted as the server's latency (`--in-process` puts both in one
// process, as before, for comparison). The sender keeps connections alive as kube-apiserver's
// webhook client does (client-go's transport: keep-alive, at most 25 idle connections per host,
// no cap on open ones). The server process reports its event-loop delay, GC pauses and TLS
// handshakes during the run.
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ANNOTATION_POD_ENI } from '../../src/apis/constants.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startWebhookServer } from '../../src/webhooks/server.js';
import { deployedRuntime } from './lib/controller-process.js';
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

const SERVER_FLAG = '--webhook-bench-server';

/** What the server process saw during the run. */
interface ServerStats {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
  rssMiB: number;
}

/** The server process: serves until told to stop, then reports what it saw. */
async function serve(): Promise<void> {
  const server = await benchServer();
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  let loop = monitorEventLoopDelay({ resolution: 1 });
  process.on('message', (m: unknown) => {
    if (m === 'start') {
      // Counted from the first review on (the server's start-up is not the run).
      Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0 });
      obs.observe({ entryTypes: ['gc'] });
      loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      process.send?.('started');
    } else if (m === 'stop') {
      loop.disable();
      obs.disconnect();
      const ms = (ns: number): number => Number((ns / 1e6).toFixed(3));
      const stats: ServerStats = {
        eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        gc: { count: gc.count, totalMs: Number(gc.totalMs.toFixed(1)), maxMs: Number(gc.maxMs.toFixed(2)) },
        rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      };
      process.send?.({ stats }, () => void server.close().then(() => process.exit(0)));
    }
  });
  process.send?.({ url: server.url, caPem: server.caPem });
}

/** Reviews at a fixed rate: latency from when each was due, so falling behind shows. */
async function fixedRate(rate: number, seconds: number, inProcess: boolean): Promise<void> {
  const paths = ['/mutate-v1-pod', '/validate-v1-pod'];
  const body = (i: number): { path: string; json: string } => ({ path: paths[i % 2] ?? '/mutate-v1-pod', json: review(i, paths[i % 2] ?? '/mutate-v1-pod') });
  const loadBefore = Number((loadavg()[0] ?? 0).toFixed(2));
  let load: Awaited<ReturnType<typeof fixedRateReviews>>;
  let serverStats: ServerStats | undefined;
  if (inProcess) {
    const server = await benchServer();
    load = await fixedRateReviews({ baseUrl: server.url, rate, seconds, ca: server.caPem, body });
    await server.close();
  } else {
    // With the Deployment's V8 and malloc settings, as the controller runs.
    const deployed = deployedRuntime();
    const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], { execArgv: deployed.nodeOptions, env: { ...process.env, ...deployed.env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const next = <T>(): Promise<T> =>
      new Promise((resolve, reject) => {
        child.once('message', (m) => resolve(m as T));
        child.once('exit', (code) => reject(new Error(`webhook bench server exited (${code ?? 'signal'})`)));
      });
    const { url, caPem } = await next<{ url: string; caPem: string }>();
    const started = next<string>();
    child.send('start');
    await started;
    load = await fixedRateReviews({ baseUrl: url, rate, seconds, ca: caPem, body });
    const stopped = next<{ stats: ServerStats }>();
    child.send('stop');
    serverStats = (await stopped).stats;
  }
  await writeResult('webhooks-fixed-rate.json', {
    bench: 'webhooks',
    mode: 'fixed-rate',
    command: `npm run bench -- webhooks --rate ${rate} --seconds ${seconds}${inProcess ? ' --in-process' : ''}`,
    sender: inProcess ? 'same process as the server' : 'own process; keep-alive, at most 25 idle connections (client-go)',
    date: new Date().toISOString(),
    node: process.version,
    ...load,
    ...(serverStats ? { server: serverStats } : {}),
    senderRssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
    loadAverage: { before: loadBefore, after: Number((loadavg()[0] ?? 0).toFixed(2)) },
  });
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--rate')) return fixedRate(flag(argv, 'rate', 500), flag(argv, 'seconds', 20), argv.includes('--in-process'));
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

if (process.argv.includes(SERVER_FLAG)) void serve();
