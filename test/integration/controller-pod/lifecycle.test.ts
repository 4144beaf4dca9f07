// Branch ENI lifecycle on one m5.large (9 branch ENIs): Job-style pods that complete release
// theirs; more matching pods than capacity wait in FailedScheduling with the Insufficient message
// and run once capacity frees (never more than 9 branch ENIs on the trunk, cooling ones counted);
// a pod asking for 2 gets 2; the annotation cannot be forged; aws-node may change only its labels.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION_COMPLETE_AFTER_SECONDS, ANNOTATION_POD_ENI, LABEL_HAS_TRUNK_ATTACHED, RESOURCE_POD_ENI } from '../../../src/apis/constants.js';
import { kubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  createPod,
  createPolicy,
  eniExists,
  ensureNamespace,
  podEvents,
  podManifest,
  readPod,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

describe('branch ENI lifecycle on one m5.large', () => {
  let env: PodEnv;
  let sg: string;
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1' });
    [sg] = (await createGroups(env.sandbox, ['life'])) as [string];
    await ensureNamespace(env, 'life');
    await createPolicy(env, 'life', 'all', { podSelector: { matchLabels: { sgp: 'yes' } }, groupIds: [sg] });
    await waitFor(() => env.controller.ctx.informers.policies.get('life/all'), { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  const branchCount = (): number => env.sandbox.ec2.world.listEnis().filter((e) => e.tags['vpcresources.k8s.aws/pod-uid'] !== undefined).length;

  it('completed Job-style pods release their branch ENIs after the cooldown', async () => {
    await Promise.all(
      ['job-0', 'job-1'].map((name) => createPod(env, podManifest('life', name, { sgp: 'yes' }, { annotations: { [ANNOTATION_COMPLETE_AFTER_SECONDS]: '1' } }))),
    );
    const enis = await Promise.all(
      ['job-0', 'job-1'].map(async (name) => annotationOf(await waitFor(async () => {
        const p = await readPod(env, 'life', name);
        return annotationOf(p) ? p : undefined;
      }, { what: `${name} annotated` }))![0]!.eniId),
    );
    await waitFor(async () => (await readPod(env, 'life', 'job-0'))?.status?.phase === 'Succeeded' && (await readPod(env, 'life', 'job-1'))?.status?.phase === 'Succeeded', { what: 'jobs Succeeded' });
    // The pods stay (as Job pods do); their ENIs go.
    await waitFor(() => enis.every((id) => !eniExists(env, id)), { timeoutMs: 10_000, what: 'completed pods’ ENIs deleted' });
    expect(await readPod(env, 'life', 'job-0')).toBeDefined();
    await env.core.deleteCollectionNamespacedPod({ namespace: 'life' });
    await waitFor(async () => (await env.core.listNamespacedPod({ namespace: 'life' })).items.length === 0, { what: 'pods gone' });
  });

  it('more matching pods than capacity: FailedScheduling with the Insufficient message, scheduled once capacity frees', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `cap-${i}`);
    for (const n of names) await createPod(env, podManifest('life', n, { sgp: 'yes' }));
    await waitFor(async () => {
      const pods = (await env.core.listNamespacedPod({ namespace: 'life' })).items;
      return pods.filter((p) => annotationOf(p) && p.status?.phase === 'Running').length === 9;
    }, { timeoutMs: 20_000, what: '9 pods running with branch ENIs' });
    const pending = (await env.core.listNamespacedPod({ namespace: 'life' })).items.filter((p) => !p.spec?.nodeName).map((p) => p.metadata!.name!);
    expect(pending).toHaveLength(2);
    const failed = await waitFor(async () => (await podEvents(env, 'life', pending[0]!)).find((e) => e.reason === 'FailedScheduling'), { what: 'FailedScheduling' });
    expect(failed.message).toContain(`1 Insufficient ${RESOURCE_POD_ENI}`);
    expect(branchCount()).toBe(9);

    // Two go away: the two waiting pods are scheduled; each gets a branch ENI only once a cooling
    // one is deleted (capacity counts cooling ENIs), so the trunk never holds more than 9.
    const running = names.filter((n) => !pending.includes(n)).slice(0, 2);
    let maxSeen = 0;
    const watch = setInterval(() => (maxSeen = Math.max(maxSeen, branchCount())), 20);
    try {
      for (const n of running) await env.core.deleteNamespacedPod({ namespace: 'life', name: n });
      for (const n of pending) await waitRunningAnnotated(env, 'life', n, 20_000);
    } finally {
      clearInterval(watch);
    }
    expect(maxSeen).toBeLessThanOrEqual(9);
    // VLANs stay unique and within the limit.
    const vlans = env.sandbox.ec2.world.listTrunkAssociations().map((a) => a.vlanId);
    expect(new Set(vlans).size).toBe(vlans.length);
    expect(vlans.length).toBe(9);
    await env.core.deleteCollectionNamespacedPod({ namespace: 'life' });
    await waitFor(async () => (await env.core.listNamespacedPod({ namespace: 'life' })).items.length === 0, { what: 'pods gone' });
  });

  it('a pod asking for two branch ENIs gets two, on distinct VLANs', async () => {
    const pod = podManifest('life', 'two', { other: 'x' });
    pod.spec!.containers[0]!.resources = { limits: { [RESOURCE_POD_ENI]: '2' }, requests: { [RESOURCE_POD_ENI]: '2' } };
    await createPod(env, pod);
    const p = await waitRunningAnnotated(env, 'life', 'two');
    const entries = annotationOf(p)!;
    expect(entries).toHaveLength(2);
    expect(new Set(entries.map((e) => e.vlanId)).size).toBe(2);
    expect(p.status?.podIP).toBe(entries[0]!.privateIp);
    // No policy selects it: the trunk's groups apply, with a Warning saying so.
    const warn = (await podEvents(env, 'life', 'two')).find((e) => e.reason === 'SecurityGroupRequested');
    expect(warn?.type).toBe('Warning');
    expect(warn?.message).toContain("the node's trunk security groups [sg-");
    await env.core.deleteNamespacedPod({ namespace: 'life', name: 'two' });
  });

  it('a pod bound to a node before its trunk is ready gets its branch ENI as soon as the trunk is', async () => {
    const [name] = await env.sandbox.addNodes('m5.large=1');
    const pod = podManifest('life', 'early', { sgp: 'yes' });
    pod.spec!.nodeName = name;
    pod.spec!.containers[0]!.resources = { limits: { [RESOURCE_POD_ENI]: '1' }, requests: { [RESOURCE_POD_ENI]: '1' } };
    await createPod(env, pod);
    // Bound at once, while the new node has no trunk yet.
    expect(env.controller.ctx.trunks.get(name!)).toBeUndefined();
    const p = await waitRunningAnnotated(env, 'life', 'early', 20_000);
    expect(p.spec?.nodeName).toBe(name);
    const trunk = env.controller.ctx.trunks.get(name!);
    expect(env.sandbox.ec2.world.listTrunkAssociations().find((a) => a.branchInterfaceId === annotationOf(p)![0]!.eniId)?.trunkInterfaceId).toBe(trunk?.trunkEniId);
    await env.core.deleteNamespacedPod({ namespace: 'life', name: 'early' });
  });

  it('the annotation cannot be forged: not at create, not by an admin patch; the controller may set it', async () => {
    const kubeconfig = env.sandbox.kubeconfigPath;
    const forged = JSON.stringify([{ eniId: 'eni-0123456789abcdef0', ifAddress: '02:00:00:00:00:01', privateIp: '10.0.0.99', vlanId: 7, subnetCidr: '10.0.0.0/19' }]);
    const withAnn = JSON.stringify(podManifest('life', 'forged', { app: 'f' }, { annotations: { [ANNOTATION_POD_ENI]: forged } }));
    const create = await kubectl(['create', '-f', '-'], { kubeconfig, input: withAnn });
    expect(create.code).not.toBe(0);
    expect(create.stderr).toContain('vpc.amazonaws.com/pod-eni');
    expect(create.stderr).toContain('denied');

    await createPod(env, podManifest('life', 'plain', { app: 'p' }));
    const patch = JSON.stringify({ metadata: { annotations: { [ANNOTATION_POD_ENI]: forged } } });
    const asAdmin = await kubectl(['patch', 'pod', 'plain', '-n', 'life', '--type', 'merge', '-p', patch], { kubeconfig });
    expect(asAdmin.code).not.toBe(0);
    expect(asAdmin.stderr).toContain('user "kubernetes-admin" may not add the vpc.amazonaws.com/pod-eni annotation on pod life/plain');
    const asController = await kubectl(['patch', 'pod', 'plain', '-n', 'life', '--type', 'merge', '-p', patch], { kubeconfig, context: 'controller' });
    expect(asController.stderr).toBe('');
    expect(asController.code).toBe(0);
    expect((await readPod(env, 'life', 'plain'))?.metadata?.annotations?.[ANNOTATION_POD_ENI]).toBe(forged);
    await env.core.deleteNamespacedPod({ namespace: 'life', name: 'plain', gracePeriodSeconds: 0 });
    await waitFor(async () => (await readPod(env, 'life', 'plain')) === undefined, { what: 'plain gone' });
  });

  it('aws-node may change only its two node labels', async () => {
    const kubeconfig = env.sandbox.kubeconfigPath;
    const [node] = (await env.core.listNode()).items;
    const name = node!.metadata!.name!;
    const ok = await kubectl(['label', 'node', name, `${LABEL_HAS_TRUNK_ATTACHED}=true`, 'vpc.amazonaws.com/eniConfig=zone-a', '--overwrite'], { kubeconfig, context: 'aws-node' });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const denied = await kubectl(['label', 'node', name, 'team=payments'], { kubeconfig, context: 'aws-node' });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('may change only the labels vpc.amazonaws.com/has-trunk-attached and vpc.amazonaws.com/eniConfig');
    expect(denied.stderr).toContain('metadata.labels["team"]');
    const asAdmin = await kubectl(['label', 'node', name, 'team=payments'], { kubeconfig });
    expect(asAdmin.code).toBe(0);
  });
});
