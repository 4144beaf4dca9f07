// Chaos bench (issue 10, item 4): an operator's worst day, reproducibly.
//
//   npm run bench -- chaos [--duration 180] [--nodes 6] [--fail 0.10] [--lost 0.03] [--kill-every 30]
//                          [--cut-every 20] [--wave 4] [--seed 1] [--grace 8] [--replicas 1]
//
// The sandbox runs WITHOUT its controller; the controller runs as its own process (the built CLI)
// behind an EC2 fault proxy (--fail: calls failed without being performed; --lost: mutating calls
// performed and then answered with a 500 or a reset connection) and a Kubernetes connection cutter
// (every --cut-every s). It is SIGKILLed and restarted every --kill-every s. A churn generator runs
// pod lifecycles meanwhile (waves of matched pods, unmatched pods, Jobs that complete, deletions,
// forced deletions, replacements under the same name). An invariant checker samples every 3 s
// DURING the churn and once more after convergence (faults, kills and cuts off):
//   liveDeleted  a running pod's annotated ENI missing, or not on its node's trunk on the annotated
//                VLAN, for longer than --grace s;
//   doubleVlan   a VLAN used twice on a trunk, or by two live pods' annotations on one node;
//   wrongGroups  a matched pod's annotated ENI without exactly the policy's groups (past the grace);
//   unannotated  (end) a running pod requesting a branch ENI without its annotation;
//   leaked       (end) branch ENIs of ours with no live pod (warm ENIs excepted), after the cooldown;
//   stray        (end) branch ENIs of ours that no trunk holds and no pod names.
// With --replicas N > 1 every replica runs with --leader-elect and each kill hits the LEADER (read
// from the Lease); a replica that exits by itself (it gives up a lease it cannot renew) is started
// again. Two more checks, sampled the same way:
//   splitBrain   two replicas report holding the lease at once (their vpcrc_leader gauges);
//   duplicate    a running pod with more associated ENIs of ours tagged with its UID than it asked
//                for, past the grace;
// and each handover is timed: from the killed leader's last renewal (the Lease's renewTime) to the
// moment another replica holds the lease; it must stay within the lease duration + one (jittered)
// retry period + 1 s for the API calls of a loaded machine.
// Writes test/bench/results/chaos-<timestamp>.json and chaos-latest.json; exits 1 when a count is not 0.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_COMPLETE_AFTER_SECONDS, ANNOTATION_POD_ENI, LABEL_HAS_TRUNK_ATTACHED, LEADER_ELECTION_LEASE, LEADER_ELECTION_NAMESPACE, TAG_POD_UID, RESOURCE_POD_ENI, SGP_GROUP, SGP_KIND, SGP_PLURAL, SGP_VERSION, TAG_ENI_OWNER, TAG_ENI_OWNER_VALUE, TAG_TRUNK_ENI_ID, TAG_WARM } from '../../src/apis/constants.js';
import { decodePodEniAnnotation } from '../../src/domain/pod-eni-annotation.js';
import { makeSandboxEc2Client } from '../../src/sim/sandbox/ec2-client.js';
import { startSandbox, type Sandbox } from '../../src/sim/sandbox/index.js';
import { orphanBranchEnis } from '../integration/helpers/invariants.js';
import { flag, metricValue, positive, repoRoot, startControllerProcess, type ControllerProcess } from './lib/controller-process.js';
import { Ec2FaultProxy, KubeCutter, seeded } from './lib/fault-proxies.js';

const NS = 'chaos';
const COOLDOWN_S = 30; // the product's minimum: the end check waits it out
// The controller's leader-election defaults (client-go's): a standby takes over once the lease has
// gone unrenewed this long, looking every retry period.
const LEASE_DURATION_S = 15;
const RETRY_PERIOD_S = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  liveDeleted: number;
  doubleVlan: number;
  wrongGroups: number;
  unannotated: number;
  leaked: number;
  stray: number;
  splitBrain: number;
  duplicate: number;
}

export async function main(argv: string[]): Promise<void> {
  const o = {
    durationS: positive('duration', flag(argv, 'duration', '180')),
    nodes: positive('nodes', flag(argv, 'nodes', '6')),
    fail: Number(flag(argv, 'fail', '0.10')),
    lost: Number(flag(argv, 'lost', '0.03')),
    killEveryS: positive('kill-every', flag(argv, 'kill-every', '30')),
    cutEveryS: positive('cut-every', flag(argv, 'cut-every', '20')),
    wave: positive('wave', flag(argv, 'wave', '4')),
    seed: positive('seed', flag(argv, 'seed', '1')),
    graceS: positive('grace', flag(argv, 'grace', '8')),
    replicas: positive('replicas', flag(argv, 'replicas', '1')),
  };
  if (!Number.isInteger(o.replicas)) throw new Error(`--replicas must be a whole number, got ${o.replicas}`);
  const ha = o.replicas > 1;
  if (!(o.fail >= 0 && o.lost >= 0 && o.fail + o.lost < 1)) throw new Error('--fail and --lost must be shares from 0 to 1 that add up to less than 1');
  const random = seeded(o.seed);
  const dir = mkdtempSync(join(tmpdir(), 'vpcrc-chaos-'));
  const sandbox = await startSandbox({ nodes: `m5.large=${o.nodes}`, throttle: 'off', heartbeatMs: 2_000, retryUnschedulableMs: 2_000, kubeconfigPath: join(dir, 'kubeconfig') });
  const proxy = new Ec2FaultProxy(sandbox.ec2.endpoint, { fail: o.fail, lost: o.lost }, random);
  await proxy.start();
  // The controller reaches the API server through the cutter: same kubeconfig, other port.
  const kubeconfig = readFileSync(sandbox.kubeconfigPath, 'utf8');
  const server = /server: *(https?):\/\/([^:/\s]+):(\d+)/.exec(kubeconfig);
  if (!server) throw new Error('no server URL in the sandbox kubeconfig');
  const cutter = new KubeCutter({ host: server[2] as string, port: Number(server[3]) });
  await cutter.start();
  const cutConfig = join(dir, 'kubeconfig-cut');
  writeFileSync(cutConfig, kubeconfig.replaceAll(`${server[2]}:${server[3]}`, `127.0.0.1:${cutter.address.port}`), { mode: 0o600 });
  const core = sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
  const custom = sandbox.kubeConfigFor('admin').makeApiClient(CustomObjectsApi);
  const env = { kubeconfigPath: cutConfig, clusterName: sandbox.clusterName, region: sandbox.region, ec2Endpoint: proxy.endpoint };
  const coordination = sandbox.kubeConfigFor('admin').makeApiClient(CoordinationV1Api);
  let incarnation = 0;
  const start = async (slot: number): Promise<Replica> => {
    const identity = `replica-${slot}-${++incarnation}`;
    const electArgs = ha ? ['--leader-elect', '--leader-elect-identity', identity] : [];
    const proc = await startControllerProcess(env, { timeScale: 1, readyTimeoutMs: 120_000, extraArgs: ['--log-level', 'error', '--gc-interval-seconds', '30', '--repair-interval-seconds', '10', ...electArgs] });
    return { identity, proc };
  };
  const lease = async (): Promise<{ holder: string; renewMs: number } | undefined> => {
    try {
      const l = await coordination.readNamespacedLease({ name: LEADER_ELECTION_LEASE, namespace: LEADER_ELECTION_NAMESPACE });
      const renew = l.spec?.renewTime ? new Date(l.spec.renewTime).getTime() : 0;
      return { holder: l.spec?.holderIdentity ?? '', renewMs: renew };
    } catch {
      return undefined;
    }
  };

  const counts: Counts = { liveDeleted: 0, doubleVlan: 0, wrongGroups: 0, unannotated: 0, leaked: 0, stray: 0, splitBrain: 0, duplicate: 0 };
  const examples: string[] = [];
  const note = (kind: keyof Counts, msg: string): void => {
    counts[kind]++;
    if (examples.length < 20) examples.push(`${kind}: ${msg}`);
  };
  const life = { created: 0, matched: 0, unmatched: 0, jobs: 0, deleted: 0, forced: 0, replaced: 0, kills: 0, samples: 0, selfExits: 0 };
  const handovers: { fromRenewalMs: number; fromKillMs: number }[] = [];
  const replicas: (Replica | undefined)[] = new Array<Replica | undefined>(o.replicas).fill(undefined);
  try {
    const sg = await createGroup(sandbox);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await custom.createNamespacedCustomObject({
      group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace: NS,
      body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name: 'm', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'm' } }, securityGroups: { groupIds: [sg] } } },
    });
    for (let i = 0; i < o.replicas; i++) replicas[i] = await start(i);
    await waitTrunks(core, o.nodes);

    // ---- the checker (during the churn and at the end)
    const badSince = new Map<string, number>();
    const reported = new Set<string>();
    const sample = async (final: boolean): Promise<void> => {
      life.samples++;
      const now = Date.now();
      const pods = (await core.listNamespacedPod({ namespace: NS })).items;
      const enis = new Map(sandbox.ec2.world.listEnis().map((e) => [e.networkInterfaceId, e]));
      const assocs = sandbox.ec2.world.listTrunkAssociations();
      const assocByBranch = new Map(assocs.map((a) => [a.branchInterfaceId, a]));
      const trunkOfInstance = new Map<string, string>();
      for (const e of enis.values()) if (e.interfaceType === 'trunk' && e.attachment?.instanceId) trunkOfInstance.set(e.attachment.instanceId, e.networkInterfaceId);
      const nodes = new Map((await core.listNode()).items.map((n) => [n.metadata?.name ?? '', (n.spec?.providerID ?? '').split('/').pop() ?? '']));
      const seenVlan = new Set<string>();
      for (const a of assocs) {
        const k = `${a.trunkInterfaceId}/${a.vlanId}`;
        if (seenVlan.has(k) && !reported.has(`dv:${k}`)) {
          reported.add(`dv:${k}`);
          note('doubleVlan', `VLAN ${a.vlanId} twice on trunk ${a.trunkInterfaceId}`);
        }
        seenVlan.add(k);
      }
      /** A finding counts once it has lasted past the grace (at the end: at once), and is reported once. */
      const noteIfLasting = (kind: keyof Counts, id: string, ok: boolean, message: (seconds: number) => string): void => {
        const k = `${kind}:${id}`;
        if (ok) {
          badSince.delete(k);
          return;
        }
        const since = badSince.get(k) ?? now;
        badSince.set(k, since);
        if ((final || now - since > o.graceS * 1000) && !reported.has(k)) {
          reported.add(k);
          note(kind, message(Math.round((now - since) / 1000)));
        }
      };
      const podVlans = new Map<string, string>();
      const podVlanWho = new Map<string, string>();
      const live = new Set<string>();
      for (const p of pods) {
        if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running') continue;
        const raw = p.metadata?.annotations?.[ANNOTATION_POD_ENI];
        const key = p.metadata?.name ?? '';
        if (!raw) {
          if (final && requestsEni(p)) note('unannotated', `pod ${key} runs without its branch ENI`);
          continue;
        }
        const d = decodePodEniAnnotation(raw);
        if (!d.ok) continue;
        const trunk = trunkOfInstance.get(nodes.get(p.spec?.nodeName ?? '') ?? '');
        for (const e of d.value) {
          const id = `${p.metadata?.uid}/${e.eniId}`;
          live.add(id);
          const vk = `${p.spec?.nodeName}/${e.vlanId}`;
          const other = podVlans.get(vk);
          if (other && other !== p.metadata?.uid && !reported.has(`pv:${vk}`)) {
            reported.add(`pv:${vk}`);
            note('doubleVlan', `two live pods annotated with VLAN ${e.vlanId} on ${p.spec?.nodeName}: ${podVlanWho.get(vk) ?? '?'} and ${key} (uid ${p.metadata?.uid}, ENI ${e.eniId}${enis.has(e.eniId) ? '' : ', not in EC2'}, ${assocByBranch.get(e.eniId) ? `on VLAN ${assocByBranch.get(e.eniId)?.vlanId}` : 'no association'})`);
          }
          podVlans.set(vk, p.metadata?.uid ?? '');
          podVlanWho.set(vk, `${key} (uid ${p.metadata?.uid}, ENI ${e.eniId}${enis.has(e.eniId) ? '' : ', not in EC2'}, ${assocByBranch.get(e.eniId) ? `on VLAN ${assocByBranch.get(e.eniId)?.vlanId}` : 'no association'})`);
          const eni = enis.get(e.eniId);
          const a = assocByBranch.get(e.eniId);
          const placed = !!eni && !!a && a.trunkInterfaceId === trunk && a.vlanId === e.vlanId;
          const groupsOk = !eni || p.metadata?.labels?.app !== 'm' || (eni.groups.length === 1 && eni.groups[0] === sg);
          for (const [kind, ok] of [['liveDeleted', placed], ['wrongGroups', groupsOk]] as const) {
            noteIfLasting(kind, id, ok, (s) => `pod ${key} ENI ${e.eniId}: ${!eni ? 'missing in EC2' : !a ? 'associated with no trunk' : kind === 'wrongGroups' ? `groups [${eni.groups.join(' ')}]` : `on ${a.trunkInterfaceId} VLAN ${a.vlanId}, node trunk ${trunk}`} for ${s} s`);
          }
        }
      }
      // duplicate: more of our associated ENIs carry a running pod's UID than it asked for.
      const associatedByUid = new Map<string, number>();
      for (const e of enis.values()) {
        const uid = e.tags[TAG_POD_UID];
        if (uid && e.tags[TAG_ENI_OWNER] === TAG_ENI_OWNER_VALUE && !e.tags[TAG_WARM] && assocByBranch.has(e.networkInterfaceId)) associatedByUid.set(uid, (associatedByUid.get(uid) ?? 0) + 1);
      }
      for (const p of pods) {
        if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running' || !requestsEni(p)) continue;
        const uid = p.metadata?.uid ?? '';
        live.add(`${uid}/`);
        noteIfLasting('duplicate', `${uid}/`, (associatedByUid.get(uid) ?? 0) <= eniRequest(p), (s) => `pod ${p.metadata?.name} (uid ${uid}) has ${associatedByUid.get(uid)} associated ENIs of ours for ${eniRequest(p)} requested, for ${s} s`);
      }
      if (ha) {
        const leading: string[] = [];
        for (const r of replicas) {
          if (!r || r.proc.child.exitCode !== null) continue;
          const v = await r.proc.metrics().then((m) => metricValue(m, 'vpcrc_leader')).catch(() => undefined);
          if (v === 1) leading.push(r.identity);
        }
        if (leading.length > 1) note('splitBrain', `${leading.join(' and ')} both report holding the lease`);
      }
      for (const k of badSince.keys()) if (!live.has(k.slice(k.indexOf(':') + 1))) badSince.delete(k);
      if (final) {
        const allPods = (await core.listPodForAllNamespaces()).items;
        const views = [...enis.values()];
        for (const id of orphanBranchEnis(views, allPods)) note('leaked', `branch ENI ${id} has no live pod after the cooldown`);
        const named = new Set(allPods.flatMap((p) => { const d = decodePodEniAnnotation(p.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? ''); return d.ok ? d.value.map((e) => e.eniId) : []; }));
        for (const e of views) {
          if (e.tags[TAG_ENI_OWNER] !== TAG_ENI_OWNER_VALUE || e.interfaceType === 'trunk' || !e.tags[TAG_TRUNK_ENI_ID] || e.tags[TAG_WARM]) continue;
          if (!assocByBranch.has(e.networkInterfaceId) && !named.has(e.networkInterfaceId)) note('stray', `branch ENI ${e.networkInterfaceId} on no trunk and named by no pod`);
        }
      }
    };

    // ---- churn, kills, cuts, samples
    const endAt = Date.now() + o.durationS * 1000;
    let seq = 0;
    let nextKill = Date.now() + o.killEveryS * 1000;
    let nextCut = Date.now() + o.cutEveryS * 1000;
    let nextSample = Date.now() + 3_000;
    const maxPods = o.nodes * 6;
    let restarting: Promise<void> | undefined;
    while (Date.now() < endAt) {
      const pods = (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => !p.metadata?.deletionTimestamp);
      const dice = random();
      try {
        if (pods.length < maxPods && dice < 0.45) {
          for (let i = 0; i < o.wave; i++) {
            const kind = random();
            const job = kind < 0.2;
            const matched = kind < 0.85;
            await core.createNamespacedPod({ namespace: NS, body: podBody(`p${++seq}`, matched, job) });
            life.created++;
            if (job) life.jobs++;
            if (matched) life.matched++;
            else life.unmatched++;
          }
        } else if (pods.length > 0) {
          const victim = pods[Math.floor(random() * pods.length)] as V1Pod;
          const name = victim.metadata?.name ?? '';
          const force = random() < 0.3;
          await core.deleteNamespacedPod({ namespace: NS, name, ...(force ? { gracePeriodSeconds: 0 } : {}) });
          life.deleted++;
          if (force) life.forced++;
          if (random() < 0.4) {
            // A replacement under the same name (a StatefulSet's way).
            await waitGone(core, name);
            await core.createNamespacedPod({ namespace: NS, body: podBody(name, victim.metadata?.labels?.app === 'm', false) });
            life.replaced++;
            life.created++;
          }
        }
      } catch {
        // a name taken or already gone in the churn: the next step goes on
      }
      if (Date.now() >= nextKill && !restarting) {
        // In the background: the churn goes on while the controller is down and starting up.
        restarting = (async () => {
          const held = ha ? await lease() : undefined;
          const slot = ha ? replicas.findIndex((r) => r?.identity === held?.holder) : 0;
          if (slot < 0) return; // no leader right now (a handover under way): the next kill looks again
          const dead = replicas[slot];
          replicas[slot] = undefined;
          const killedAt = Date.now();
          await dead?.proc.kill();
          life.kills++;
          const handover = ha && held ? timeHandover(lease, held, killedAt) : undefined;
          replicas[slot] = await start(slot);
          const h = await handover;
          if (h) handovers.push(h);
        })().finally(() => {
          restarting = undefined;
          nextKill = Date.now() + o.killEveryS * 1000;
        });
        nextKill = Infinity;
      }
      // A replica that gave up a lease it could not renew exits (as it does in a cluster, where the
      // kubelet starts it again): start it again.
      for (let i = 0; i < replicas.length; i++) {
        const r = replicas[i];
        if (r && r.proc.child.exitCode !== null) {
          life.selfExits++;
          replicas[i] = undefined;
          replicas[i] = await start(i);
        }
      }
      if (Date.now() >= nextCut) {
        cutter.cutAll();
        nextCut = Date.now() + o.cutEveryS * 1000;
      }
      if (Date.now() >= nextSample) {
        await sample(false).catch(() => undefined);
        nextSample = Date.now() + 3_000;
      }
      await sleep(400 + random() * 600);
    }

    // ---- convergence: no more faults, kills or cuts; wait out the cooldown, then the final check
    await restarting;
    proxy.enabled = false;
    if (ha) {
      // Converge with a leader: a replica may have exited on a cut during the last kill's handover.
      for (let i = 0; i < replicas.length; i++) if (!replicas[i] || replicas[i]?.proc.child.exitCode !== null) replicas[i] = await start(i);
    }
    const settleBy = Date.now() + (COOLDOWN_S + 60) * 1000;
    for (;;) {
      await sleep(3_000);
      const allPods = (await core.listPodForAllNamespaces()).items;
      const pending = orphanBranchEnis(sandbox.ec2.world.listEnis(), allPods).length;
      const waiting = allPods.filter((p) => p.metadata?.namespace === NS && p.status?.phase === 'Running' && requestsEni(p) && !p.metadata?.annotations?.[ANNOTATION_POD_ENI]).length;
      if ((pending === 0 && waiting === 0) || Date.now() > settleBy) break;
    }
    await sample(true);
  } finally {
    for (const r of replicas) await r?.proc.stop().catch(() => undefined);
    await cutter.stop().catch(() => undefined);
    await proxy.stop().catch(() => undefined);
    await sandbox.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const handoverBoundMs = (LEASE_DURATION_S + RETRY_PERIOD_S * 1.2 + 1) * 1000;
  const slowHandovers = handovers.filter((h) => h.fromRenewalMs > handoverBoundMs).length;
  const pass = Object.values(counts).every((n) => n === 0) && slowHandovers === 0;
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const leader = ha
    ? {
        replicas: o.replicas,
        leaseDurationS: LEASE_DURATION_S,
        retryPeriodS: RETRY_PERIOD_S,
        handoverBoundMs,
        handovers: handovers.length,
        slowHandovers,
        fromRenewalMs: { median: median(sorted(handovers.map((h) => h.fromRenewalMs))), max: Math.max(0, ...handovers.map((h) => h.fromRenewalMs)) },
        fromKillMs: { median: median(sorted(handovers.map((h) => h.fromKillMs))), max: Math.max(0, ...handovers.map((h) => h.fromKillMs)) },
      }
    : undefined;
  const result = { bench: 'chaos', at: new Date().toISOString(), options: o, pass, counts, ...(leader ? { leader } : {}), faults: { ...proxy.counts, kubeCuts: cutter.cuts }, lifecycles: life, examples };
  const out = join(repoRoot, 'test', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const body = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(out, `chaos-${result.at.replaceAll(':', '-').replaceAll('.', '-')}.json`), body);
  writeFileSync(join(out, 'chaos-latest.json'), body);
  console.log(JSON.stringify({ pass, counts, ...(leader ? { leader } : {}), faults: { calls: proxy.counts.calls, failed: proxy.counts.failed, performedThenFailed: proxy.counts.performedThenFailed, kubeCuts: cutter.cuts }, lifecycles: life }));
  if (!pass) process.exitCode = 1;
}

interface Replica {
  identity: string;
  proc: ControllerProcess;
}

/** Waits until a replica other than the killed one holds the lease (at most a minute). */
async function timeHandover(read: () => Promise<{ holder: string; renewMs: number } | undefined>, killed: { holder: string; renewMs: number }, killedAt: number): Promise<{ fromRenewalMs: number; fromKillMs: number } | undefined> {
  const by = killedAt + 60_000;
  while (Date.now() < by) {
    const now = await read();
    if (now && now.holder && now.holder !== killed.holder) {
      const at = Date.now();
      return { fromRenewalMs: at - killed.renewMs, fromKillMs: at - killedAt };
    }
    await sleep(200);
  }
  return { fromRenewalMs: Infinity, fromKillMs: Infinity };
}

/** Median of sorted numbers (the mean of the middle two for an even count). */
const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
};

/** The pod's pod-eni request (its containers' sum). */
function eniRequest(p: V1Pod): number {
  return (p.spec?.containers ?? []).reduce((n, c) => n + Number(c.resources?.requests?.[RESOURCE_POD_ENI] ?? 0), 0);
}

function requestsEni(p: V1Pod): boolean {
  return (p.spec?.containers ?? []).some((c) => c.resources?.requests?.[RESOURCE_POD_ENI] !== undefined);
}

function podBody(name: string, matched: boolean, job: boolean): V1Pod {
  return {
    metadata: { name, namespace: NS, labels: { app: matched ? 'm' : 'u' }, ...(job ? { annotations: { [ANNOTATION_COMPLETE_AFTER_SECONDS]: '4' } } : {}) },
    spec: {
      ...(job ? { restartPolicy: 'Never' } : {}),
      containers: [{ name: 'c', image: 'public.ecr.aws/docker/library/busybox:stable', ...(matched ? { resources: { requests: { [RESOURCE_POD_ENI]: '1' }, limits: { [RESOURCE_POD_ENI]: '1' } } } : {}) }],
    },
  };
}

async function createGroup(sandbox: Sandbox): Promise<string> {
  const c = makeSandboxEc2Client(sandbox.ec2.endpoint, sandbox.region);
  try {
    return (await c.send(new CreateSecurityGroupCommand({ VpcId: sandbox.vpcId, GroupName: 'chaos', Description: 'chaos bench' }))).GroupId as string;
  } finally {
    c.destroy();
  }
}

async function waitTrunks(core: CoreV1Api, n: number): Promise<void> {
  const by = Date.now() + 120_000;
  while (Date.now() < by) {
    const nodes = (await core.listNode()).items;
    if (nodes.length >= n && nodes.every((x) => x.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true')) return;
    await sleep(500);
  }
  throw new Error('nodes did not get their trunks within 120 s');
}

async function waitGone(core: CoreV1Api, name: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    try {
      await core.readNamespacedPod({ namespace: NS, name });
    } catch {
      return;
    }
    await sleep(250);
  }
}
