// A restart whose first pod list cannot complete: the API server answers 410 Gone on a continue
// page (the list's snapshot was compacted between two pages), twice. A controller that cached the
// pages it got would see running pods as missing and could release their branch ENIs (upstream's
// issues 10 and 412). Ours caches nothing until one list completes, rebuilds from EC2 afterwards,
// and deletes no ENI of a live pod; the one pod whose ENI really is orphaned still loses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_POD_UID } from '../../../src/apis/constants.js';
import { startTestController } from '../controller-node/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  createPod,
  createPolicy,
  eniExists,
  podManifest,
  readPod,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

const PAGE = 2;

describe('controller restart over a pod list that fails with 410 Gone', () => {
  let env: PodEnv;
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', cooldownSeconds: 1, controller: { listPageSize: PAGE } });
    const [sg] = (await createGroups(env.sandbox, ['stale'])) as [string];
    await createPolicy(env, 'default', 's', { podSelector: { matchLabels: { app: 's' } }, groupIds: [sg] });
    await waitFor(() => env.controller.ctx.informers.policies.get('default/s'), { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('caches no partial list, deletes no live pod’s ENI, and allocates again once the list completes', async () => {
    // More pods than one page, so the list needs continue tokens.
    const names = ['s-0', 's-1', 's-2', 's-3', 's-4'];
    for (const n of names) await createPod(env, podManifest('default', n, { app: 's' }));
    const enis = new Map<string, string>();
    for (const n of names) enis.set(n, annotationOf(await waitRunningAnnotated(env, 'default', n))![0]!.eniId);

    await env.controller.stop();
    // One pod goes while the controller is down: its ENI is a real orphan.
    await env.core.deleteNamespacedPod({ namespace: 'default', name: 's-4', gracePeriodSeconds: 0 });
    await waitFor(async () => (await readPod(env, 'default', 's-4')) === undefined, { what: 's-4 gone' });
    const orphan = enis.get('s-4')!;
    enis.delete('s-4');

    env.sandbox.kube.faults.expireContinue('pods', 2);
    env.controller = await startTestController(env.sandbox, {
      podSide: true,
      webhooks: { selfRegister: true },
      listPageSize: PAGE,
      settings: { minCooldownSeconds: 1 },
    });
    // The informer met the 410s (and so listed again) before it synced.
    expect(env.sandbox.kube.faults.expiredAnswered('pods')).toBe(2);
    const cached = env.controller.ctx.informers.pods.list().map((p) => p.metadata?.name);
    for (const n of enis.keys()) expect(cached).toContain(n);

    // The orphan goes after the cooldown; every live pod keeps its ENI, annotation unchanged.
    await waitFor(() => !eniExists(env, orphan), { timeoutMs: 20_000, what: 'orphan ENI deleted' });
    for (const [n, eniId] of enis) {
      expect(eniExists(env, eniId), `${n}'s ENI ${eniId}`).toBe(true);
      expect(annotationOf(await readPod(env, 'default', n))![0]!.eniId).toBe(eniId);
    }
    // And the controller allocates again.
    await createPod(env, podManifest('default', 'after', { app: 's' }));
    const after = await waitRunningAnnotated(env, 'default', 'after');
    const afterEni = annotationOf(after)![0]!.eniId;
    expect([...enis.values()]).not.toContain(afterEni);
    expect(env.sandbox.ec2.world.viewEni(env.sandbox.ec2.world.requireEni(afterEni)).tags[TAG_POD_UID]).toBe(after.metadata?.uid);
    expect(await settledInvariants(env)).toEqual([]);
  }, 90_000);
});
