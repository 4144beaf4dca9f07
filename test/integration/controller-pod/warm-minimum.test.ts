// The warm minimum (issue 14, optional item), against the local API server and EC2: with
// branch-eni-min-warm 2, a node where a matched pod ran holds 2 warm or cooling ENIs of its group
// set (read from the local EC2); a new pod takes one with no create at that moment; a group set
// unused for longer than the window gets no top-ups and its warm ENIs expire. Invariants at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_TRUNK_ENI_ID, TAG_WARM } from '../../../src/apis/constants.js';
import { startTestController } from '../controller-node/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { annotationOf, createGroups, createPod, createPolicy, deletePod, ensureNamespace, podManifest, settledInvariants, startPodEnv, waitRunningAnnotated, type PodEnv } from './helpers.js';

const NS = 'min-warm';
// Short, so that the window and the expiry are seen within the test.
const WARM_SECONDS = 6;
const WINDOW_SECONDS = 12;
const SETTINGS = { branchEniWarmSeconds: WARM_SECONDS, branchEniMinWarm: 2, branchEniMinWarmWindowSeconds: WINDOW_SECONDS };

describe('warm minimum per node and group set', () => {
  let env: PodEnv;
  let g: string[];
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', controller: { settings: SETTINGS } });
    g = await createGroups(env.sandbox, ['a']);
    await ensureNamespace(env, NS);
    await createPolicy(env, NS, 'web', { podSelector: { matchLabels: { app: 'web' } }, groupIds: [g[0]!] });
    await waitFor(() => env.controller.ctx.informers.policies.get(`${NS}/web`) !== undefined, { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  const creates = (): number => env.sandbox.ec2.control.counter('CreateNetworkInterface').calls;
  const pinned = (name: string, node: string) => {
    const p = podManifest(NS, name, { app: 'web' });
    p.spec!.nodeName = node;
    return p;
  };
  /** Branch ENIs of group set [a] on the node's trunk in the local EC2, except those named. */
  const groupEnis = (node: string, except: readonly string[] = []) => {
    const trunk = env.controller.ctx.trunks.get(node)?.trunkEniId;
    return env.sandbox.ec2.world
      .listEnis()
      .filter((e) => e.tags[TAG_TRUNK_ENI_ID] === trunk && e.groups.length === 1 && e.groups[0] === g[0] && !except.includes(e.networkInterfaceId));
  };
  const associated = (eniId: string): boolean => env.sandbox.ec2.world.listTrunkAssociations().some((a) => a.branchInterfaceId === eniId);

  it('keeps 2 warm ENIs of the group set on the node where a matched pod runs; a new pod takes one with no create', async () => {
    const node = env.sandbox.nodeNames()[0]!;
    const before = creates();
    await createPod(env, pinned('p1', node));
    const p1Eni = annotationOf(await waitRunningAnnotated(env, NS, 'p1'))![0]!.eniId;
    // Two top-ups (background pool, after the 5 s settle), associated and tagged warm at create.
    // (EC2 shows the association a moment before the controller has the answer: wait for both.)
    await waitFor(
      () => groupEnis(node, [p1Eni]).filter((e) => e.tags[TAG_WARM] === 'true' && associated(e.networkInterfaceId)).length === 2 && env.controller.podSide()?.nodeState(node)?.counts().warm === 2,
      { timeoutMs: 20_000, what: '2 warm top-ups of the group set on the node' },
    );
    expect(creates()).toBe(before + 3);
    const warmIds = groupEnis(node, [p1Eni]).map((e) => e.networkInterfaceId);

    // A new pod of the same groups: one of them, no EC2 create at that moment.
    const atStart = creates();
    await createPod(env, pinned('p2', node));
    const p2Eni = annotationOf(await waitRunningAnnotated(env, NS, 'p2'))![0]!.eniId;
    expect(warmIds).toContain(p2Eni);
    expect(creates()).toBe(atStart);
    // The shortfall lasted: topped up to 2 again.
    await waitFor(() => groupEnis(node, [p1Eni, p2Eni]).filter((e) => associated(e.networkInterfaceId)).length === 2, { timeoutMs: 20_000, what: 'the minimum restored' });
    expect(creates()).toBe(atStart + 1);

    // A replaced pod: its ENI cools and counts toward the minimum — no create for it.
    const atReplace = creates();
    await deletePod(env, NS, 'p2');
    await createPod(env, pinned('p3', node));
    const p3Eni = annotationOf(await waitRunningAnnotated(env, NS, 'p3'))![0]!.eniId;
    expect(p3Eni).not.toBe(p2Eni);
    await new Promise((r) => setTimeout(r, 7_000));
    expect(creates()).toBe(atReplace);
    await deletePod(env, NS, 'p1');
    await deletePod(env, NS, 'p3');
  }, 90_000);

  it('a restart keeps the warm ENIs (found from their tags): no top-up is made again, and a new pod takes one with no create', async () => {
    const node = env.sandbox.nodeNames()[0]!;
    await createPod(env, pinned('r1', node));
    const r1Eni = annotationOf(await waitRunningAnnotated(env, NS, 'r1'))![0]!.eniId;
    await waitFor(() => env.controller.podSide()?.nodeState(node)?.counts().warm === 2 && groupEnis(node, [r1Eni]).filter((e) => associated(e.networkInterfaceId)).length >= 2, {
      timeoutMs: 20_000,
      what: 'the minimum on the node before the restart',
    });
    await env.controller.stop();
    // Read after the stop: a top-up still in flight when the minimum was first seen is there too.
    const ready = new Set(groupEnis(node, [r1Eni]).map((e) => e.networkInterfaceId));
    env.controller = await startTestController(env.sandbox, { podSide: true, webhooks: { selfRegister: true }, settings: { minCooldownSeconds: 1, ...SETTINGS } });
    const atRestart = creates();
    // Rebuilt from EC2: no live pod names them, so after a cooldown counted from the restart they are warm again.
    await waitFor(() => (env.controller.podSide()?.nodeState(node)?.counts().warm ?? 0) >= 2, { timeoutMs: 20_000, what: 'the warm ENIs rebuilt as warm' });
    const warmAfter = env.controller.podSide()?.nodeState(node)?.all().filter((r) => r.phase === 'warm').map((r) => r.eniId) ?? [];
    for (const id of warmAfter) expect(ready.has(id)).toBe(true);
    await new Promise((r) => setTimeout(r, 7_000));
    expect(creates()).toBe(atRestart);
    await createPod(env, pinned('r2', node));
    const r2Eni = annotationOf(await waitRunningAnnotated(env, NS, 'r2'))![0]!.eniId;
    expect(ready.has(r2Eni)).toBe(true);
    expect(creates()).toBe(atRestart);
    await deletePod(env, NS, 'r1');
    await deletePod(env, NS, 'r2');
  }, 90_000);

  it('no top-ups for a group set unused for longer than the window: its warm ENIs expire and are deleted', async () => {
    const node = env.sandbox.nodeNames()[0]!;
    const atEnd = creates();
    // Renewed at expiry while the group set is recent, then deleted; nothing made meanwhile.
    await waitFor(() => groupEnis(node).length === 0, { timeoutMs: (WINDOW_SECONDS + 3 * WARM_SECONDS + 10) * 1000, what: 'every ENI of the unused group set deleted' });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(creates()).toBe(atEnd);
    expect(await settledInvariants(env)).toEqual([]);
  }, 90_000);
});
