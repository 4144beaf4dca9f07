// Controller bench: N nodes join at once; how long until every one has its trunk advertised, how
// many EC2 calls the controller spends per node, and the controller's peak memory.
//
//   npm run bench -- controller-nodes [--nodes 1000] [--time-scale 1] [--throttle aws|off] [--attach-delay-ms 1000]
//
// The sandbox (local EC2 with AWS's token buckets, local Kubernetes, node agents) runs in this
// process; the controller runs as its own process (`vpcrc controller`, the built CLI), so its
// memory is measured alone (VmHWM from /proc) and its EC2 calls are read from its /metrics.
// Writes test/bench/results/controller-nodes-<timestamp>.json and controller-nodes-latest.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { RESOURCE_POD_ENI } from '../../src/apis/constants.js';
import { startSandbox } from '../../src/sim/sandbox/sandbox.js';
import { cpuSeconds, ec2Calls, flag, peakRssMiB, positive, repoRoot, startControllerProcess, sumsByAction } from './lib/controller-process.js';

/** Lines of the node work queue's metrics (reconcile counts and time by outcome, queue wait). */
function nodeQueueStats(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const m = /^vpcrc_workqueue_(reconcile_duration_seconds|queue_duration_seconds)_(sum|count)\{([^}]*)\} ([0-9.e+-]+)/.exec(line);
    if (!m || !/name="node"/.test(m[3] ?? '')) continue;
    const outcome = /outcome="([^"]+)"/.exec(m[3] ?? '')?.[1];
    out[`${m[1]}_${m[2]}${outcome ? `{${outcome}}` : ''}`] = Math.round(Number(m[4]) * 100) / 100;
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const nodes = positive('nodes', flag(argv, 'nodes', '1000'));
  const timeScale = positive('time-scale', flag(argv, 'time-scale', '1'));
  const throttle = flag(argv, 'throttle', 'aws');
  if (throttle !== 'aws' && throttle !== 'off') throw new Error('--throttle must be aws or off');
  const attachDelayMs = Number(flag(argv, 'attach-delay-ms', '1000'));
  const type = flag(argv, 'type', 'm5.large');
  const dir = join(tmpdir(), `vpcrc-bench-${process.pid}`);

  const sandbox = await startSandbox({
    nodes: `${type}=0`,
    throttle,
    timeScale,
    kubeconfigPath: join(dir, 'kubeconfig'),
    ec2: { attachDelayMs },
    heartbeatMs: 10_000,
  });
  const controller = await startControllerProcess(
    { kubeconfigPath: sandbox.kubeconfigPath, clusterName: sandbox.clusterName, region: sandbox.region, ec2Endpoint: sandbox.ec2.endpoint },
    { timeScale, readyTimeoutMs: 30_000 },
  ).catch(async (err: unknown) => {
    await sandbox.stop();
    throw err;
  });
  const child = controller.child;
  const core = sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
  try {
    const ec2Before = sandbox.ec2.control.counterSnapshot();
    const t0 = Date.now();
    await sandbox.addNodes(`${type}=${nodes}`);
    const registeredMs = Date.now() - t0;
    let advertised = 0;
    let lastProgress = Date.now();
    const timeline: { s: number; advertised: number }[] = [];
    const deadline = t0 + Math.max(600_000, (nodes * 2_000) / timeScale);
    while (advertised < nodes) {
      if (Date.now() > deadline) throw new Error(`only ${advertised}/${nodes} nodes advertised before the deadline`);
      await new Promise((r) => setTimeout(r, 500));
      let list;
      try {
        list = await core.listNode();
      } catch {
        continue; // a busy API server may reset a keep-alive connection; look again
      }
      const n = list.items.filter((x) => (x.status?.capacity)?.[RESOURCE_POD_ENI] !== undefined).length;
      if (n !== advertised) lastProgress = Date.now();
      advertised = n;
      timeline.push({ s: Math.round((Date.now() - t0) / 100) / 10, advertised });
      if (Date.now() - lastProgress > 120_000) throw new Error(`no progress for 2 minutes at ${advertised}/${nodes}`);
    }
    const allMs = Date.now() - t0;
    const metrics = await controller.metrics();
    const calls = ec2Calls(metrics);
    const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const ec2After = sandbox.ec2.control.counterSnapshot();
    const throttled = Object.entries(ec2After).reduce((sum, [a, c]) => sum + c.throttled - (ec2Before[a]?.throttled ?? 0), 0);
    const trunks = sandbox.ec2.world.listEnis().filter((e) => e.interfaceType === 'trunk').length;
    const result = {
      bench: 'controller-nodes',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings: { nodes, type, throttle, timeScale, attachDelayMs },
      nodesRegisteredMs: registeredMs,
      allTrunksAdvertisedMs: allMs,
      allTrunksAdvertisedAwsSeconds: Math.round((allMs * timeScale) / 100) / 10,
      trunks,
      ec2CallsByAction: calls,
      ec2CallsPerNode: Math.round((totalCalls / nodes) * 100) / 100,
      limiterWaitSecondsByAction: sumsByAction(metrics, 'vpcrc_ec2_limiter_wait_seconds'),
      callSecondsByAction: sumsByAction(metrics, 'vpcrc_ec2_call_duration_seconds'),
      nodeQueue: nodeQueueStats(metrics),
      throttledResponsesSeen: throttled,
      controllerPeakRssMiB: peakRssMiB(child.pid ?? 0),
      controllerCpuSeconds: cpuSeconds(child.pid ?? 0),
      sandboxCpuSeconds: Math.round(((process.cpuUsage().user + process.cpuUsage().system) / 1e6) * 10) / 10,
      timeline: timeline.filter((_, i) => i % Math.max(1, Math.floor(timeline.length / 40)) === 0),
    };
    const outDir = join(repoRoot, 'test', 'bench', 'results');
    await mkdir(outDir, { recursive: true });
    const stamp = result.at.replace(/[:.]/g, '-');
    const text = JSON.stringify(result, null, 2) + '\n';
    await writeFile(join(outDir, `controller-nodes-${stamp}.json`), text);
    await writeFile(join(outDir, 'controller-nodes-latest.json'), text);
    console.log(JSON.stringify({ ...result, timeline: undefined }, null, 2));
  } finally {
    await controller.stop();
    await sandbox.stop();
  }
}
