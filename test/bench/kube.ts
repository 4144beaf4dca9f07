// Benchmark of the local Kubernetes API server at cluster scale: `npm run bench -- kube
// [--nodes 5000] [--pods 100000] [--watchers 10] [--rate 1000] [--seconds 10]`.
// The server runs in a child process (so client work does not distort it); this process loads
// it over HTTP, then measures: listing all pods (unpaged, and paged by 500 as kubectl does), an
// indexed field-selector list, watch fan-out (N watchers, a steady stream of pod updates:
// delivered rate, lag from write to receipt, lost events), and the server's memory after load.
// Writes test/bench/results/kube-<timestamp>.json and kube-latest.json. KUBE_BENCH_CPU_PROF=<dir>
// writes a CPU profile of the server process there.
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalKube } from '../../src/sim/kube/index.js';
import { percentile } from './lib/alloc-math.js';

const SERVER_FLAG = '--kube-bench-server';

interface Options {
  nodes: number;
  pods: number;
  watchers: number;
  rate: number;
  seconds: number;
  concurrency: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { nodes: 5000, pods: 100_000, watchers: 10, rate: 1000, seconds: 10, concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]?.replace(/^--/, '') as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in opts) || !Number.isFinite(value) || value < 0) throw new Error(`unknown or invalid flag ${argv[i] ?? ''} ${argv[i + 1] ?? ''}; flags: --nodes --pods --watchers --rate --seconds --concurrency`);
    opts[key] = value;
    i++;
  }
  return opts;
}

interface Memory {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;

/** The child: a LocalKube that reports its URL and, on request, its memory after a full GC. */
async function serve(): Promise<void> {
  const kube = await startLocalKube({ watchHistorySize: 10_000 });
  process.on('message', (msg: unknown) => {
    if (msg === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      process.send?.({ memory: { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external) } });
    } else if (msg === 'stop') {
      void kube.close().then(() => process.exit(0));
    }
  });
  process.send?.({ url: kube.url, token: kube.tokens.admin });
}

class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });
  private readonly host: string;
  private readonly port: number;

  constructor(url: string, private readonly token: string) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: { Authorization: `Bearer ${this.token}`, ...(payload ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** GETs a path and counts the body's bytes without keeping them: time to last byte. */
  drain(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, path, agent: this.agent, headers: { Authorization: `Bearer ${this.token}` } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Streams a watch; `onLine` gets each event line. Returns a stop function. */
  watch(path: string, onLine: (line: string) => void): () => void {
    const req = request({ host: this.host, port: this.port, path, headers: { Authorization: `Bearer ${this.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
    return () => req.destroy();
  }

  close(): void {
    this.agent.destroy();
  }
}

async function inParallel(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

function node(i: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${i}`, labels: { 'node.kubernetes.io/instance-type': 'm5.large', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`, 'kubernetes.io/os': 'linux' } },
    spec: { providerID: `aws:///eu-west-1a/i-${i.toString(16).padStart(17, '0')}` },
    status: { capacity: { cpu: '2', memory: '8Gi', pods: '29' }, allocatable: { cpu: '1930m', memory: '7Gi', pods: '29' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(i: number, nodes: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, labels: { app: `app-${i % 100}`, 'pod-template-hash': 'abc123' } },
    spec: {
      nodeName: `node-${i % nodes}`,
      containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { cpu: '100m', memory: '128Mi' } }, ports: [{ containerPort: 8080, protocol: 'TCP' }] }],
    },
  };
}

async function askChild<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (msg: unknown): void => {
      if (msg && typeof msg === 'object' && key in msg) {
        child.off('message', on);
        resolve((msg as Record<string, T>)[key] as T);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  const here = fileURLToPath(import.meta.url);
  const child = fork(here, [SERVER_FLAG], { execArgv: ['--expose-gc', '--max-old-space-size=4096', ...(process.env.KUBE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KUBE_BENCH_CPU_PROF}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; token: string }));
    child.once('exit', (code) => reject(new Error(`bench server exited (${code ?? 'signal'})`)));
  });
  const client = new Client(url, token);
  try {
    const memoryBefore = await askChild<Memory>(child, 'memory', 'memory');
    await client.call('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    const loadStart = performance.now();
    await inParallel(opts.nodes, opts.concurrency, async (i) => {
      const r = await client.call('POST', '/api/v1/nodes', node(i));
      if (r.status !== 201) throw new Error(`creating node-${i}: ${r.status} ${r.text}`);
    });
    await inParallel(opts.pods, opts.concurrency, async (i) => {
      const r = await client.call('POST', '/api/v1/namespaces/bench/pods', pod(i, opts.nodes));
      if (r.status !== 201) throw new Error(`creating pod-${i}: ${r.status} ${r.text}`);
    });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    console.error(`loaded ${opts.nodes} nodes and ${opts.pods} pods in ${loadSeconds.toFixed(1)} s`);
    const memoryAfterLoad = await askChild<Memory>(child, 'memory', 'memory');

    // Unpaged list of every pod: time to last byte (body discarded), then once more kept and parsed.
    let t = performance.now();
    const unpagedBytes = await client.drain('/api/v1/pods');
    const unpagedMs = performance.now() - t;
    t = performance.now();
    const all = await client.call('GET', '/api/v1/pods');
    const unpagedKeptMs = performance.now() - t;
    t = performance.now();
    const parsed = JSON.parse(all.text) as { items: unknown[] };
    const unpagedParseMs = performance.now() - t;
    if (parsed.items.length !== opts.pods) throw new Error(`unpaged list returned ${parsed.items.length} pods, expected ${opts.pods}`);

    // Paged, as kubectl and informers with a page size do.
    t = performance.now();
    let pages = 0;
    let items = 0;
    let token2: string | undefined;
    do {
      const r = await client.call('GET', `/api/v1/pods?limit=500${token2 ? `&continue=${encodeURIComponent(token2)}` : ''}`);
      const page = JSON.parse(r.text) as { items: unknown[]; metadata: { continue?: string } };
      pages++;
      items += page.items.length;
      token2 = page.metadata.continue;
    } while (token2);
    const pagedMs = performance.now() - t;
    if (items !== opts.pods) throw new Error(`paged list returned ${items} pods, expected ${opts.pods}`);

    t = performance.now();
    const byNode = JSON.parse((await client.call('GET', `/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-7`)).text) as { items: unknown[] };
    const byNodeMs = performance.now() - t;

    // Watch fan-out: N watchers from "now", a writer patching pods at the target rate.
    const rv = (JSON.parse((await client.call('GET', '/api/v1/namespaces/bench/pods?limit=1')).text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const received = Array.from({ length: opts.watchers }, () => 0);
    const lags: number[] = [];
    const stops = received.map((_, w) =>
      client.watch(`/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${rv}`, (line) => {
        received[w] = (received[w] ?? 0) + 1;
        const m = /"bench\/sent":"(\d+(?:\.\d+)?)"/.exec(line);
        if (m && lags.length < 500_000) lags.push(Date.now() - Number(m[1]));
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    let sent = 0;
    let failed = 0;
    const writeStart = performance.now();
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((opts.rate * tickMs) / 1000));
    const inflight: Promise<void>[] = [];
    while (performance.now() - writeStart < opts.seconds * 1000) {
      const due = Math.floor(((performance.now() - writeStart) / 1000) * opts.rate);
      while (sent < due) {
        const i = sent++;
        inflight.push(
          client
            .call('PATCH', `/api/v1/namespaces/bench/pods/pod-${i % opts.pods}`, { metadata: { annotations: { 'bench/sent': String(Date.now()) } } }, 'application/merge-patch+json')
            .then((r) => {
              if (r.status !== 200) failed++;
            }),
        );
      }
      if (inflight.length > 5000) await Promise.all(inflight.splice(0));
      await new Promise((r) => setTimeout(r, tickMs / Math.max(1, perTick / 10)));
    }
    await Promise.all(inflight);
    const writeSeconds = (performance.now() - writeStart) / 1000;
    const expected = sent - failed;
    const drainDeadline = Date.now() + 30_000;
    while (received.some((n) => n < expected) && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
    const deliverSeconds = (performance.now() - writeStart) / 1000;
    for (const stop of stops) stop();
    const memoryAfterWatch = await askChild<Memory>(child, 'memory', 'memory');

    const result = {
      bench: 'kube',
      timestamp: new Date().toISOString(),
      node: process.version,
      loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10),
      cpus: (await import('node:os')).cpus().length,
      config: opts,
      load: { nodes: opts.nodes, pods: opts.pods, seconds: round(loadSeconds), createsPerSecond: Math.round((opts.nodes + opts.pods) / loadSeconds) },
      list: {
        unpagedMs: round(unpagedMs),
        unpagedMB: mb(unpagedBytes),
        unpagedIntoStringMs: round(unpagedKeptMs),
        clientParseMs: round(unpagedParseMs),
        pagedMs: round(pagedMs),
        pages,
        pageSize: 500,
        byNodeFieldSelectorMs: round(byNodeMs),
        byNodeItems: byNode.items.length,
      },
      watch: {
        watchers: opts.watchers,
        targetRatePerSecond: opts.rate,
        writeSeconds: round(writeSeconds),
        sent,
        failedWrites: failed,
        achievedWriteRate: Math.round(sent / writeSeconds),
        receivedPerWatcher: received,
        lostPerWatcher: received.map((n) => Math.max(0, expected - n)),
        deliveredRatePerWatcher: Math.round(Math.min(...received) / deliverSeconds),
        lagMs: { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags.length ? Math.max(...lags) : 0 },
      },
      memory: { beforeLoad: memoryBefore, afterLoad: memoryAfterLoad, afterWatch: memoryAfterWatch },
    };
    const dir = join(dirname(here), '..', '..', '..', 'test', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const text = `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(join(dir, `kube-${result.timestamp.replace(/[:.]/g, '-')}.json`), text);
    writeFileSync(join(dir, 'kube-latest.json'), text);
    console.log(text);
  } finally {
    client.close();
    child.send('stop');
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

if (process.argv.includes(SERVER_FLAG)) void serve();
