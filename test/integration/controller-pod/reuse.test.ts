// Warm branch ENI reuse and live policies (issue 14), against the local API server and EC2:
// a replaced pod takes the warm ENI with no EC2 call at all (counted at the local EC2), warm ENIs
// expire, go with their node, survive a restart; a policy change reaches a running pod's ENI in
// place; a pod no policy selects any more keeps its ENI with a Warning. Invariants after each.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CNI_CONFIGMAP_NAME,
  CNI_CONFIGMAP_NAMESPACE,
  CONFIG_KEY_BRANCH_ENI_WARM,
  REASON_BRANCH_ENI_REUSED,
  REASON_SECURITY_GROUP_POLICY_UNMATCHED,
  REASON_SECURITY_GROUPS_UPDATED,
  SGP_GROUP,
  SGP_PLURAL,
  SGP_VERSION,
  TAG_WARM,
} from '../../../src/apis/constants.js';
import { mergePatchCustomObject } from '../../../src/kube/patch.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startTestController } from '../controller-node/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  createPod,
  createPolicy,
  deletePod,
  eniExists,
  eniGroups,
  ensureNamespace,
  patchPod,
  podEvents,
  podManifest,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

const NS = 'reuse';
const WARM_SECONDS = 600;

describe('warm branch ENI reuse and live policies', () => {
  let env: PodEnv;
  let g: string[];
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=2', controller: { settings: { branchEniWarmSeconds: WARM_SECONDS } } });
    g = await createGroups(env.sandbox, ['a', 'b']);
    await ensureNamespace(env, NS);
    await createPolicy(env, NS, 'web', { podSelector: { matchLabels: { app: 'web' } }, groupIds: [g[0]!] });
    await waitFor(() => env.controller.ctx.informers.policies.get(`${NS}/web`) !== undefined, { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  const warmOn = (node: string): number => env.controller.podSide()?.nodeState(node)?.counts().warm ?? 0;
  const eni = (id: string) => env.sandbox.ec2.world.listEnis().find((e) => e.networkInterfaceId === id);
  const totalCalls = (): number => Object.values(env.sandbox.ec2.control.counterSnapshot()).reduce((n, c) => n + c.calls, 0);
  const pinned = (name: string, node: string, labels: Record<string, string> = { app: 'web' }) => {
    const p = podManifest(NS, name, labels);
    p.spec!.nodeName = node;
    return p;
  };

  async function warmEniOn(node: string, name: string): Promise<string> {
    await createPod(env, pinned(name, node));
    const first = annotationOf(await waitRunningAnnotated(env, NS, name))![0]!;
    await deletePod(env, NS, name);
    // Cooldown (1 s here) served, pod confirmed gone: warm, and tagged as such in EC2 (batched).
    await waitFor(() => eni(first.eniId)?.tags[TAG_WARM] === 'true' && warmOn(node) > 0, { timeoutMs: 15_000, what: `ENI ${first.eniId} warm and tagged` });
    return first.eniId;
  }

  it('a replaced pod on the same node takes the warm ENI with zero EC2 calls', async () => {
    const node = env.sandbox.nodeNames()[0]!;
    const warmId = await warmEniOn(node, 'old');
    const warmEni = eni(warmId)!;
    const before = totalCalls();
    await createPod(env, pinned('new', node));
    const pod = await waitRunningAnnotated(env, NS, 'new');
    const entry = annotationOf(pod)![0]!;
    expect(entry.eniId).toBe(warmId);
    expect(entry.privateIp).toBe(warmEni.privateIpAddress);
    expect(pod.status?.podIP).toBe(warmEni.privateIpAddress);
    expect(totalCalls()).toBe(before);
    expect(eniGroups(env, warmId)).toEqual([g[0]]);
    const reusedEvent = await waitFor(async () => (await podEvents(env, NS, 'new')).find((e) => e.reason === REASON_BRANCH_ENI_REUSED), { what: 'the reuse event' });
    expect(reusedEvent.message).toContain(`Reused warm branch ENI ${warmId}`);
    expect(warmOn(node)).toBe(0);
    await deletePod(env, NS, 'new');
  });

  it('a pod with other groups does not take a warm ENI (it gets its own)', async () => {
    const node = env.sandbox.nodeNames()[1]!;
    await createPolicy(env, NS, 'db', { podSelector: { matchLabels: { app: 'db' } }, groupIds: [g[1]!] });
    await waitFor(() => env.controller.ctx.informers.policies.get(`${NS}/db`) !== undefined, { what: 'policy cached' });
    const warmId = await warmEniOn(node, 'w-old');
    await createPod(env, pinned('db-1', node, { app: 'db' }));
    const entry = annotationOf(await waitRunningAnnotated(env, NS, 'db-1'))![0]!;
    expect(entry.eniId).not.toBe(warmId);
    expect(eniGroups(env, entry.eniId)).toEqual([g[1]]);
    expect(eniExists(env, warmId)).toBe(true);
    await deletePod(env, NS, 'db-1');
  });

  it('a warm ENI is deleted when its warm time is up', async () => {
    await env.core.patchNamespacedConfigMap(
      { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_WARM]: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(() => env.controller.podSide() !== undefined, { what: 'pod side' });
    const node = env.sandbox.nodeNames()[0]!;
    const warmId = await warmEniOn(node, 'short');
    await waitFor(() => !eniExists(env, warmId), { timeoutMs: 15_000, what: `warm ENI ${warmId} deleted at expiry` });
    await env.core.patchNamespacedConfigMap(
      { name: CNI_CONFIGMAP_NAME, namespace: CNI_CONFIGMAP_NAMESPACE, body: { data: { [CONFIG_KEY_BRANCH_ENI_WARM]: String(WARM_SECONDS) } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });

  it('a restart keeps warm ENIs: a new pod takes one after the restart without creating an ENI', async () => {
    const node = env.sandbox.nodeNames()[0]!;
    const warmId = await warmEniOn(node, 'before-restart');
    await env.controller.stop();
    env.controller = await startTestController(env.sandbox, { podSide: true, webhooks: { selfRegister: true }, settings: { minCooldownSeconds: 1, branchEniWarmSeconds: WARM_SECONDS } });
    // Rebuilt from EC2 and annotations; warm again once a cooldown from the restart has passed.
    await waitFor(() => warmOn(node) > 0, { timeoutMs: 20_000, what: 'the warm ENI rebuilt as warm' });
    const creates = env.sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    await createPod(env, pinned('after-restart', node));
    const entry = annotationOf(await waitRunningAnnotated(env, NS, 'after-restart'))![0]!;
    expect(entry.eniId).toBe(warmId);
    expect(env.sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(creates);
    await deletePod(env, NS, 'after-restart');
  }, 60_000);

  it("a policy's new group reaches a running pod's ENI in place, with the event; a pod no policy selects keeps its ENI with a Warning", async () => {
    await createPod(env, podManifest(NS, 'live', { app: 'web' }));
    const entry = annotationOf(await waitRunningAnnotated(env, NS, 'live'))![0]!;
    expect(eniGroups(env, entry.eniId)).toEqual([g[0]]);
    await mergePatchCustomObject(env.custom, { group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace: NS, name: 'web' }, { spec: { securityGroups: { groupIds: [g[0], g[1]] } } });
    await waitFor(() => JSON.stringify(eniGroups(env, entry.eniId)) === JSON.stringify([g[0], g[1]].sort()), { timeoutMs: 10_000, what: 'the new group on the running ENI' });
    const updated = await waitFor(async () => (await podEvents(env, NS, 'live')).find((e) => e.reason === REASON_SECURITY_GROUPS_UPDATED), { what: 'SecurityGroupsUpdated' });
    expect(updated.message, JSON.stringify((await podEvents(env, NS, "live")).map((e) => [e.reason, e.message, e.count]))).toContain(`updated in place from [${g[0]}] to [${g[0]} ${g[1]}]`);
    // Labels change so that no policy selects it: the ENI stays as it is, and the pod is told.
    await patchPod(env, NS, 'live', { metadata: { labels: { app: 'gone' } } });
    await waitFor(async () => (await podEvents(env, NS, 'live')).some((e) => e.reason === REASON_SECURITY_GROUP_POLICY_UNMATCHED), { what: 'the unmatched warning' });
    expect(eniExists(env, entry.eniId)).toBe(true);
    expect(eniGroups(env, entry.eniId)).toEqual([g[0], g[1]].sort());
    await deletePod(env, NS, 'live');
    await mergePatchCustomObject(env.custom, { group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace: NS, name: 'web' }, { spec: { securityGroups: { groupIds: [g[0]] } } });
  });

  it('a warm ENI is deleted when its node goes', async () => {
    const node = env.sandbox.nodeNames()[1]!;
    const warmId = warmOn(node) > 0 ? (env.controller.podSide()?.nodeState(node)?.all().find((r) => r.phase === 'warm')?.eniId as string) : await warmEniOn(node, 'last');
    await env.sandbox.removeNode(node);
    await waitFor(() => !eniExists(env, warmId), { timeoutMs: 20_000, what: `warm ENI ${warmId} deleted with its node` });
  }, 40_000);
});
