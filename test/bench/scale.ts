// Scale bench: one controller over a large cluster. Measures its memory empty and loaded, how long a
// restart (SIGKILL) takes until it has rebuilt every node's branch state and allocates for a new
// pod, the EC2 calls that restart spends, and webhook latency at a fixed review rate.
//
//   npm run bench -- scale --nodes N --pods P --matched M [--time-scale X] [--type m5.xlarge]
//                          [--namespaces K] [--review-rate 500] [--review-seconds 10] [--heap-snapshot]
//                          [--controller-args "--flag value …"] [--node-options "--v8-flag …"]
//
// How the cluster is built (printed as it goes, and said again in the JSON's `build`):
// - The sandbox (local EC2 with AWS's token buckets scaled by --time-scale, local Kubernetes, node
//   agents) runs in this process; the controller runs as its own process (`vpcrc controller`), so
//   its memory is its own (VmRSS/VmHWM from /proc) and its EC2 calls come from its /metrics.
// - The controller starts on an empty cluster (baseline), then N nodes join and the controller
//   creates, attaches and advertises their trunks itself.
// - P pods are created in the local API server in-process (the same admission, validation,
//   storage and watch events as a POST, without the HTTP round trip and client serialization that
//   would dominate at 100,000 pods), already bound to nodes (as the scheduler would have), in K
//   namespaces each with a SecurityGroupPolicy selecting `sg=yes`. Each gets the Running status a
//   kubelet would report, written in-process too; the node agents stop once the trunks are
//   advertised (rewriting 100,000 statuses over HTTP would take longer than everything else). The M matched pods
//   request pod-eni and hold a branch ENI. Creating 10,000s of branch ENIs through EC2's buckets
//   would take hours at time scale 1, so their ENIs are seeded in the local EC2 directly with
//   exactly what the controller leaves behind (its tags, an association with a free VLAN of the
//   node's trunk), and each pod is created with the pod-eni annotation pointing at its ENI; the
//   pod UID tag is added once the API server has assigned the UID. That is the state a real
//   cluster is in after the controller allocated for those pods.
// - Node heartbeats every 5 minutes: kubelet renews a Lease every 10 s but writes Node status only
//   on change or every nodeStatusReportFrequency (5 min); the sandbox has no Lease, so its
//   heartbeat stands for the status report.
// Writes test/bench/results/scale-<timestamp>.json and scale-latest.json.
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  BRANCH_ENI_DESCRIPTION,
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_COOLDOWN,
  MIN_BRANCH_ENI_COOLDOWN_SECONDS,
  RESOURCE_POD_ENI,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_VERSION,
  TAG_POD_UID,
} from '../../src/apis/constants.js';
import { branchTags } from '../../src/controllers/pod/branch-eni-ops.js';
import { encodePodEniAnnotation } from '../../src/domain/pod-eni-annotation.js';
import { startSandbox, type Sandbox } from '../../src/sim/sandbox/sandbox.js';
import {
  cpuSeconds,
  ec2Calls,
  flag,
  metricValue,
  peakRssMiB,
  positive,
  repoRoot,
  rssMiB,
  startControllerProcess,
  type ControllerProcess,
} from './lib/controller-process.js';
import { summariseHeapSnapshot } from './lib/heap-summary.js';
import { reviewsFromOwnProcess } from './lib/review-sender.js';

const t00 = Date.now();
function progress(msg: string): void {
  console.error(`[scale ${((Date.now() - t00) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Retries a call a few times: a busy local API server may reset a keep-alive connection. */
async function retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5) throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(200 * attempt);
    }
  }
}

/** RSS samples over `seconds`; the median is the steady figure (a GC in flight does not decide it). */
/** SIGUSR2 makes a controller started with --heapsnapshot-signal write a snapshot into `dir`; summarise it. */
async function takeHeapSnapshot(pid: number, dir: string): Promise<ReturnType<typeof summariseHeapSnapshot> | undefined> {
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    await sleep(2000);
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    // Written progressively (it starts empty): wait until it has a size that stops changing.
    let size = -1;
    for (;;) {
      const now = (await stat(join(dir, file))).size;
      if (now > 0 && now === size) break;
      size = now;
      await sleep(3000);
    }
    progress(`heap snapshot ${Math.round(size / 2 ** 20)} MiB written; summarising`);
    const summary = summariseHeapSnapshot(join(dir, file));
    await rm(join(dir, file), { force: true });
    return summary;
  }
  progress('warning: no heap snapshot appeared within 10 minutes');
  return undefined;
}

async function sampleRss(pid: number, seconds: number): Promise<{ medianMiB: number; minMiB: number; maxMiB: number }> {
  const s: number[] = [];
  for (let i = 0; i < seconds; i++) {
    const v = rssMiB(pid);
    if (v !== undefined) s.push(v);
    await sleep(1000);
  }
  s.sort((a, b) => a - b);
  return { medianMiB: s[Math.floor(s.length / 2)] ?? 0, minMiB: s[0] ?? 0, maxMiB: s[s.length - 1] ?? 0 };
}

/** Waits until the controller's pod informer has seen no event for `quietMs` (it has caught up). */
async function waitPodEventsQuiet(c: ControllerProcess, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const m = await c.metrics().catch(() => '');
    let total = 0;
    for (const line of m.split('\n')) {
      const x = /^vpcrc_informer_events_total\{[^}]*informer="pods"[^}]*\} ([0-9.e+]+)/.exec(line);
      if (x) total += Number(x[1]);
    }
    const depth = metricValue(m, 'vpcrc_workqueue_depth', 'name="pod"') ?? 0;
    if (total !== last || depth > 0) {
      last = total;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(1000);
  }
  progress('warning: the controller kept receiving pod events; measuring anyway');
}

interface NodeSeed {
  name: string;
  instanceId: string;
  trunkEniId: string;
  subnetId: string;
  subnetCidr: string;
  nextVlan: number;
}

function nodeSeeds(sandbox: Sandbox, nodes: { name: string; instanceId: string }[]): NodeSeed[] {
  const w = sandbox.ec2.world;
  return nodes.map((n) => {
    const trunk = w.enisOfInstance(n.instanceId).find((e) => e.createdType === 'trunk');
    if (!trunk) throw new Error(`node ${n.name} has no trunk in EC2`);
    const subnet = w.requireSubnet(trunk.subnetId);
    const used = new Set(w.listTrunkAssociations().filter((a) => a.trunkInterfaceId === trunk.networkInterfaceId).map((a) => a.vlanId));
    let nextVlan = 1;
    while (used.has(nextVlan)) nextVlan++;
    return { name: n.name, instanceId: n.instanceId, trunkEniId: trunk.networkInterfaceId, subnetId: trunk.subnetId, subnetCidr: subnet.cidrBlock, nextVlan };
  });
}

export async function main(argv: string[]): Promise<void> {
  const nodes = positive('nodes', flag(argv, 'nodes', '100'));
  const pods = Number(flag(argv, 'pods', '2000'));
  const matched = Number(flag(argv, 'matched', '500'));
  if (!Number.isInteger(pods) || pods < 0) throw new Error('--pods must be a whole number ≥ 0');
  if (!Number.isInteger(matched) || matched < 0 || matched > pods) throw new Error('--matched must be a whole number between 0 and --pods');
  const timeScale = positive('time-scale', flag(argv, 'time-scale', '1'));
  const type = flag(argv, 'type', 'm5.xlarge');
  const namespaces = positive('namespaces', flag(argv, 'namespaces', String(Math.max(1, Math.ceil(pods / 2000)))));
  const reviewRate = positive('review-rate', flag(argv, 'review-rate', '500'));
  const reviewSeconds = positive('review-seconds', flag(argv, 'review-seconds', '10'));
  // --heap-snapshot: the loaded controller writes a heap snapshot (SIGUSR2), summarised in the JSON.
  const heapSnapshot = argv.includes('--heap-snapshot');
  // --controller-args "…": extra `vpcrc controller` flags for both controller processes (A/B runs).
  const controllerArgs = flag(argv, 'controller-args', '').split(/\s+/).filter((a) => a !== '');
  // --node-options "…": Node/V8 flags for both controller processes (A/B runs of GC settings), after
  // the Deployment's NODE_OPTIONS (a later V8 flag wins); MALLOC_ARENA_MAX comes from the Deployment too.
  const nodeOptions = flag(argv, 'node-options', '').split(/\s+/).filter((a) => a !== '');
  const afterRestartSeconds = positive('watch-after-restart', flag(argv, 'watch-after-restart', String(MIN_BRANCH_ENI_COOLDOWN_SECONDS + 15)));
  const dir = join(tmpdir(), `vpcrc-scale-${process.pid}`);
  const load = { atStart: loadavg().map(round1), cpus: cpus().length, memoryMiB: Math.round(totalmem() / 2 ** 20) };

  progress(`sandbox: ${type}, time scale ${timeScale}`);
  const sandbox = await startSandbox({
    nodes: `${type}=0`,
    throttle: 'aws',
    timeScale,
    kubeconfigPath: join(dir, 'kubeconfig'),
    // EC2 attaches in about a second; /18 subnets so that thousands of trunks and branch ENIs fit.
    ec2: { attachDelayMs: 1000, defaultSubnetPrefix: nodes + matched > 20_000 ? 18 : 19 },
    heartbeatMs: 300_000,
  });
  const env = { kubeconfigPath: sandbox.kubeconfigPath, clusterName: sandbox.clusterName, region: sandbox.region, ec2Endpoint: sandbox.ec2.endpoint };
  const admin = sandbox.kubeConfigFor('admin');
  const core = admin.makeApiClient(CoreV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  let controller: ControllerProcess | undefined;
  try {
    // The shortest cooldown: an ENI wrongly judged orphaned after the restart is deleted within the watch.
    const cm = await core.readNamespacedConfigMap({ namespace: CNI_CONFIGMAP_NAMESPACE, name: CNI_CONFIGMAP_NAME });
    cm.data = { ...(cm.data ?? {}), [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: String(MIN_BRANCH_ENI_COOLDOWN_SECONDS) };
    await core.replaceNamespacedConfigMap({ namespace: CNI_CONFIGMAP_NAMESPACE, name: CNI_CONFIGMAP_NAME, body: cm });

    controller = await startControllerProcess(env, { timeScale, webhooks: true, extraArgs: controllerArgs, nodeOptions: [...nodeOptions, ...(heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : [])] });
    progress(`controller pid ${controller.pid} ready on the empty cluster; measuring its baseline`);
    await sleep(5000);
    const baseline = await sampleRss(controller.pid, 10);
    const baselineHeap = metricValue(await controller.metrics(), 'vpcrc_nodejs_heap_size_used_bytes');
    progress(`baseline RSS ${baseline.medianMiB} MiB`);

    // ---------------------------------------------------------------- nodes
    const joinStart = Date.now();
    const callsBeforeJoin = ec2Calls(await controller.metrics());
    await sandbox.addNodes(`${type}=${nodes}`);
    progress(`nodes registered: ${nodes}`);
    const registeredMs = Date.now() - joinStart;
    let advertised = 0;
    let lastChange = Date.now();
    while (advertised < nodes) {
      await sleep(2000);
      const list = await core.listNode().catch(() => undefined);
      if (!list) continue;
      const n = list.items.filter((x) => x.status?.capacity?.[RESOURCE_POD_ENI] !== undefined).length;
      if (n !== advertised) {
        lastChange = Date.now();
        progress(`trunks advertised: ${n}/${nodes}`);
      }
      advertised = n;
      if (Date.now() - lastChange > 180_000) throw new Error(`no trunk advertised for 3 minutes at ${advertised}/${nodes}`);
    }
    const joinMs = Date.now() - joinStart;
    const joinCalls = diffCalls(ec2Calls(await controller.metrics()), callsBeforeJoin);
    const world = sandbox.ec2.world;
    const nodeList = (await retry('list nodes', () => core.listNode())).items.map((x) => ({
      name: x.metadata?.name ?? '',
      instanceId: (x.spec?.providerID ?? '').split('/').pop() ?? '',
    }));
    const seeds = nodeSeeds(sandbox, nodeList);
    // The kubelets' part for the seeded pods is written with them (a Running status); the node
    // agents stop here so that they do not rewrite 100,000 statuses over HTTP, which on a 2-core
    // machine takes longer than the rest of the bench.
    const hostIps = new Map(nodeList.map((n) => [n.name, world.getInstance(n.instanceId)?.privateIpAddress ?? '']));
    await Promise.all(sandbox.nodeNames().map((n) => sandbox.nodeAgent(n)?.stop() ?? Promise.resolve()));

    // ---------------------------------------------------------------- namespaces, policies, pods
    const nsNames = Array.from({ length: namespaces }, (_, i) => `scale-${i}`);
    for (const ns of nsNames) {
      await retry(`namespace ${ns}`, () => core.createNamespace({ body: { metadata: { name: ns } } }));
      await retry(`policy in ${ns}`, () =>
        custom.createNamespacedCustomObject({
          group: SGP_GROUP,
          version: SGP_VERSION,
          namespace: ns,
          plural: SGP_PLURAL,
          body: {
            apiVersion: `${SGP_GROUP}/${SGP_VERSION}`,
            kind: SGP_KIND,
            metadata: { name: 'matched', namespace: ns },
            spec: { podSelector: { matchLabels: { sg: 'yes' } }, securityGroups: { groupIds: [sandbox.defaultSecurityGroupId] } },
          },
        }),
      );
    }
    progress(`${namespaces} namespaces with a SecurityGroupPolicy each`);
    const liveEnis = new Set<string>();
    let created = 0;
    const podStart = Date.now();
    const indexes = Array.from({ length: pods }, (_, i) => i);
    await pool(indexes, 16, async (i) => {
      const node = seeds[i % seeds.length] as NodeSeed;
      const ns = nsNames[i % nsNames.length] as string;
      const name = `p-${i}`;
      const isMatched = i < matched;
      let eniId: string | undefined;
      let annotation: string | undefined;
      let podIp = `100.64.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
      if (isMatched) {
        const vlanId = node.nextVlan++;
        const eni = world.createNetworkInterface({
          subnetId: node.subnetId,
          groups: [sandbox.defaultSecurityGroupId],
          description: BRANCH_ENI_DESCRIPTION,
          tags: branchTags({
            clusterName: sandbox.clusterName,
            trunk: { nodeName: node.name, instanceId: node.instanceId, trunkEniId: node.trunkEniId, subnetId: node.subnetId, subnetCidr: node.subnetCidr, defaultSecurityGroups: [], branchLimit: 0 },
            pod: { uid: '', namespace: ns, name },
            vlanId,
          })
            .filter((t) => t.Key !== TAG_POD_UID)
            .map((t) => ({ key: t.Key as string, value: t.Value as string })),
        });
        world.associateTrunkInterface(eni.networkInterfaceId, node.trunkEniId, vlanId);
        eniId = eni.networkInterfaceId;
        podIp = eni.privateIpAddress;
        annotation = encodePodEniAnnotation([{ eniId, ifAddress: eni.macAddress, privateIp: eni.privateIpAddress, vlanId, subnetCidr: node.subnetCidr }]);
      }
      const body: V1Pod = {
        metadata: {
          name,
          namespace: ns,
          labels: { app: `app-${i % 50}`, sg: isMatched ? 'yes' : 'no' },
          ...(annotation ? { annotations: { [ANNOTATION_POD_ENI]: annotation } } : {}),
        },
        spec: {
          nodeName: node.name,
          containers: [
            {
              name: 'app',
              image: 'public.ecr.aws/nginx/nginx:1.27',
              resources: isMatched ? { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } : { requests: { cpu: '10m' } },
            },
          ],
        },
      };
      const made = await sandbox.kube.createPodDirect(ns, body, runningStatus(hostIps.get(node.name) ?? '', podIp));
      if (eniId) {
        world.createTags([eniId], [{ key: TAG_POD_UID, value: made.metadata?.uid ?? '' }]);
        liveEnis.add(eniId);
      }
      if (++created % 5000 === 0) progress(`pods created: ${created}/${pods} (${Math.round(created / ((Date.now() - podStart) / 1000))}/s)`);
    });
    progress(`pods created: ${created}/${pods}; waiting for the controller to catch up`);
    await waitPodEventsQuiet(controller, 15_000, 900_000);

    const loaded = await sampleRss(controller.pid, 20);
    const loadedMetrics = await controller.metrics();
    const heapUsedMiB = round1((metricValue(loadedMetrics, 'vpcrc_nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20);
    // Where RSS goes besides live heap: the heap V8 holds (total) and memory outside it (buffers).
    const mib = (name: string, labels?: string): number => round1((metricValue(loadedMetrics, name, labels) ?? 0) / 2 ** 20);
    const memory = {
      heapTotalMiB: mib('vpcrc_nodejs_heap_size_total_bytes'),
      externalMiB: mib('vpcrc_nodejs_external_memory_bytes'),
      newSpaceMiB: mib('vpcrc_nodejs_heap_space_size_total_bytes', 'space="new"'),
      oldSpaceUsedMiB: mib('vpcrc_nodejs_heap_space_size_used_bytes', 'space="old"'),
      oldSpaceTotalMiB: mib('vpcrc_nodejs_heap_space_size_total_bytes', 'space="old"'),
    };
    const peakBeforeRestart = peakRssMiB(controller.pid);
    const branchEnisInEc2 = world.listEnis().filter((e) => e.interfaceType === 'branch').length;
    progress(`steady RSS ${loaded.medianMiB} MiB (baseline ${baseline.medianMiB}), heap used ${heapUsedMiB} MiB, peak ${peakBeforeRestart} MiB`);
    const heapBreakdown = heapSnapshot ? await takeHeapSnapshot(controller.pid, dir) : undefined;

    // ---------------------------------------------------------------- webhooks at a fixed rate
    const webhookNs = nsNames[0] as string;
    // From a process of its own (client-go-like connections), so that the latency is the
    // controller's, with its full cache, and not the sandbox's event loop (which serves the API
    // server and EC2 of the whole cluster).
    // What the controller itself did meanwhile: its CPU, GC time and event-loop delay (prom-client
    // resets the delay histogram at every scrape, so the scrape after the run covers the run).
    const webhookLoadBefore = round1(loadavg()[0] ?? 0);
    const gcSeconds = (m: string): number => (metricValue(m, 'vpcrc_nodejs_gc_duration_seconds_sum', 'kind="major"') ?? 0) + (metricValue(m, 'vpcrc_nodejs_gc_duration_seconds_sum', 'kind="minor"') ?? 0) + (metricValue(m, 'vpcrc_nodejs_gc_duration_seconds_sum', 'kind="incremental"') ?? 0);
    const webhookMetricsBefore = await controller.metrics();
    const webhookCpuBefore = cpuSeconds(controller.pid) ?? 0;
    const webhook = await reviewsFromOwnProcess({ baseUrl: `https://127.0.0.1:${controller.webhookPort}`, rate: reviewRate, seconds: reviewSeconds, namespace: webhookNs });
    const webhookMetricsAfter = await controller.metrics();
    const webhookController = {
      cpuSeconds: round1((cpuSeconds(controller.pid) ?? 0) - webhookCpuBefore),
      gcSeconds: Math.round((gcSeconds(webhookMetricsAfter) - gcSeconds(webhookMetricsBefore)) * 1000) / 1000,
      eventLoopLagP99Ms: round1((metricValue(webhookMetricsAfter, 'vpcrc_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000),
      eventLoopLagMaxMs: round1((metricValue(webhookMetricsAfter, 'vpcrc_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000),
    };
    const webhookLoad = { before: webhookLoadBefore, after: round1(loadavg()[0] ?? 0) };
    progress(`webhooks at ${reviewRate}/s (own sender process): p50 ${webhook.p50Ms} ms, p99 ${webhook.p99Ms} ms (warm-up p99 ${webhook.warmupP99Ms} ms), ${webhook.failures} failures, load ${webhookLoad.before}; controller meanwhile: ${webhookController.cpuSeconds} s CPU, ${webhookController.gcSeconds} s GC, event-loop delay p99 ${webhookController.eventLoopLagP99Ms} ms`);

    // ---------------------------------------------------------------- restart
    const cpuBeforeKill = cpuSeconds(controller.pid);
    await controller.kill();
    progress('controller killed (SIGKILL); starting a new one');
    const restartStart = Date.now();
    controller = await startControllerProcess(env, { timeScale, webhooks: true, extraArgs: controllerArgs, nodeOptions, readyTimeoutMs: 300_000 });
    const processReadyMs = Date.now() - restartStart;
    // A new matched pod on a node: the restart is over when it gets its branch ENI.
    const probeNode = seeds[Math.floor(seeds.length / 2)] as NodeSeed;
    const probeNs = nsNames[0] as string;
    await retry('probe pod', () =>
      core.createNamespacedPod({
        namespace: probeNs,
        body: {
          metadata: { name: 'restart-probe', namespace: probeNs, labels: { sg: 'yes' } },
          spec: {
            nodeName: probeNode.name,
            containers: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } }],
          },
        },
      }),
    );
    let probeAnnotatedMs: number | undefined;
    let allNodesRebuiltMs: number | undefined;
    let rebuiltNodes: number | undefined;
    const restartDeadline = Date.now() + 600_000;
    while (probeAnnotatedMs === undefined || allNodesRebuiltMs === undefined) {
      if (Date.now() > restartDeadline) throw new Error(`restart not done within 10 minutes (probe annotated: ${probeAnnotatedMs !== undefined}, nodes rebuilt: ${rebuiltNodes ?? '?'}/${nodes})`);
      await sleep(100);
      if (probeAnnotatedMs === undefined) {
        const p = await core.readNamespacedPod({ namespace: probeNs, name: 'restart-probe' }).catch(() => undefined);
        if (p?.metadata?.annotations?.[ANNOTATION_POD_ENI]) probeAnnotatedMs = Date.now() - restartStart;
      }
      if (allNodesRebuiltMs === undefined) {
        const m = await controller.metrics().catch(() => '');
        rebuiltNodes = metricValue(m, 'vpcrc_branch_state_nodes');
        // Without the gauge (an older controller), the probe's allocation is the only signal.
        if (rebuiltNodes === undefined ? probeAnnotatedMs !== undefined : rebuiltNodes >= nodes) allNodesRebuiltMs = Date.now() - restartStart;
      }
    }
    const readyMs = Math.max(probeAnnotatedMs, allNodesRebuiltMs);
    const restartCalls = ec2Calls(await controller.metrics());
    progress(`restart ready in ${(readyMs / 1000).toFixed(1)} s with ${sum(restartCalls)} EC2 calls; watching ${afterRestartSeconds} s for deletions`);
    await sleep(afterRestartSeconds * 1000);
    const deleted = [...liveEnis].filter((id) => !world.getEni(id));
    const afterMetrics = await controller.metrics();
    const result = {
      bench: 'scale',
      at: new Date().toISOString(),
      command: `npm run bench -- scale ${argv.join(' ')}`.trim(),
      machine: { ...load, node: process.version },
      settings: { nodes, pods, matched, namespaces, type, timeScale, throttle: 'aws', reviewRate, reviewSeconds, cooldownSeconds: MIN_BRANCH_ENI_COOLDOWN_SECONDS, controllerArgs },
      build: {
        trunks: 'created by the controller as the nodes joined',
        pods:
          'created in the local API server in-process (same admission, validation, storage and watch events as a POST, without the HTTP round trip), bound to their nodes, each followed by a kubelet-style Running status patch; the node agents are stopped once the trunks are advertised',
        branchEnis:
          'seeded in the local EC2 with the controller\'s tags and a trunk association, each matched pod created with the pod-eni annotation naming its ENI (the state after the controller allocated)',
        heartbeatSeconds: 300,
      },
      nodeJoin: {
        registeredMs,
        allTrunksAdvertisedMs: joinMs,
        ec2CallsByAction: joinCalls,
        ec2CallsPerNode: Math.round((sum(joinCalls) / nodes) * 100) / 100,
      },
      controller: {
        baselineRssMiB: baseline.medianMiB,
        baselineHeapUsedMiB: round1((baselineHeap ?? 0) / 2 ** 20),
        steadyRssMiB: loaded.medianMiB,
        steadyRssRangeMiB: [loaded.minMiB, loaded.maxMiB],
        steadyOverBaselineMiB: round1(loaded.medianMiB - baseline.medianMiB),
        peakRssMiB: peakBeforeRestart,
        heapUsedMiB,
        memory,
        ...(heapBreakdown ? { heapBreakdown } : {}),
        cpuSecondsBeforeRestart: cpuBeforeKill,
        branchEnisInEc2,
      },
      webhook: { sender: 'own process; keep-alive, at most 25 idle connections (client-go)', ...webhook, loadAverage: webhookLoad, controller: webhookController },
      restart: {
        readySeconds: round1(readyMs / 1000),
        processReadySeconds: round1(processReadyMs / 1000),
        probeAnnotatedSeconds: round1(probeAnnotatedMs / 1000),
        allNodesRebuiltSeconds: round1(allNodesRebuiltMs / 1000),
        ec2Calls: restartCalls,
        ec2CallsTotal: sum(restartCalls),
        ec2CallsAfterWatch: ec2Calls(afterMetrics),
        liveEnisDeleted: deleted.length,
        watchedSeconds: afterRestartSeconds,
        peakRssMiB: peakRssMiB(controller.pid),
        rssMiB: rssMiB(controller.pid),
      },
      loadAtEnd: loadavg().map(round1),
      sandboxCpuSeconds: round1((process.cpuUsage().user + process.cpuUsage().system) / 1e6),
      wallSeconds: Math.round((Date.now() - t00) / 1000),
    };
    const outDir = join(repoRoot, 'test', 'bench', 'results');
    await mkdir(outDir, { recursive: true });
    const stamp = result.at.replace(/[:.]/g, '-');
    const text = JSON.stringify(result, null, 2) + '\n';
    await writeFile(join(outDir, `scale-${stamp}.json`), text);
    await writeFile(join(outDir, 'scale-latest.json'), text);
    console.log(text);
  } finally {
    await controller?.stop();
    await sandbox.stop();
  }
}

/** What a kubelet reports for a started single-container pod. */
function runningStatus(hostIp: string, podIp: string): object {
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string): object => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: t,
    containerStatuses: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', imageID: '', restartCount: 0, ready: true, started: true, state: { running: { startedAt: t } } }],
  };
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

function diffCalls(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
