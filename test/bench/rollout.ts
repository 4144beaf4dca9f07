// Rollout benchmark (issue 14): a rolling replacement of N running matched pods on M nodes under
// AWS's EC2 buckets, with warm branch ENI reuse and without it.
//
//   npm run bench -- rollout [--pods 300] [--nodes 30] [--time-scale 4] [--cooldown-seconds 30]
//                            [--instance-type c5.4xlarge] [--deadline-seconds 900] [--min-warm K]
//
// Per mode (reuse on, then reuse off), a fresh sandbox (`aws` throttle profile, refilling and
// delaying --time-scale times faster), the real controller (webhooks off: the pods carry the
// pod-eni request), one SecurityGroupPolicy:
// 1. cold: N pods created at once on full buckets → coldPodsPerSecond (the same run's cold rate);
// 2. rollout, in waves of ceil(25 % N) like a Deployment with maxSurge 25 %: each wave deletes its
//    old pods and creates their successors (on the same node), and waits until every successor is
//    annotated → podsPerSecond = N / rollout wall;
// 3. settle: until no ENI is cooling (releases done) → mutating EC2 calls of the rollout, per pod.
// With reuse on the controller keeps ENIs warm after the cooldown and a successor may wait up to
// the cooldown + 5 s for a cooling ENI of its groups on its node (--branch-eni-reuse-wait); the warm
// ENIs left at the end would cost 2 calls each at expiry, reported as well.
//
// With --min-warm K (reuse on only) the controller keeps K warm (or cooling) ENIs per node for the
// group set (--branch-eni-min-warm, created in the background pool); after the cold burst the bench
// waits until every node's pool is full (K, or what the trunk's branch limit leaves: limit − pods − 1)
// before the rollout, and reports the top-ups (before and during the rollout, from the controller's
// vpcrc_branch_eni_warm_topups_total) apart from the rollout's mutating calls.
//
// Times are simulated seconds (real × time scale, the clock EC2's buckets run on); the cooldown is
// given in simulated seconds and set in the ConfigMap as real seconds (rounded, at least 1).
// Writes test/bench/results/rollout-<timestamp>.json and rollout-latest.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  LABEL_HAS_TRUNK_ATTACHED,
  RESOURCE_POD_ENI,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_VERSION,
} from '../../src/apis/constants.js';
import { defaultPacingConfig } from '../../src/aws/pacing-config.js';
import { sandboxControllerStarter } from '../../src/cli/sandbox-controller.js';
import type { RunningController } from '../../src/controllers/controller.js';
import { decodePodEniAnnotation } from '../../src/domain/pod-eni-annotation.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { AWS_BUCKETS } from '../../src/sim/ec2/index.js';
import { startSandbox, type Sandbox } from '../../src/sim/sandbox/index.js';
import { percentile, round } from './lib/alloc-math.js';
import { watchPodTimes, type PodTimesWatch } from './lib/pod-times.js';

export interface RolloutOptions {
  pods: number;
  nodes: number;
  instanceType: string;
  timeScale: number;
  /** Simulated seconds. */
  cooldownSeconds: number;
  deadlineSeconds: number;
  /** Warm ENIs per node and group set the controller keeps in reuse mode (0 = off). */
  minWarm: number;
}

const NAMESPACE = 'rollout-bench';
const LABELS = { app: 'rollout-bench' };
const MUTATING = [
  'CreateNetworkInterface',
  'DeleteNetworkInterface',
  'AssociateTrunkInterface',
  'DisassociateTrunkInterface',
  'ModifyNetworkInterfaceAttribute',
  'CreateNetworkInterfacePermission',
  'CreateTags',
  'DeleteTags',
];
const BURST_ACTIONS = ['CreateNetworkInterface', 'AssociateTrunkInterface', 'DeleteNetworkInterface', 'DisassociateTrunkInterface'];
const WARM_REAL_SECONDS = 3_600;

export interface ModeResult {
  reuse: boolean;
  completed: boolean;
  coldPodsPerSecond: number;
  podsPerSecond: number;
  rolloutSimulatedSeconds: number;
  coldSimulatedSeconds: number;
  mutatingCallsPerPod: number;
  /** Plus 2 calls (disassociate + delete) for every warm ENI left at the end, due at its expiry. */
  mutatingCallsPerPodWithWarmExpiry: number;
  mutatingCalls: Record<string, number>;
  reuseHitRate: number;
  warmAtEnd: number;
  timeToAnnotation: { p50: number; p99: number; max: number };
  throttledCalls: number;
  /** Most pods the cold burst put on one node (the warm minimum serves up to K per node). */
  maxPodsPerNode: number;
  /** With --min-warm: the warm top-ups, apart from the rollout's calls. */
  topUps?: {
    minWarm: number;
    /** Top-ups created before the rollout started (each cost a create and an associate). */
    beforeRollout: number;
    /** Their mutating EC2 calls: a create and an associate each (failed ones are counted in `failed`). */
    callsBeforeRollout: number;
    /** Simulated seconds from the last cold pod annotated until every node's pool was full. */
    fillSimulatedSeconds: number;
    /** Top-ups created during the rollout and its settle (included in mutatingCalls). */
    duringRollout: number;
    failed: number;
  };
}

export interface RolloutResult {
  bench: 'rollout';
  date: string;
  node: string;
  options: RolloutOptions & { cooldownRealSeconds: number; waveSize: number; waves: number; successorsOnSameNode: true; reuseWaitRealSeconds: number };
  reuse: ModeResult;
  noReuse: ModeResult;
  speedupOverCold: number;
  targets: { podsPerSecondAtLeast4xCold: boolean; mutatingCallsPerPodAtMost0_2: boolean; p99UnderCooldownPlus5s: boolean };
  loadAverage: { before: number; after: number };
}

export function parseRolloutArgs(argv: string[]): RolloutOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pods: { type: 'string', default: '300' },
      nodes: { type: 'string', default: '30' },
      'instance-type': { type: 'string', default: 'c5.4xlarge' },
      'time-scale': { type: 'string', default: '4' },
      'cooldown-seconds': { type: 'string', default: '30' },
      'deadline-seconds': { type: 'string', default: '900' },
      'min-warm': { type: 'string', default: '0' },
    },
  });
  const num = (flag: string, raw: string, ok: (n: number) => boolean, rule: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new Error(`--${flag} "${raw}": expected ${rule}`);
    return n;
  };
  return {
    pods: num('pods', values.pods, (n) => Number.isInteger(n) && n >= 4, 'a whole number ≥ 4'),
    nodes: num('nodes', values.nodes, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number in 1..1000'),
    instanceType: values['instance-type'],
    timeScale: num('time-scale', values['time-scale'], (n) => n > 0 && n <= 100, 'a number in (0, 100]'),
    cooldownSeconds: num('cooldown-seconds', values['cooldown-seconds'], (n) => n > 0, 'a positive number of simulated seconds'),
    deadlineSeconds: num('deadline-seconds', values['deadline-seconds'], (n) => n > 0, 'a positive number of real seconds'),
    minWarm: num('min-warm', values['min-warm'], (n) => Number.isInteger(n) && n >= 0 && n <= 120, 'a whole number of warm ENIs per node in 0..120'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, deadlineMs: number, probe: () => boolean | Promise<boolean>, everyMs = 100): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(deadlineMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function podManifest(name: string, nodeName?: string): V1Pod {
  return {
    metadata: { name, namespace: NAMESPACE, labels: LABELS },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'app', image: 'public.ecr.aws/docker/library/nginx:stable', resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } }],
    },
  };
}

function eniOf(pod: V1Pod | undefined): string | undefined {
  const raw = pod?.metadata?.annotations?.[ANNOTATION_POD_ENI];
  if (!raw) return undefined;
  const d = decodePodEniAnnotation(raw);
  return d.ok ? d.value[0]?.eniId : undefined;
}

async function refill(sandbox: Sandbox, o: RolloutOptions): Promise<void> {
  const b = (a: string) => AWS_BUCKETS[a] as { capacity: number; refillPerSecond: number };
  const ms = Math.max(...BURST_ACTIONS.map((a) => (b(a).capacity / b(a).refillPerSecond) * 1000)) / o.timeScale;
  await until('EC2 buckets to refill', ms * 2 + 10_000, () => BURST_ACTIONS.every((a) => sandbox.ec2.control.bucketTokens(a) >= b(a).capacity - 0.5), 50);
  await sleep(ms * 0.1);
}

async function runMode(o: RolloutOptions, reuse: boolean, cooldownReal: number, waveSize: number): Promise<ModeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-bench-rollout-'));
  const sandbox = await startSandbox({ nodes: `${o.instanceType}=${o.nodes}`, throttle: 'aws', timeScale: o.timeScale, kubeconfigPath: join(dir, 'kubeconfig'), retryUnschedulableMs: 1_000 });
  let controller: RunningController | undefined;
  let times: PodTimesWatch | undefined;
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
      body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name: 'bench', namespace: NAMESPACE }, spec: { podSelector: { matchLabels: LABELS }, securityGroups: { groupIds: [groupId] } } },
    });
    await core.patchNamespacedConfigMap(
      { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: String(cooldownReal) } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const logger = process.env.LOG_LEVEL ? createLogger({ level: process.env.LOG_LEVEL as 'info' }) : silentLogger();
    const starter = sandboxControllerStarter({
      webhooks: false,
      health: false,
      policies: { status: false },
      ec2: { region: sandbox.region, pacing: { ...defaultPacingConfig(), timeScale: o.timeScale } },
      settings: {
        clusterName: sandbox.clusterName,
        region: sandbox.region,
        minCooldownSeconds: 1,
        branchEniWarmSeconds: reuse ? WARM_REAL_SECONDS : 0,
        branchEniReuseWaitSeconds: reuse ? cooldownReal + 5 : 0,
        ...(reuse && o.minWarm > 0 ? { branchEniMinWarm: o.minWarm, branchEniMinWarmWindowSeconds: WARM_REAL_SECONDS } : {}),
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
    })) as unknown as { controller: RunningController };
    controller = started.controller;
    const c = controller;
    await until(`${o.nodes} nodes with a trunk`, o.deadlineSeconds * 1000, async () => {
      const nodes = (await core.listNode()).items;
      return nodes.length === o.nodes && nodes.every((n) => n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true' && Number(n.status?.allocatable?.[RESOURCE_POD_ENI] ?? 0) > 0);
    }, 500);
    await refill(sandbox, o);
    times = await watchPodTimes(admin, NAMESPACE);
    const t = times;
    const names = Array.from({ length: o.pods }, (_, i) => `old-${String(i).padStart(5, '0')}`);

    // 1. The cold burst.
    const tCold = performance.now();
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => core.createNamespacedPod({ namespace: NAMESPACE, body: podManifest(n) })));
    await until('the cold pods annotated', o.deadlineSeconds * 1000, () => t.annotatedCount() >= o.pods, 50);
    const coldReal = (Math.max(...[...t.entries().values()].map((e) => e.annotatedAt ?? 0)) - tCold) / 1000;
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items;
    const nodeOf = new Map(pods.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? '']));
    const podsPerNode = new Map<string, number>();
    for (const n of nodeOf.values()) podsPerNode.set(n, (podsPerNode.get(n) ?? 0) + 1);
    const maxPodsPerNode = Math.max(0, ...podsPerNode.values());

    // 1b. With a warm minimum: wait until every node's pool is full (what the branch limit leaves).
    const topUpCount = async (result: string): Promise<number> => {
      const m = c.ctx.registry.getSingleMetric('vpcrc_branch_eni_warm_topups_total');
      const v = m ? (await m.get()).values.find((x) => x.labels.result === result)?.value : undefined;
      return v ?? 0;
    };
    let fillReal = 0;
    if (reuse && o.minWarm > 0) {
      const tFill = performance.now();
      const coldEnd = Math.max(...[...t.entries().values()].map((e) => e.annotatedAt ?? 0));
      await until('every node warm pool full', o.deadlineSeconds * 1000, () =>
        [...podsPerNode].every(([n, pods]) => {
          const st = c.podSide()?.nodeState(n);
          return st !== undefined && st.counts().warm >= Math.min(o.minWarm, st.branchLimit - pods - 1);
        }),
      200);
      fillReal = (performance.now() - Math.min(tFill, coldEnd)) / 1000;
    }
    const topUpsBefore = await topUpCount('created');

    // 2. The rollout, from full buckets again.
    await refill(sandbox, o);
    sandbox.ec2.control.resetCounters();
    // A successor reused an ENI when it got one that existed before the rollout: an old pod's, or
    // a warm top-up's.
    const oldEnis = new Set(sandbox.ec2.world.listEnis().map((e) => e.networkInterfaceId));
    const t0 = performance.now();
    let completed = true;
    const successors: string[] = [];
    try {
      for (let w = 0; w < names.length; w += waveSize) {
        const wave = names.slice(w, w + waveSize);
        const next = wave.map((n) => n.replace('old-', 'new-'));
        successors.push(...next);
        await Promise.all([
          ...wave.map((n) => core.deleteNamespacedPod({ namespace: NAMESPACE, name: n, gracePeriodSeconds: 0 })),
          ...wave.map((n, i) => core.createNamespacedPod({ namespace: NAMESPACE, body: podManifest(next[i] as string, nodeOf.get(n)) })),
        ]);
        await until(`wave ${w / waveSize + 1} annotated`, o.deadlineSeconds * 1000, () => next.every((n) => t.entries().get(n)?.annotatedAt !== undefined), 50);
      }
    } catch (err) {
      completed = false;
      console.error(err instanceof Error ? err.message : String(err));
    }
    const entries = successors.map((n) => t.entries().get(n));
    const rolloutReal = (Math.max(...entries.map((e) => e?.annotatedAt ?? performance.now())) - t0) / 1000;
    const tta = entries.filter((e) => e?.annotatedAt !== undefined && e.scheduledAt !== undefined).map((e) => (((e?.annotatedAt as number) - (e?.scheduledAt as number)) / 1000) * o.timeScale);
    const after = (await core.listNamespacedPod({ namespace: NAMESPACE })).items;
    const reused = after.filter((p) => p.metadata?.name?.startsWith('new-') && oldEnis.has(eniOf(p) ?? '')).length;

    // 3. Settle: every old ENI deleted or warm.
    await until('releases to settle', o.deadlineSeconds * 1000, () => c.ctx.informers.pods.hasSynced() && (c.podSide()?.pendingReleases().length ?? 0) === 0, 200).catch((err: unknown) => {
      completed = false;
      console.error(err instanceof Error ? err.message : String(err));
    });
    const counters = sandbox.ec2.control.counterSnapshot();
    const mutatingCalls: Record<string, number> = {};
    let mutating = 0;
    let throttled = 0;
    for (const [action, cnt] of Object.entries(counters)) {
      throttled += cnt.throttled;
      if (!MUTATING.includes(action)) continue;
      const ok = cnt.calls - cnt.throttled;
      if (ok > 0) mutatingCalls[action] = ok;
      mutating += ok;
    }
    const topUps = reuse && o.minWarm > 0
      ? {
          minWarm: o.minWarm,
          beforeRollout: topUpsBefore,
          callsBeforeRollout: 2 * topUpsBefore,
          fillSimulatedSeconds: round(fillReal * o.timeScale, 2),
          duringRollout: (await topUpCount('created')) - topUpsBefore,
          failed: await topUpCount('failed'),
        }
      : undefined;
    const warmAtEnd = after.map((p) => p.spec?.nodeName ?? '').filter((n, i, all) => n !== '' && all.indexOf(n) === i).reduce((sum, n) => sum + (c.podSide()?.nodeState(n)?.counts().warm ?? 0), 0);
    return {
      reuse,
      completed,
      coldPodsPerSecond: round(o.pods / (coldReal * o.timeScale), 2),
      podsPerSecond: round(o.pods / (rolloutReal * o.timeScale), 2),
      rolloutSimulatedSeconds: round(rolloutReal * o.timeScale, 2),
      coldSimulatedSeconds: round(coldReal * o.timeScale, 2),
      mutatingCallsPerPod: round(mutating / o.pods, 3),
      mutatingCallsPerPodWithWarmExpiry: round((mutating + 2 * warmAtEnd) / o.pods, 3),
      mutatingCalls,
      reuseHitRate: round(reused / o.pods, 3),
      warmAtEnd,
      timeToAnnotation: { p50: round(percentile(tta, 0.5), 2), p99: round(percentile(tta, 0.99), 2), max: round(Math.max(0, ...tta), 2) },
      throttledCalls: throttled,
      maxPodsPerNode,
      ...(topUps ? { topUps } : {}),
    };
  } finally {
    times?.stop();
    await controller?.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runRollout(o: RolloutOptions): Promise<RolloutResult> {
  const load0 = loadavg()[0] ?? 0;
  const cooldownReal = Math.max(1, Math.round(o.cooldownSeconds / o.timeScale));
  const waveSize = Math.ceil(o.pods * 0.25);
  const reuse = await runMode(o, true, cooldownReal, waveSize);
  const noReuse = await runMode(o, false, cooldownReal, waveSize);
  const cooldownSim = cooldownReal * o.timeScale;
  return {
    bench: 'rollout',
    date: new Date().toISOString(),
    node: process.version,
    options: { ...o, cooldownRealSeconds: cooldownReal, waveSize, waves: Math.ceil(o.pods / waveSize), successorsOnSameNode: true, reuseWaitRealSeconds: cooldownReal + 5 },
    reuse,
    noReuse,
    speedupOverCold: round(reuse.podsPerSecond / reuse.coldPodsPerSecond, 2),
    targets: {
      podsPerSecondAtLeast4xCold: reuse.podsPerSecond >= 4 * reuse.coldPodsPerSecond,
      mutatingCallsPerPodAtMost0_2: reuse.mutatingCallsPerPod <= 0.2,
      p99UnderCooldownPlus5s: reuse.timeToAnnotation.p99 < cooldownSim + 5,
    },
    loadAverage: { before: round(load0, 2), after: round(loadavg()[0] ?? 0, 2) },
  };
}

export async function main(argv: string[]): Promise<void> {
  const o = parseRolloutArgs(argv);
  const result = await runRollout(o);
  const dir = join(process.cwd(), 'test', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(result, null, 2) + '\n';
  writeFileSync(join(dir, `rollout-${result.date.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'rollout-latest.json'), json);
  console.log(json);
}
