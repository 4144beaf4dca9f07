// Allocation benchmark (issue 6): how close the whole controller gets to the limit EC2's buckets set
// when many pods with security groups start at once.
//
//   npm run bench -- alloc [--pods 1000] [--nodes 100] [--instance-type c5.4xlarge] [--time-scale 2]
//                          [--pacing ours|reference] [--share 1] [--competing-share F] [--both]
//                          [--deadline-seconds 600]
//
// A sandbox with the `aws` throttle profile (refills and delays --time-scale times faster), M nodes
// of a trunk-capable type, the real controller (pod side on, webhooks off: the pods carry the
// pod-eni request the mutating webhook would add), one SecurityGroupPolicy. Once every node has its
// trunk and EC2's buckets are full again, N matching pods are created at once; the run ends when a
// pod watch has seen every pod annotated.
//
// Figures (simulated seconds = real × time scale, the clock EC2's buckets run on):
// - wall: first pod create → last pod seen annotated;
// - bound: per action, the controller's admitted calls (plus the competitor's admitted calls, as
//   counted) beyond the tokens EC2's bucket held at the start, at EC2's refill rate
//   (test/bench/lib/alloc-math.ts), slowest action, plus one call chain (the fastest scheduled →
//   annotated seen in the run); efficiency = bound / wall. The bound at the competitor's nominal
//   share is reported too;
// - calls per pod by action and throttled calls, from the local EC2's counters for the burst phase
//   minus the competitor's own (it counts what it sent), cross-checked with the gateway's stats;
// - time to annotation p50/p99 (scheduled → annotated, both seen by one pod watch).
//
// `--pacing reference` runs the reference controller's policy through the same code: one limiter of
// 12 calls/s, burst 18, for every EC2 call (REFERENCE_PACING), 30 pod workers, and
// CreateNetworkInterfacePermission after every associate (3 calls per pod). `--both` runs ours, then
// the reference, and reports the ratio of wall times. `--competing-share F` adds a client spending F
// of each branch-ENI bucket's refill for the whole burst.
//
// Writes test/bench/results/alloc-<pacing>[-competing-F]-<timestamp>.json and alloc-latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { LABEL_HAS_TRUNK_ATTACHED, RESOURCE_POD_ENI, SGP_GROUP, SGP_KIND, SGP_PLURAL, SGP_VERSION } from '../../src/apis/constants.js';
import { defaultPacingConfig, REFERENCE_PACING, type PacingConfig } from '../../src/aws/pacing-config.js';
import { sandboxControllerStarter } from '../../src/cli/sandbox-controller.js';
import type { RunningController } from '../../src/controllers/controller.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { AWS_BUCKETS } from '../../src/sim/ec2/index.js';
import { startSandbox, type Sandbox } from '../../src/sim/sandbox/index.js';
import { bucketBound, percentile, round, type ActionDemand } from './lib/alloc-math.js';
import { COMPETITOR_ACTIONS, startCompetitor, type CompetitorAction, type CompetitorCounts } from './lib/competitor.js';
import { watchPodTimes } from './lib/pod-times.js';

export type Pacing = 'ours' | 'reference';

export interface AllocOptions {
  pods: number;
  nodes: number;
  instanceType: string;
  timeScale: number;
  pacing: Pacing;
  /** Account share of our pacing (ignored by the reference policy). */
  share: number;
  competingShare: number;
  /** Give up (real seconds) when not every pod is annotated by then. */
  deadlineSeconds: number;
}

const NAMESPACE = 'alloc-bench';
const POD_LABELS = { app: 'alloc-bench' };
/** The reference controller's branch workers. */
const REFERENCE_WORKERS = 30;
/** Any account ID: with it set the controller grants INSTANCE-ATTACH after every associate, as EKS's does. */
const REFERENCE_PERMISSION_ACCOUNT = '111122223333';
/** Buckets a branch ENI draws from; the burst starts when these are full again after the trunk phase. */
const BURST_ACTIONS = ['CreateNetworkInterface', 'AssociateTrunkInterface', 'CreateNetworkInterfacePermission', 'DescribeNetworkInterfaces', 'DescribeTrunkInterfaceAssociations'];

export interface AllocResult {
  bench: 'alloc';
  date: string;
  node: string;
  options: AllocOptions;
  completed: boolean;
  annotated: number;
  wall: { simulatedSeconds: number; realSeconds: number };
  bound: {
    simulatedSeconds: number;
    bucketSeconds: number;
    /** With a competitor: the bucket bound at its nominal share instead of its counted calls. */
    nominalBucketSeconds: number;
    chainSeconds: number;
    limitingAction: string | undefined;
    perActionSeconds: Record<string, number>;
  };
  efficiency: number;
  callsPerPod: Record<string, number>;
  calls: Record<string, { calls: number; throttled: number; errors: number }>;
  mutatingCallsPerPod: number;
  totalCallsPerPod: number;
  throttledCalls: number;
  throttledFraction: number;
  tokensAtStart: Record<string, number>;
  competitor: Record<string, CompetitorCounts> | undefined;
  /** The controller's own count of its calls (gateway stats), to cross-check the EC2 side. */
  gatewayCalls: Record<string, { calls: number; throttles: number }>;
  timeToAnnotation: { p50: number; p99: number; max: number; realP50: number; realP99: number };
  /** First pod create → pod seen bound to a node (the sandbox scheduler's share of the wall time), simulated seconds. */
  scheduledAfterStart: { p50: number; max: number };
  setup: { nodesAndTrunksRealSeconds: number; refillWaitRealSeconds: number; podCreateRealSeconds: number };
  loadAverage: { before: number; after: number };
  /**
   * How the bench process itself fared during the burst (sandbox and controller share it): CPU
   * seconds used, and event-loop delay. A starved process (busy machine) shows long delays; its
   * wall time then measures the machine, not the pacing: lower --time-scale.
   */
  process: { cpuSeconds: number; cpuPerRealSecond: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number };
  /** Pods annotated per simulated second between 20 % and 80 % of the burst (the sustained rate). */
  sustainedPodsPerSecond: number;
}

export function parseAllocArgs(argv: string[]): { options: AllocOptions; both: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pods: { type: 'string', default: '1000' },
      nodes: { type: 'string', default: '100' },
      'instance-type': { type: 'string', default: 'c5.4xlarge' },
      'time-scale': { type: 'string', default: '2' },
      pacing: { type: 'string', default: 'ours' },
      share: { type: 'string', default: '1' },
      'competing-share': { type: 'string', default: '0' },
      both: { type: 'boolean', default: false },
      'deadline-seconds': { type: 'string', default: '600' },
    },
  });
  const num = (flag: string, raw: string, ok: (n: number) => boolean, rule: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Error(`--${flag} "${raw}": expected ${rule}`);
    return n;
  };
  const pacing = values.pacing;
  if (pacing !== 'ours' && pacing !== 'reference') throw new Error(`--pacing "${pacing}": expected ours or reference`);
  const options: AllocOptions = {
    pods: num('pods', values.pods, (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1'),
    nodes: num('nodes', values.nodes, (n) => Number.isInteger(n) && n >= 1 && n <= 5000, 'a whole number in 1..5000'),
    instanceType: values['instance-type'],
    timeScale: num('time-scale', values['time-scale'], (n) => n > 0 && n <= 1000, 'a number in (0, 1000]'),
    pacing,
    share: num('share', values.share, (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
    competingShare: num('competing-share', values['competing-share'], (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    deadlineSeconds: num('deadline-seconds', values['deadline-seconds'], (n) => n > 0, 'a positive number of real seconds'),
  };
  return { options, both: values.both };
}

function pacingFor(o: AllocOptions): PacingConfig {
  const base = { ...defaultPacingConfig(), accountShare: o.share, timeScale: o.timeScale };
  return o.pacing === 'reference' ? { ...base, shared: { ...REFERENCE_PACING } } : base;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, deadlineMs: number, probe: () => boolean | Promise<boolean>, everyMs = 200): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(deadlineMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function podManifest(name: string): V1Pod {
  return {
    metadata: { name, namespace: NAMESPACE, labels: POD_LABELS },
    spec: {
      containers: [{ name: 'app', image: 'public.ecr.aws/docker/library/nginx:stable', resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } }],
    },
  };
}

async function startBenchController(sandbox: Sandbox, o: AllocOptions): Promise<RunningController> {
  const logger = process.env.LOG_LEVEL ? createLogger({ level: process.env.LOG_LEVEL as 'info' }) : silentLogger();
  const starter = sandboxControllerStarter({
    webhooks: false,
    health: false,
    podSide: o.pacing === 'reference' ? { podWorkers: REFERENCE_WORKERS } : {},
    ec2: { region: sandbox.region, pacing: pacingFor(o) },
    settings: {
      clusterName: sandbox.clusterName,
      region: sandbox.region,
      ...(o.pacing === 'reference' ? { eniPermissionAccountId: REFERENCE_PERMISSION_ACCOUNT } : {}),
    },
    logger,
  });
  const started = (await starter({
    kubeconfigPath: sandbox.kubeconfigPath,
    kubeConfig: sandbox.kubeConfigFor('controller'),
    ec2Endpoint: sandbox.ec2.endpoint,
    region: sandbox.region,
    clusterName: sandbox.clusterName,
    vpcId: sandbox.vpcId,
    customNetworking: false,
    logger,
  })) as { stop(): Promise<void>; controller: RunningController };
  return started.controller;
}

/** EC2 bucket of an action in the local EC2's `aws` profile. */
function bucketOf(action: string): { capacity: number; refillPerSecond: number } {
  const b = AWS_BUCKETS[action];
  if (!b) throw new Error(`no AWS bucket known for ${action}`);
  return b;
}

export async function runAlloc(o: AllocOptions): Promise<AllocResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-bench-alloc-'));
  const load0 = (await import('node:os')).loadavg()[0] ?? 0;
  const tSetup = performance.now();
  const sandbox = await startSandbox({
    nodes: `${o.instanceType}=${o.nodes}`,
    throttle: 'aws',
    timeScale: o.timeScale,
    kubeconfigPath: join(dir, 'kubeconfig'),
    retryUnschedulableMs: 2_000,
  });
  let controller: RunningController | undefined;
  try {
    const admin = sandbox.kubeConfigFor('admin');
    const core = admin.makeApiClient(CoreV1Api);
    const custom = admin.makeApiClient(CustomObjectsApi);
    const groupId = sandbox.ec2.defaults?.defaultSecurityGroup.groupId;
    if (!groupId) throw new Error('the local EC2 has no default security group');
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await custom.createNamespacedCustomObject({
      group: SGP_GROUP,
      version: SGP_VERSION,
      plural: SGP_PLURAL,
      namespace: NAMESPACE,
      body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name: 'bench', namespace: NAMESPACE }, spec: { podSelector: { matchLabels: POD_LABELS }, securityGroups: { groupIds: [groupId] } } },
    });

    controller = await startBenchController(sandbox, o);
    await until(`${o.nodes} nodes with a trunk and pod-eni capacity`, o.deadlineSeconds * 1000, async () => {
      const nodes = (await core.listNode()).items;
      return nodes.length === o.nodes && nodes.every((n) => n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true' && Number(n.status?.allocatable?.[RESOURCE_POD_ENI] ?? 0) > 0);
    }, 500);
    const capacity = Number((await core.listNode()).items[0]?.status?.allocatable?.[RESOURCE_POD_ENI] ?? 0) * o.nodes;
    if (capacity < o.pods) throw new Error(`${o.nodes} × ${o.instanceType} hold ${capacity} branch ENIs, fewer than --pods ${o.pods}: add nodes or pick a larger type`);
    const nodesAndTrunksRealSeconds = (performance.now() - tSetup) / 1000;

    // The trunk phase spent tokens: start the burst from full buckets (ours refill at 98 % of EC2's,
    // hence the extra tenth of a refill time after EC2's are full).
    const tRefill = performance.now();
    const refillRealMs = Math.max(...BURST_ACTIONS.map((a) => (bucketOf(a).capacity / bucketOf(a).refillPerSecond) * 1000)) / o.timeScale;
    await until('EC2 buckets to refill after the trunk phase', refillRealMs * 2 + 10_000, () => BURST_ACTIONS.every((a) => sandbox.ec2.control.bucketTokens(a) >= bucketOf(a).capacity - 0.5), 50);
    await sleep(refillRealMs * 0.1);
    const refillWaitRealSeconds = (performance.now() - tRefill) / 1000;

    const gw0 = controller.gateway.stats();
    const tokensAtStart = Object.fromEntries(BURST_ACTIONS.map((a) => [a, sandbox.ec2.control.bucketTokens(a)]));
    sandbox.ec2.control.resetCounters();
    const times = await watchPodTimes(admin, NAMESPACE);
    const competed: CompetitorAction[] = o.pacing === 'reference' ? [...COMPETITOR_ACTIONS] : ['CreateNetworkInterface', 'AssociateTrunkInterface'];
    const competitor =
      o.competingShare > 0
        ? startCompetitor({
            endpoint: sandbox.ec2.endpoint,
            region: sandbox.region,
            actions: Object.fromEntries(competed.map((a) => [a, bucketOf(a).refillPerSecond * o.competingShare * o.timeScale])),
          })
        : undefined;

    // The burst: every pod created as fast as the API server takes them (50 requests in flight).
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < o.pods; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, o.pods - i) }, (_, j) => core.createNamespacedPod({ namespace: NAMESPACE, body: podManifest(`pod-${String(i + j).padStart(5, '0')}`) })),
      );
    }
    const podCreateRealSeconds = (performance.now() - t0) / 1000;
    let completed = true;
    try {
      await until(`${o.pods} pods annotated`, o.deadlineSeconds * 1000, () => {
        if (times.error()) throw new Error(`pod watch failed: ${String(times.error())}`);
        return times.annotatedCount() >= o.pods;
      }, 50);
    } catch (err) {
      completed = false;
      console.error(err instanceof Error ? err.message : String(err));
    }
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const competitorCounts = await competitor?.stop();
    times.stop();
    const counters = sandbox.ec2.control.counterSnapshot();
    const gw1 = controller.gateway.stats();

    // The controller's calls: what EC2 counted in the burst minus what the competitor sent.
    const calls: AllocResult['calls'] = {};
    for (const [action, c] of Object.entries(counters)) {
      const other = competitorCounts?.[action];
      const mine = { calls: c.calls - (other?.sent ?? 0), throttled: c.throttled - (other?.throttled ?? 0), errors: c.errors - (other ? other.sent - other.throttled : 0) };
      if (mine.calls > 0) calls[action] = mine;
    }
    const gatewayCalls: AllocResult['gatewayCalls'] = {};
    for (const [action, s] of Object.entries(gw1)) {
      const before = gw0[action] ?? { calls: 0, throttles: 0 };
      if (s.calls - before.calls > 0) gatewayCalls[action] = { calls: s.calls - before.calls, throttles: s.throttles - before.throttles };
    }

    const entries = [...times.entries().values()];
    const annotatedAt = entries.map((t) => t.annotatedAt).filter((t): t is number => t !== undefined);
    const tta = entries.filter((t) => t.annotatedAt !== undefined && t.scheduledAt !== undefined).map((t) => ((t.annotatedAt as number) - (t.scheduledAt as number)) / 1000);
    const sched = entries.filter((t) => t.scheduledAt !== undefined).map((t) => ((t.scheduledAt as number) - t0) / 1000);
    const sortedAnn = [...annotatedAt].sort((x, y) => x - y);
    const at = (q: number): number => sortedAnn[Math.min(sortedAnn.length - 1, Math.floor(q * sortedAnn.length))] ?? t0;
    const sustained = sortedAnn.length >= 10 ? (0.6 * sortedAnn.length) / (((at(0.8) - at(0.2)) / 1000) * o.timeScale) : 0;
    const wallReal = ((completed ? Math.max(...annotatedAt) : performance.now()) - t0) / 1000;

    const demand: Record<string, ActionDemand> = {};
    for (const [action, c] of Object.entries(calls)) {
      if (!AWS_BUCKETS[action]) continue;
      demand[action] = {
        calls: c.calls - c.throttled,
        tokensAtStart: tokensAtStart[action] ?? sandbox.ec2.control.bucketTokens(action),
        refillPerSecond: bucketOf(action).refillPerSecond,
        competingShare: competitorCounts?.[action] ? o.competingShare : 0,
      };
    }
    // Efficiency against what the competitor really left (its admitted calls), and the nominal share.
    const nominal = bucketBound(demand);
    const b = bucketBound(
      Object.fromEntries(
        Object.entries(demand).map(([a, d]) => {
          const other = competitorCounts?.[a];
          return [a, other ? { ...d, otherCalls: other.sent - other.throttled } : d];
        }),
      ),
    );
    const chainSeconds = (tta.length > 0 ? Math.min(...tta) : 0) * o.timeScale;
    const boundSeconds = b.seconds + chainSeconds;
    const wallSeconds = wallReal * o.timeScale;
    const totalCalls = Object.values(calls).reduce((n, c) => n + c.calls, 0);
    const throttled = Object.values(calls).reduce((n, c) => n + c.throttled, 0);
    const mutating = ['CreateNetworkInterface', 'AssociateTrunkInterface', 'CreateNetworkInterfacePermission'].reduce((n, a) => n + (calls[a]?.calls ?? 0) - (calls[a]?.throttled ?? 0), 0);
    return {
      bench: 'alloc',
      date: new Date().toISOString(),
      node: process.version,
      options: o,
      completed,
      annotated: annotatedAt.length,
      wall: { simulatedSeconds: round(wallSeconds, 2), realSeconds: round(wallReal, 2) },
      bound: {
        simulatedSeconds: round(boundSeconds, 2),
        bucketSeconds: round(b.seconds, 2),
        nominalBucketSeconds: round(nominal.seconds, 2),
        chainSeconds: round(chainSeconds, 3),
        limitingAction: b.limitingAction,
        perActionSeconds: Object.fromEntries(Object.entries(b.perAction).map(([k, v]) => [k, round(v, 2)])),
      },
      efficiency: round(completed ? boundSeconds / wallSeconds : 0, 3),
      callsPerPod: Object.fromEntries(Object.entries(calls).map(([a, c]) => [a, round(c.calls / o.pods, 3)])),
      calls,
      mutatingCallsPerPod: round(mutating / o.pods, 3),
      totalCallsPerPod: round(totalCalls / o.pods, 3),
      throttledCalls: throttled,
      throttledFraction: round(throttled / Math.max(1, totalCalls), 4),
      tokensAtStart: Object.fromEntries(Object.entries(tokensAtStart).map(([k, v]) => [k, round(v, 1)])),
      competitor: competitorCounts,
      gatewayCalls,
      timeToAnnotation: {
        p50: round(percentile(tta, 0.5) * o.timeScale, 2),
        p99: round(percentile(tta, 0.99) * o.timeScale, 2),
        max: round(percentile(tta, 1) * o.timeScale, 2),
        realP50: round(percentile(tta, 0.5), 3),
        realP99: round(percentile(tta, 0.99), 3),
      },
      scheduledAfterStart: { p50: round(percentile(sched, 0.5) * o.timeScale, 2), max: round(percentile(sched, 1) * o.timeScale, 2) },
      setup: { nodesAndTrunksRealSeconds: round(nodesAndTrunksRealSeconds, 1), refillWaitRealSeconds: round(refillWaitRealSeconds, 1), podCreateRealSeconds: round(podCreateRealSeconds, 2) },
      process: {
        cpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
        cpuPerRealSecond: round((cpu.user + cpu.system) / 1e6 / wallReal, 2),
        eventLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 1),
        eventLoopDelayMaxMs: round(loop.max / 1e6, 1),
      },
      sustainedPodsPerSecond: round(sustained, 2),
      loadAverage: { before: round(load0, 2), after: round((await import('node:os')).loadavg()[0] ?? 0, 2) },
    };
  } finally {
    await controller?.stop().catch(() => undefined);
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function summary(r: AllocResult): string {
  const o = r.options;
  return (
    `${o.pacing} share=${o.share} competing=${o.competingShare}: ${r.completed ? '' : 'INCOMPLETE '}wall ${r.wall.simulatedSeconds} s ` +
    `(real ${r.wall.realSeconds} s), bound ${r.bound.simulatedSeconds} s, efficiency ${r.efficiency}, ` +
    `calls/pod ${r.totalCallsPerPod} (mutating ${r.mutatingCallsPerPod}), throttled ${r.throttledCalls} (${round(r.throttledFraction * 100, 2)} %), ` +
    `time to annotation p50 ${r.timeToAnnotation.p50} s p99 ${r.timeToAnnotation.p99} s`
  );
}

export async function main(argv: string[]): Promise<void> {
  const { options, both } = parseAllocArgs(argv);
  const runs: Pacing[] = both ? ['ours', 'reference'] : [options.pacing];
  const results: AllocResult[] = [];
  const out = join(process.cwd(), 'test/bench/results');
  mkdirSync(out, { recursive: true });
  for (const pacing of runs) {
    const r = await runAlloc({ ...options, pacing });
    results.push(r);
    console.log(summary(r));
    const tag = options.competingShare > 0 ? `${pacing}-competing-${options.competingShare}` : pacing;
    writeFileSync(join(out, `alloc-${tag}-${r.date.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(r, null, 2)}\n`);
  }
  const [ours, reference] = results;
  const doc =
    both && ours && reference
      ? { bench: 'alloc', date: new Date().toISOString(), runs: results, referenceOverOursWallRatio: round(reference.wall.simulatedSeconds / ours.wall.simulatedSeconds, 3) }
      : results[0];
  if (both && ours && reference) console.log(`reference / ours wall time: ${round(reference.wall.simulatedSeconds / ours.wall.simulatedSeconds, 3)}`);
  writeFileSync(join(out, 'alloc-latest.json'), `${JSON.stringify(doc, null, 2)}\n`);
  if (results.some((r) => !r.completed)) process.exitCode = 1;
}
