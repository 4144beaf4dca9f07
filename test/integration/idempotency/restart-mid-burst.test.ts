// A controller killed in the middle of a burst and started again makes no duplicate ENI (issue 6).
//
// Controller A talks to the local EC2 and the local API server through proxies that can be cut
// (cut-proxy.ts): cutting both while A has CreateNetworkInterface and AssociateTrunkInterface calls
// in flight (EC2 latency keeps them there) is what kill -9 looks like from outside: EC2 carries out
// what reached it, A never hears back, and nothing A does afterwards reaches anyone. Controller B
// starts at once against the same world. After everything settles:
// - every pod is annotated with exactly the branch ENIs it requested (1 or 2), each associated with
//   its node's trunk on its own VLAN;
// - EC2 never created more ENIs for a pod than it requested (counted where EC2 creates them), and
//   holds no branch ENI without an annotated live pod;
// - B's creates carried the ClientTokens A had used for the same purpose, so each pod's ENIs were
//   asked for under exactly as many tokens as it requested ENIs.
import { CreateNetworkInterfaceCommand, type CreateNetworkInterfaceRequest } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  TAG_POD_UID,
} from '../../../src/apis/constants.js';
import { createEc2Client } from '../../../src/aws/ec2-client.js';
import type { Ec2Sender } from '../../../src/aws/gateway.js';
import { sandboxControllerStarter } from '../../../src/cli/sandbox-controller.js';
import type { RunningController } from '../../../src/controllers/controller.js';
import { decodePodEniAnnotation } from '../../../src/domain/pod-eni-annotation.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';
import { checkInvariants, orphanBranchEnis } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { startCutProxy, type CutProxy } from './cut-proxy.js';

const NS = 'idem';
const PODS = 30;
/** Every fourth pod asks for two branch ENIs. */
const requested = (i: number): number => (i % 4 === 0 ? 2 : 1);
const CREDENTIALS = { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox' };

interface SentCreate {
  controller: 'A' | 'B';
  token: string;
  podUid: string;
}

/** The SDK client of one controller, noting every CreateNetworkInterface it sends and how many are unanswered. */
function recordingClient(controller: 'A' | 'B', endpoint: string, region: string, sent: SentCreate[], isDead: () => boolean): Ec2Sender & { inFlightCreates(): number; destroy(): void } {
  const real = createEc2Client({ region, endpoint, credentials: CREDENTIALS, requestTimeoutMs: 5_000 });
  let inFlight = 0;
  return {
    async send(command: unknown) {
      if (!(command instanceof CreateNetworkInterfaceCommand)) return real.send(command as CreateNetworkInterfaceCommand);
      const input: CreateNetworkInterfaceRequest = command.input;
      const podUid = input.TagSpecifications?.flatMap((s) => s.Tags ?? []).find((t) => t.Key === TAG_POD_UID)?.Value;
      // What a dead process "sends" goes nowhere: only count what could reach EC2.
      if (podUid && !isDead()) sent.push({ controller, token: input.ClientToken ?? '', podUid });
      inFlight++;
      try {
        return await real.send(command);
      } finally {
        inFlight--;
      }
    },
    inFlightCreates: () => inFlight,
    destroy: () => real.destroy(),
  };
}

async function startController(sandbox: Sandbox, kubeConfig: KubeConfig, client: Ec2Sender): Promise<RunningController> {
  const starter = sandboxControllerStarter({
    webhooks: false,
    health: false,
    podSide: { podWorkers: 8 },
    nodeSide: { attachPollMs: 50, backoff: { baseMs: 100, maxMs: 2_000 } },
    ec2: { region: sandbox.region, client },
    settings: { clusterName: sandbox.clusterName, region: sandbox.region, minCooldownSeconds: 1 },
  });
  const started = (await starter({
    kubeconfigPath: sandbox.kubeconfigPath,
    kubeConfig,
    ec2Endpoint: sandbox.ec2.endpoint,
    region: sandbox.region,
    clusterName: sandbox.clusterName,
    vpcId: sandbox.vpcId,
    customNetworking: false,
    logger: silentLogger(),
  })) as unknown as { controller: RunningController };
  return started.controller;
}

/** The controller identity's credentials, but through the given server URL. */
function controllerKubeConfigVia(sandbox: Sandbox, server: string): KubeConfig {
  const token = sandbox.kubeConfigFor('controller').getCurrentUser()?.token;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server, skipTLSVerify: true }],
    users: [{ name: 'controller', token }],
    contexts: [{ name: 'controller', cluster: 'local', user: 'controller' }],
    currentContext: 'controller',
  });
  return kc;
}

function podManifest(i: number): V1Pod {
  const n = String(requested(i));
  return {
    metadata: { name: `p-${String(i).padStart(2, '0')}`, namespace: NS, labels: { app: 'idem' } },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { [RESOURCE_POD_ENI]: n }, limits: { [RESOURCE_POD_ENI]: n } } }] },
  };
}

const annotationEnis = (p: V1Pod): string[] | undefined => {
  const raw = p.metadata?.annotations?.[ANNOTATION_POD_ENI];
  if (!raw) return undefined;
  const d = decodePodEniAnnotation(raw);
  if (!d.ok) throw new Error(`pod ${p.metadata?.name}: bad annotation: ${d.errors.join('; ')}`);
  return d.value.map((e) => e.eniId);
};

describe('controller killed and restarted mid-burst', () => {
  let sandbox: Sandbox & { cleanupDir: string };
  let core: CoreV1Api;
  const proxies: CutProxy[] = [];
  const controllers: RunningController[] = [];
  const clients: { destroy(): void }[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'c5.2xlarge=3', retryUnschedulableMs: 1_000 });
    core = sandbox.kubeConfigFor('admin').makeApiClient(CoreV1Api);
    await core.patchNamespacedConfigMap(
      { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_COOLDOWN]: '1' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.createNamespace({ body: { metadata: { name: NS } } });
    const groupId = sandbox.ec2.defaults?.defaultSecurityGroup.groupId as string;
    await sandbox
      .kubeConfigFor('admin')
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({
        group: SGP_GROUP,
        version: SGP_VERSION,
        plural: SGP_PLURAL,
        namespace: NS,
        body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name: 'idem', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'idem' } }, securityGroups: { groupIds: [groupId] } } },
      });
  }, 60_000);

  afterAll(async () => {
    for (const c of controllers) await c.stop().catch(() => undefined);
    for (const p of proxies) await p.close();
    for (const c of clients) c.destroy();
    await sandbox?.stop();
  });

  it('leaves every pod exactly its ENIs, creates none twice, and reuses the ClientTokens', async () => {
    // Every ENI EC2 actually creates, with the pod it is tagged for (where EC2 creates it, so
    // creates whose answer never reached a controller count too).
    const world = sandbox.ec2.world;
    const createdFor = new Map<string, string[]>();
    const create = world.createNetworkInterface.bind(world);
    world.createNetworkInterface = (input) => {
      const eni = create(input);
      const uid = eni.tags.get(TAG_POD_UID);
      if (uid) createdFor.set(uid, [...(createdFor.get(uid) ?? []), eni.networkInterfaceId]);
      return eni;
    };

    const sent: SentCreate[] = [];
    let aDead = false;
    const ec2Proxy = await startCutProxy(sandbox.ec2.endpoint);
    const kubeProxy = await startCutProxy(sandbox.kube.url);
    proxies.push(ec2Proxy, kubeProxy);
    const clientA = recordingClient('A', ec2Proxy.url, sandbox.region, sent, () => aDead);
    clients.push(clientA);
    const a = await startController(sandbox, controllerKubeConfigVia(sandbox, kubeProxy.url), clientA);
    controllers.push(a);
    await waitFor(
      async () => {
        const nodes = (await core.listNode()).items;
        return nodes.length === 3 && nodes.every((n) => n.metadata?.labels?.[LABEL_HAS_TRUNK_ATTACHED] === 'true' && n.status?.allocatable?.[RESOURCE_POD_ENI]);
      },
      { timeoutMs: 20_000, what: 'trunks on every node' },
    );
    await waitFor(() => a.ctx.informers.policies.get(`${NS}/idem`), { what: 'policy cached by controller A' });

    // Branch calls take a while, so a kill always finds some of them under way.
    sandbox.ec2.control.setLatency('CreateNetworkInterface', { ms: 300, jitterMs: 500 });
    sandbox.ec2.control.setLatency('AssociateTrunkInterface', { ms: 200, jitterMs: 300 });
    await Promise.all(Array.from({ length: PODS }, (_, i) => core.createNamespacedPod({ namespace: NS, body: podManifest(i) })));

    // Kill A once a few pods are done and creates are in flight.
    const annotatedNow = async (): Promise<number> => (await core.listNamespacedPod({ namespace: NS })).items.filter((p) => p.metadata?.annotations?.[ANNOTATION_POD_ENI]).length;
    await waitFor(async () => (await annotatedNow()) >= 6 && clientA.inFlightCreates() > 0, { timeoutMs: 20_000, intervalMs: 10, what: 'a few pods annotated with creates still in flight' });
    aDead = true;
    const inFlightAtKill = clientA.inFlightCreates();
    ec2Proxy.cut();
    kubeProxy.cut();
    const annotatedAtKill = await annotatedNow();

    // B starts at once, while A's last calls are still being carried out by EC2.
    const clientB = recordingClient('B', sandbox.ec2.endpoint, sandbox.region, sent, () => false);
    clients.push(clientB);
    const b = await startController(sandbox, sandbox.kubeConfigFor('controller'), clientB);
    controllers.push(b);
    await a.stop();

    const pods = await waitFor(
      async () => {
        const items = (await core.listNamespacedPod({ namespace: NS })).items;
        return items.length === PODS && items.every((p) => annotationEnis(p) && p.status?.phase === 'Running') ? items : undefined;
      },
      { timeoutMs: 30_000, what: 'every pod annotated and Running after the restart' },
    );
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(annotatedAtKill).toBeLessThan(PODS);

    // Anything left over would be a branch ENI without an annotated live pod; give the 1 s cooldown time.
    let orphans: string[] = [];
    await waitFor(
      async () => {
        orphans = orphanBranchEnis(sandbox.ec2.world.listEnis(), (await core.listPodForAllNamespaces()).items);
        return orphans.length === 0;
      },
      { timeoutMs: 10_000, what: 'no branch ENI without an annotated live pod' },
    ).catch(() => undefined);
    expect(orphans).toEqual([]);

    const enis = new Map(sandbox.ec2.world.listEnis().map((e) => [e.networkInterfaceId, e]));
    const trunkOf = new Map(b.ctx.trunks.list().map((t) => [t.nodeName, t.trunkEniId]));
    const associationOf = new Map(sandbox.ec2.world.listTrunkAssociations().map((a) => [a.branchInterfaceId, a.trunkInterfaceId]));
    const seen = new Set<string>();
    for (const pod of pods) {
      const i = Number(pod.metadata?.name?.slice(2));
      const uid = pod.metadata?.uid as string;
      const mine = annotationEnis(pod) as string[];
      const what = `pod ${pod.metadata?.name}`;
      expect(mine, `${what}: annotated ENIs`).toHaveLength(requested(i));
      for (const id of mine) {
        expect(seen.has(id), `${what}: ${id} is annotated on another pod too`).toBe(false);
        seen.add(id);
        const eni = enis.get(id);
        expect(eni, `${what}: ${id} exists`).toBeDefined();
        expect(eni?.tags[TAG_POD_UID], `${what}: ${id} tagged for the pod`).toBe(uid);
        expect(associationOf.get(id), `${what}: ${id} associated with its node's trunk`).toBe(trunkOf.get(pod.spec?.nodeName ?? ''));
      }
      // Where EC2 creates ENIs: never more for a pod than it requested.
      expect(createdFor.get(uid) ?? [], `${what}: ENIs EC2 created for it`).toHaveLength(requested(i));
      const podEnisInEc2 = [...enis.values()].filter((e) => e.tags[TAG_POD_UID] === uid).map((e) => e.networkInterfaceId);
      expect(podEnisInEc2.sort(), `${what}: its ENIs in EC2`).toEqual([...mine].sort());
      // One ClientToken per requested ENI, whichever controller sent it (B reused A's).
      const tokens = new Set(sent.filter((s) => s.podUid === uid).map((s) => s.token));
      expect(tokens.size, `${what}: distinct ClientTokens of its creates`).toBe(requested(i));
    }
    // The restart was really mid-burst: B had creates of its own to make (or to repeat).
    expect(sent.some((s) => s.controller === 'B')).toBe(true);
    expect(await checkInvariants(sandbox)).toEqual([]);
  }, 90_000);
});
