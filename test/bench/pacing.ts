// EC2 pacing benchmark: the gateway alone against the local EC2's AWS buckets, and next to a
// competing client that spends a share of the same buckets.
//   npm run bench -- pacing [--pods 300] [--time-scale 10] [--share 1] [--competing-share 0.5]
// Each "pod" is one branch ENI: CreateNetworkInterface then AssociateTrunkInterface (pod-start
// priority), all started at once. Figures are in EC2 time (real time × time scale).
// bound = the least time EC2's buckets allow for the calls made (per action: calls beyond a full
// bucket at the refill rate the competitor leaves); efficiency = bound / wall. `reference` runs the
// same calls through one 12/s, burst-18 bucket shared by all actions (the reference controller's
// limiter; our throttle response still applies, so it approximates the reference, which would
// keep pushing through SDK retries).
// Writes test/bench/results/pacing-<timestamp>.json and pacing-latest.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalEc2 } from '../../src/sim/ec2/index.js';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { Ec2Gateway } from '../../src/aws/gateway.js';
import { defaultPacingConfig, REFERENCE_PACING } from '../../src/aws/pacing-config.js';
import { AWS_BUCKETS } from '../../src/aws/budgets.js';
import { round } from './lib/alloc-math.js';
import { startCompetitor } from './lib/competitor.js';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, '..', '..', '..', 'test', 'bench', 'results');
const BRANCHES_PER_TRUNK = 120; // m5.metal

function flag(argv: string[], name: string, def: number, allowZero = false): number {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : def;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  return v;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface ScenarioResult {
  scenario: string;
  pods: number;
  share: number;
  competingShare: number;
  pacing: 'ours' | 'reference';
  wallSeconds: number;
  boundSeconds: number;
  efficiency: number;
  callsPerPod: Record<string, number>;
  throttledCalls: number;
  throttledFraction: number;
  podSeconds: { p50: number; p99: number; max: number };
  failures: number;
}

async function scenario(opts: { pods: number; timeScale: number; share: number; competingShare: number; pacing: 'ours' | 'reference' }): Promise<ScenarioResult> {
  const { pods, timeScale, share, competingShare } = opts;
  const ec2 = await startLocalEc2({ throttle: 'aws', timeScale });
  try {
    const subnetId = ec2.defaults!.subnets[0]!.subnetId;
    const sg = ec2.defaults!.defaultSecurityGroup.groupId;
    // Trunks on m5.metal instances, set up before the clock starts, then fresh buckets.
    const setup = new Ec2Gateway({ client: createEc2Client({ region: ec2.region, endpoint: ec2.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), config: { ...defaultPacingConfig(), accountShare: 1, timeScale } });
    const trunks: string[] = [];
    for (let i = 0; i < Math.ceil(pods / BRANCHES_PER_TRUNK); i++) {
      const [inst] = ec2.world.runInstances({ imageId: 'ami-0123456789abcdef0', instanceType: 'm5.metal', subnetId, minCount: 1, maxCount: 1 });
      const trunk = await setup.createNetworkInterface({ SubnetId: subnetId, Groups: [sg], InterfaceType: 'trunk' }, { priority: 'trunk', purpose: ['bench-trunk', String(i)] });
      await setup.attachNetworkInterface({ NetworkInterfaceId: trunk.NetworkInterfaceId!, InstanceId: inst!.instanceId, DeviceIndex: 1 }, { priority: 'trunk' });
      trunks.push(trunk.NetworkInterfaceId!);
    }
    await setup.close();
    ec2.control.setThrottle('aws');
    ec2.control.resetCounters();

    // Spends `competingShare` of the Create and Associate buckets with calls EC2 rejects after metering them.
    const competitor =
      competingShare > 0
        ? startCompetitor({
            endpoint: ec2.endpoint,
            region: ec2.region,
            actions: {
              CreateNetworkInterface: AWS_BUCKETS.CreateNetworkInterface.refillPerSecond * competingShare * timeScale,
              AssociateTrunkInterface: AWS_BUCKETS.AssociateTrunkInterface.refillPerSecond * competingShare * timeScale,
            },
          })
        : undefined;
    const gw = new Ec2Gateway({
      client: createEc2Client({ region: ec2.region, endpoint: ec2.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      config: { ...defaultPacingConfig(), accountShare: share, timeScale, ...(opts.pacing === 'reference' ? { shared: REFERENCE_PACING } : {}) },
    });
    const t0 = performance.now();
    const podSeconds: number[] = [];
    let failures = 0;
    await Promise.all(
      Array.from({ length: pods }, async (_, i) => {
        try {
          const eni = await gw.createNetworkInterface({ SubnetId: subnetId, Groups: [sg] }, { priority: 'pod-start', purpose: ['bench', String(i)] });
          await gw.associateTrunkInterface(
            { BranchInterfaceId: eni.NetworkInterfaceId!, TrunkInterfaceId: trunks[Math.floor(i / BRANCHES_PER_TRUNK)]!, VlanId: (i % BRANCHES_PER_TRUNK) + 1 },
            { priority: 'pod-start', purpose: ['bench-assoc', String(i)] },
          );
          podSeconds.push(((performance.now() - t0) / 1000) * timeScale);
        } catch {
          failures++;
        }
      }),
    );
    const wallSeconds = ((performance.now() - t0) / 1000) * timeScale;
    await competitor?.stop();
    const stats = gw.stats();
    await gw.close();

    // What EC2's buckets allow us: per action, the calls beyond a full bucket at the refill rate the
    // competitor leaves (the bucket starts full, and the competitor spends only its rate).
    const left = 1 - competingShare;
    const boundFor = (action: 'CreateNetworkInterface' | 'AssociateTrunkInterface'): number => {
      const b = AWS_BUCKETS[action];
      return Math.max(0, pods - b.capacity) / (b.refillPerSecond * left);
    };
    const boundSeconds = Math.max(boundFor('CreateNetworkInterface'), boundFor('AssociateTrunkInterface'));
    const calls = Object.values(stats).reduce((n, s) => n + s.calls, 0);
    const throttled = Object.values(stats).reduce((n, s) => n + s.throttles, 0);
    podSeconds.sort((a, b) => a - b);
    return {
      scenario: `${opts.pacing} share=${share} competing=${competingShare}`,
      pods,
      share,
      competingShare,
      pacing: opts.pacing,
      wallSeconds: round(wallSeconds),
      boundSeconds: round(boundSeconds),
      efficiency: round(boundSeconds / wallSeconds),
      callsPerPod: Object.fromEntries(Object.entries(stats).map(([a, s]) => [a, round(s.calls / pods)])),
      throttledCalls: throttled,
      throttledFraction: round(throttled / Math.max(1, calls), 4),
      podSeconds: { p50: round(quantile(podSeconds, 0.5)), p99: round(quantile(podSeconds, 0.99)), max: round(podSeconds.at(-1) ?? 0) },
      failures,
    };
  } finally {
    await ec2.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  const pods = flag(argv, 'pods', 300);
  const timeScale = flag(argv, 'time-scale', 10);
  const share = flag(argv, 'share', 1);
  const competingShare = flag(argv, 'competing-share', 0.5, true);
  if (share > 1 || competingShare >= 1) throw new Error('--share must be ≤ 1 and --competing-share < 1');
  const results: ScenarioResult[] = [];
  for (const s of [
    { pacing: 'ours' as const, competingShare: 0 },
    { pacing: 'ours' as const, competingShare },
    { pacing: 'reference' as const, competingShare: 0 },
  ]) {
    if (s.competingShare === 0 && results.some((r) => r.pacing === s.pacing && r.competingShare === 0)) continue;
    const r = await scenario({ pods, timeScale, share, ...s });
    console.log(JSON.stringify(r));
    results.push(r);
  }
  const out = { bench: 'pacing', at: new Date().toISOString(), timeScale, node: process.version, results };
  await mkdir(resultsDir, { recursive: true });
  const stamp = out.at.replace(/[:.]/g, '-');
  await writeFile(join(resultsDir, `pacing-${stamp}.json`), JSON.stringify(out, null, 2) + '\n');
  await writeFile(join(resultsDir, 'pacing-latest.json'), JSON.stringify(out, null, 2) + '\n');
}
