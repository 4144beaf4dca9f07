// Local EC2 benchmark:
//   (a) throttle accuracy: hammer one bucket for T seconds; successes must be C + R·scale·T ± 5 %;
//   (b) DescribeNetworkInterfaces/s with throttling off, server in its own process (`vpcrc sim ec2`),
//       through the SDK and through raw HTTP keep-alive;
//   (c) filtered DescribeNetworkInterfaces latency against a world of 100,000 ENIs.
//   npm run bench -- ec2 [--seconds 3] [--concurrency 16] [--enis 100000]
// Writes test/bench/results/ec2-<timestamp>.json and ec2-latest.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startLocalEc2, type BucketSpec, type LocalEc2 } from '../../src/sim/ec2/index.js';
import { AWS_BUCKETS } from '../../src/sim/ec2/throttle.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

function flag(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** One raw Query-protocol POST over a keep-alive agent; resolves with the HTTP status. */
function post(agent: Agent, endpoint: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: endpoint.hostname,
        port: endpoint.port,
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `worker` on `concurrency` lanes until `seconds` pass; returns calls made and elapsed seconds. */
async function hammer(seconds: number, concurrency: number, worker: () => Promise<void>): Promise<{ calls: number; elapsed: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let calls = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await worker();
        calls++;
      }
    }),
  );
  return { calls, elapsed: (performance.now() - start) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------- (a) throttle accuracy

interface ThrottleCase {
  name: string;
  bucket: string;
  body: (i: number, subnetId: string) => string;
}

async function throttleAccuracy(seconds: number, timeScale: number): Promise<unknown[]> {
  const cases: ThrottleCase[] = [
    {
      name: 'DescribeNetworkInterfaces (filtered)',
      bucket: 'DescribeNetworkInterfaces',
      body: () => 'Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=status&Filter.1.Value.1=in-use',
    },
    {
      name: 'DescribeInstances (unfiltered, unpaginated)',
      bucket: 'DescribeInstances:unfiltered',
      body: () => 'Action=DescribeInstances&Version=2016-11-15',
    },
    {
      name: 'CreateNetworkInterface',
      bucket: 'CreateNetworkInterface',
      body: (_i, subnetId) => `Action=CreateNetworkInterface&Version=2016-11-15&SubnetId=${subnetId}`,
    },
  ];
  const out: unknown[] = [];
  for (const c of cases) {
    const ec2 = await startLocalEc2({ throttle: 'aws', timeScale });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const url = new URL(ec2.endpoint);
      const subnetId = ec2.defaults?.subnets[0]?.subnetId ?? '';
      const spec = AWS_BUCKETS[c.bucket] as BucketSpec;
      let ok = 0;
      let throttled = 0;
      let i = 0;
      const r = await hammer(seconds, 8, async () => {
        const res = await post(agent, url, c.body(i++, subnetId));
        if (res.status === 200) ok++;
        else if (res.status === 503) throttled++;
        else throw new Error(`unexpected status ${res.status}: ${res.text.slice(0, 200)}`);
      });
      const expected = spec.capacity + spec.refillPerSecond * timeScale * r.elapsed;
      const errorPct = ((ok - expected) / expected) * 100;
      out.push({
        case: c.name,
        bucket: { key: c.bucket, ...spec },
        timeScale,
        seconds: round(r.elapsed, 3),
        calls: r.calls,
        succeeded: ok,
        throttled,
        expected: round(expected, 1),
        errorPct: round(errorPct, 2),
        withinFivePercent: Math.abs(errorPct) <= 5,
      });
    } finally {
      agent.destroy();
      await ec2.close();
    }
  }
  return out;
}

// ---------------------------------------------------------------- (b) throughput, server in its own process

interface SdkWorkerJob {
  ec2SdkWorker: true;
  endpoint: string;
  ids: string[];
  seconds: number;
  concurrency: number;
}

function sdkClient(endpoint: string, concurrency: number): EC2Client {
  return new EC2Client({
    endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true, httpAgent: { keepAlive: true, maxSockets: concurrency } },
  });
}

/** One SDK client hammering DescribeNetworkInterfaces by ID; used in-thread and in worker threads. */
async function sdkByIdRun(endpoint: string, ids: readonly string[], seconds: number, concurrency: number): Promise<{ calls: number; elapsed: number }> {
  const client = sdkClient(endpoint, concurrency);
  try {
    for (let i = 0; i < 200; i++) await client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ids[i % ids.length] as string] }));
    let m = 0;
    return await hammer(seconds, concurrency, async () => {
      await client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ids[m++ % ids.length] as string] }));
    });
  } finally {
    client.destroy();
  }
}

// When this module runs as a worker thread it is one more SDK client process-equivalent.
if (!isMainThread && (workerData as SdkWorkerJob | undefined)?.ec2SdkWorker) {
  const job = workerData as SdkWorkerJob;
  void sdkByIdRun(job.endpoint, job.ids, job.seconds, job.concurrency).then((r) => parentPort?.postMessage(r));
}

async function sdkInWorkers(workers: number, endpoint: string, ids: string[], seconds: number, concurrency: number): Promise<{ calls: number; elapsed: number }> {
  const results = await Promise.all(
    Array.from({ length: workers }, () => {
      const job: SdkWorkerJob = { ec2SdkWorker: true, endpoint, ids, seconds, concurrency };
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: job });
      return new Promise<{ calls: number; elapsed: number }>((resolve, reject) => {
        w.once('message', (r: { calls: number; elapsed: number }) => {
          resolve(r);
          void w.terminate();
        });
        w.once('error', reject);
      });
    }),
  );
  return { calls: results.reduce((s, r) => s + r.calls, 0), elapsed: Math.max(...results.map((r) => r.elapsed)) };
}

async function spawnServer(): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'sim', 'ec2', '--port', '0', '--throttle', 'off'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /EC2 endpoint: (\S+)/.exec(buf);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`vpcrc sim ec2 exited with ${code}`)));
  });
  return { child, endpoint };
}

async function throughput(seconds: number, concurrency: number): Promise<unknown> {
  const { child, endpoint } = await spawnServer();
  try {
    const url = new URL(endpoint);
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    // A world the size of a busy node group: 300 ENIs, each tagged with one of 30 instances.
    const subnets = (await post(agent, url, 'Action=DescribeSubnets&Version=2016-11-15')).text.match(/<subnetId>([^<]+)<\/subnetId>/g) ?? [];
    const subnetId = (subnets[0] ?? '').replace(/<\/?subnetId>/g, '');
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await post(agent, url, `Action=CreateNetworkInterface&Version=2016-11-15&SubnetId=${subnetId}&Description=aws-k8s-branch-eni&TagSpecification.1.ResourceType=network-interface&TagSpecification.1.Tag.1.Key=node.k8s.amazonaws.com%2Finstance_id&TagSpecification.1.Tag.1.Value=i-${String(i % 30).padStart(17, '0')}`);
      ids.push(/<networkInterfaceId>([^<]+)</.exec(r.text)?.[1] ?? '');
    }
    const rawBody = (i: number): string =>
      `Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1=${ids[i % ids.length]}`;
    // Warm up both paths.
    for (let i = 0; i < 200; i++) await post(agent, url, rawBody(i));
    let n = 0;
    const raw = await hammer(seconds, concurrency, async () => {
      const r = await post(agent, url, rawBody(n++));
      if (r.status !== 200) throw new Error(`status ${r.status}`);
    });
    agent.destroy();

    const sdk = await sdkByIdRun(endpoint, ids, seconds, concurrency);
    // The SDK client, not the server, saturates first: two client threads show what the server takes.
    const sdk2 = await sdkInWorkers(2, endpoint, ids, seconds, concurrency / 2);
    const client = sdkClient(endpoint, concurrency);
    let k = 0;
    const sdkFiltered = await hammer(seconds, concurrency, async () => {
      await client.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:node.k8s.amazonaws.com/instance_id', Values: [`i-${String(k++ % 30).padStart(17, '0')}`] }] }),
      );
    });
    client.destroy();
    return {
      world: '300 ENIs; server in its own process (vpcrc sim ec2 --throttle off)',
      concurrency,
      rawHttpKeepAlive: { request: 'DescribeNetworkInterfaces NetworkInterfaceId.1=<one>', calls: raw.calls, seconds: round(raw.elapsed, 2), perSecond: round(raw.calls / raw.elapsed, 0) },
      sdk: { request: 'DescribeNetworkInterfaces NetworkInterfaceIds=[one]', calls: sdk.calls, seconds: round(sdk.elapsed, 2), perSecond: round(sdk.calls / sdk.elapsed, 0) },
      sdkTwoClientThreads: { request: 'same, two SDK clients in worker threads', calls: sdk2.calls, seconds: round(sdk2.elapsed, 2), perSecond: round(sdk2.calls / sdk2.elapsed, 0) },
      sdkTagFilter: { request: 'DescribeNetworkInterfaces tag:node.k8s.amazonaws.com/instance_id (10 of 300 match)', calls: sdkFiltered.calls, seconds: round(sdkFiltered.elapsed, 2), perSecond: round(sdkFiltered.calls / sdkFiltered.elapsed, 0) },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

// ---------------------------------------------------------------- (c) filtered describe, 100,000 ENIs

async function bigWorld(enis: number): Promise<{ ec2: LocalEc2; tagValues: string[]; instanceId: string; sampleId: string; subnetId: string }> {
  const ec2 = await startLocalEc2({ throttle: 'off' });
  const w = ec2.world;
  // Two /16 subnets (65,531 usable addresses each) hold the ENIs.
  const subnets = ['172.16.0.0/16', '172.17.0.0/16'].map((cidr) => {
    const vpc = w.createVpc(cidr);
    return w.createSubnet(vpc.vpcId, cidr, `${w.region}a`);
  });
  const tagValues = Array.from({ length: 1000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
  let sampleId = '';
  for (let i = 0; i < enis; i++) {
    const subnet = subnets[i % 2] as (typeof subnets)[number];
    const e = w.createNetworkInterface({
      subnetId: subnet.subnetId,
      description: i % 10 === 0 ? 'aws-k8s-trunk-eni' : 'aws-k8s-branch-eni',
      tags: [
        { key: 'node.k8s.amazonaws.com/instance_id', value: tagValues[i % tagValues.length] },
        { key: 'eks:eni:owner', value: 'eks-vpc-resource-controller' },
      ],
    });
    if (i === Math.floor(enis / 2)) sampleId = e.networkInterfaceId;
  }
  // One instance with a trunk attached, for the attachment filter.
  const inst = w.runInstances({ imageId: 'ami-0123456789abcdef0', instanceType: 'm5.large', subnetId: subnets[0]?.subnetId ?? '', minCount: 1, maxCount: 1 })[0];
  const trunk = w.createNetworkInterface({ subnetId: subnets[0]?.subnetId ?? '', interfaceType: 'trunk' });
  w.attachNetworkInterface(trunk.networkInterfaceId, inst?.instanceId ?? '', 2);
  return { ec2, tagValues, instanceId: inst?.instanceId ?? '', sampleId, subnetId: subnets[0]?.subnetId ?? '' };
}

async function filteredLatency(enis: number, samples: number): Promise<unknown> {
  const t0 = performance.now();
  const { ec2, tagValues, instanceId, sampleId, subnetId } = await bigWorld(enis);
  const sampleMac = ec2.world.getEni(sampleId)?.macAddress ?? '';
  const buildSeconds = (performance.now() - t0) / 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(ec2.endpoint);
  const queries: { name: string; body: (i: number) => string; expect: (text: string) => boolean }[] = [
    {
      name: 'tag:node.k8s.amazonaws.com/instance_id=<one of 1,000> (100 results)',
      body: (i) => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=tag%3Anode.k8s.amazonaws.com%2Finstance_id&Filter.1.Value.1=${tagValues[i % tagValues.length]}`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === enis / tagValues.length,
    },
    {
      name: 'attachment.instance-id + interface-type=trunk (1 result)',
      body: () => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=attachment.instance-id&Filter.1.Value.1=${instanceId}&Filter.2.Name=interface-type&Filter.2.Value.1=trunk`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === 1,
    },
    {
      name: 'network-interface-id filter (1 result)',
      body: () => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=network-interface-id&Filter.1.Value.1=${sampleId}`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === 1,
    },
    {
      name: 'subnet-id + description=aws-k8s-trunk-eni, MaxResults=100 (scan of one subnet, first page)',
      body: () => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=subnet-id&Filter.1.Value.1=${subnetId}&Filter.2.Name=description&Filter.2.Value.1=aws-k8s-trunk-eni&MaxResults=100`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === 100,
    },
    {
      name: 'mac-address=<one> (no index applies: full scan of every ENI, 1 result)',
      body: () => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=mac-address&Filter.1.Value.1=${encodeURIComponent(sampleMac)}`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === 1,
    },
    {
      name: 'status=available + tag:eks:eni:owner, MaxResults=1000 (unindexed status, page of 1,000)',
      body: () => `Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=status&Filter.1.Value.1=available&Filter.2.Name=tag%3Aeks%3Aeni%3Aowner&Filter.2.Value.1=eks-vpc-resource-controller&MaxResults=1000`,
      expect: (t) => (t.match(/<networkInterfaceId>/g) ?? []).length === 1000,
    },
  ];
  const results: unknown[] = [];
  try {
    for (const q of queries) {
      for (let i = 0; i < 20; i++) await post(agent, url, q.body(i)); // warm-up
      ec2.control.resetCounters();
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const s = performance.now();
        const r = await post(agent, url, q.body(i));
        times.push(performance.now() - s);
        if (r.status !== 200 || !q.expect(r.text)) throw new Error(`query '${q.name}' returned ${r.status}: ${r.text.slice(0, 300)}`);
      }
      times.sort((a, b) => a - b);
      const c = ec2.control.counter('DescribeNetworkInterfaces');
      results.push({
        query: q.name,
        samples,
        roundTripMs: { median: round(percentile(times, 50)), p99: round(percentile(times, 99)), max: round(times[times.length - 1] ?? NaN) },
        serverMeanMs: round(c.totalLatencyMs / c.calls),
      });
    }
  } finally {
    agent.destroy();
    await ec2.close();
  }
  return { enis: ec2.world.eniCount, buildSeconds: round(buildSeconds), heapUsedMiB: round(process.memoryUsage().heapUsed / 2 ** 20, 0), queries: results };
}

export async function main(argv: string[]): Promise<void> {
  const seconds = flag(argv, 'seconds', 3);
  const concurrency = flag(argv, 'concurrency', 16);
  const enis = flag(argv, 'enis', 100_000);
  const timeScale = flag(argv, 'time-scale', 10);
  const started = new Date();
  // The machine is shared: record its load so figures can be read in context.
  const loadBefore = loadavg();

  console.error('ec2 bench: (a) throttle accuracy…');
  const throttle = await throttleAccuracy(seconds, timeScale);
  console.error('ec2 bench: (b) DescribeNetworkInterfaces/s with throttling off…');
  const speed = await throughput(seconds, concurrency);
  console.error(`ec2 bench: (c) filtered describe against ${enis} ENIs…`);
  const latency = await filteredLatency(enis, 200);

  const result = {
    bench: 'ec2',
    startedAt: started.toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage1m: { before: round(loadBefore[0] ?? NaN), after: round(loadavg()[0] ?? NaN) },
    throttleAccuracy: throttle,
    throughput: speed,
    filteredDescribe: latency,
  };
  const dir = join(repoRoot, 'test', 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  await writeFile(join(dir, `ec2-${stamp}.json`), json);
  await writeFile(join(dir, 'ec2-latest.json'), json);
  console.log(json);
}
