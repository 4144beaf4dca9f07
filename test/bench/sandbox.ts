// Sandbox bench: how fast nodes join and pods start, and that an idle sandbox stays idle.
//   npm run bench -- sandbox [--nodes 200] [--pods 3000] [--idle-seconds 20] [--throttle aws|off]
// Writes test/bench/results/sandbox.json.
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../src/sim/sandbox/sandbox.js';

function flag(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
}

export async function main(argv: string[]): Promise<void> {
  const nodes = Number(flag(argv, 'nodes', '200'));
  const podCount = Number(flag(argv, 'pods', '3000'));
  // At least two heartbeat periods (10 s), so the window sees every node's heartbeats.
  const idleSeconds = Number(flag(argv, 'idle-seconds', '20'));
  const throttle = flag(argv, 'throttle', 'aws') as 'aws' | 'off';
  if (!Number.isInteger(nodes) || nodes < 1 || !Number.isInteger(podCount) || podCount < 0) throw new Error('--nodes and --pods must be whole numbers');
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-bench-sandbox-'));

  const t0 = performance.now();
  const sandbox = await startSandbox({ nodes: `m5.xlarge=${nodes}`, throttle, kubeconfigPath: join(dir, 'kubeconfig') });
  const nodesReadyMs = performance.now() - t0;
  const core = sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
  try {
    // Idle: heartbeats only. CPU time used by this process (servers, agents, scheduler) per wall second.
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - w0)) * 100;

    const t1 = performance.now();
    for (let i = 0; i < podCount; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, podCount - i) }, (_, j) =>
          core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: `bench-${i + j}` }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } }),
        ),
      );
    }
    const createdMs = performance.now() - t1;
    let running = 0;
    const deadline = Date.now() + 300_000;
    while (running < podCount) {
      if (Date.now() > deadline) throw new Error(`only ${running}/${podCount} pods Running after 300 s`);
      // Poll gently: listing thousands of pods is itself work for the (same-process) API server.
      await new Promise((r) => setTimeout(r, 1000));
      running = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Running' })).items.length;
    }
    const podsRunningMs = performance.now() - t1;
    const result = {
      bench: 'sandbox',
      date: new Date().toISOString(),
      node: process.version,
      nodes,
      pods: podCount,
      throttle,
      nodesReadyMs: Math.round(nodesReadyMs),
      idleSeconds,
      idleCpuPercent: Number(idleCpuPercent.toFixed(1)),
      podsCreatedMs: Math.round(createdMs),
      podsRunningMs: Math.round(podsRunningMs),
      podsPerSecond: Math.round(podCount / (podsRunningMs / 1000)),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
    const out = join(process.cwd(), 'test/bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'sandbox.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result));
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
