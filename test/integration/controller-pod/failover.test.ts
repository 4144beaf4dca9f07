// Two replicas of the built controller with --leader-elect against the sandbox, as the shipped
// two-replica Deployment runs them: both are ready and answer admission while only the leader
// reconciles; SIGKILL the leader (no lease release) and the standby takes over within the lease
// duration, pods keep getting branch ENIs, and no pod's ENI is created twice.
import { request as httpsRequest } from 'node:https';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_ELECTION_LEASE, LEADER_ELECTION_NAMESPACE, TAG_POD_UID, WEBHOOK_PATH_MUTATE_POD } from '../../../src/apis/constants.js';
import type { AdmissionReview } from '../../../src/webhooks/admission-review.js';
import { decodePatch, pod, podReview } from '../../unit/webhooks/fixtures.js';
import { spawnController, type ControllerProcess } from '../helpers/controller-process.js';
import { checkInvariants } from '../helpers/invariants.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { annotationOf, createGroups, podManifest, policyManifest } from './helpers.js';

const LEASE_SECONDS = 4;
const LEASE = ['--leader-elect', '--leader-elect-lease-duration', String(LEASE_SECONDS), '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '0.5'];
// Self-registered (the sandbox has no Service in front of the replicas): the last replica to
// register owns the configurations, here the standby, which is the one left after the kill.
const WEBHOOKS = ['--webhook-self-register', '--webhook-failure-policy', 'Fail'];

/** POSTs an AdmissionReview to a replica's webhook server (self-signed: the test does not pin the CA). */
function admit(baseUrl: string, review: unknown): Promise<AdmissionReview> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${baseUrl}${WEBHOOK_PATH_MUTATE_POD}`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text) as AdmissionReview);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(review));
  });
}

describe('two controller replicas with leader election', () => {
  let sandbox: Awaited<ReturnType<typeof startTestSandbox>>;
  let core: CoreV1Api;
  const procs: ControllerProcess[] = [];
  beforeAll(async () => {
    sandbox = await startTestSandbox({ nodes: 'm5.large=2', retryUnschedulableMs: 1_000 });
    const kc = sandbox.kubeConfigFor('admin');
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    const [group] = await createGroups(sandbox, ['web']);
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'vpcresources.k8s.aws',
      version: 'v1beta1',
      namespace: 'shop',
      plural: 'securitygrouppolicies',
      body: policyManifest('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, groupIds: [group as string] }),
    });
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await sandbox?.stop();
  });

  const holder = async (): Promise<string | undefined> =>
    (await sandbox.kubeConfigFor('admin').makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: LEADER_ELECTION_NAMESPACE, name: LEADER_ELECTION_LEASE })).spec?.holderIdentity;
  const readyz = async (url: string): Promise<number> => (await fetch(`${url}/readyz`)).status;
  const annotated = async (name: string): Promise<V1Pod | undefined> => {
    const p = await core.readNamespacedPod({ namespace: 'shop', name });
    return annotationOf(p) ? p : undefined;
  };

  it('both replicas are ready and answer admission; after SIGKILL of the leader the standby allocates within the lease duration', async () => {
    const a = spawnController(sandbox, [...LEASE, '--leader-elect-identity', 'a', ...WEBHOOKS]);
    procs.push(a);
    const aHealth = await a.healthUrl;
    await waitFor(async () => (await holder()) === 'a', { timeoutMs: 30_000, what: 'a to hold the lease' });
    const b = spawnController(sandbox, [...LEASE, '--leader-elect-identity', 'b', ...WEBHOOKS]);
    procs.push(b);
    const [bHealth, aHooks, bHooks] = await Promise.all([b.healthUrl, a.webhookUrl, b.webhookUrl]);

    // Both ready (the standby too: it has synced caches and a serving certificate) …
    await waitFor(async () => (await readyz(aHealth)) === 200 && (await readyz(bHealth)) === 200, { timeoutMs: 30_000, what: 'both /readyz 200' });
    expect(await holder()).toBe('a');
    expect(await (await fetch(`${bHealth}/readyz`)).text()).toContain('[+]webhooks ok');
    // … and both answer admission from their caches: a matching pod gets the pod-eni request.
    for (const url of [aHooks, bHooks]) {
      const review = podReview({ object: pod({ containers: [{ name: 'app', image: 'nginx' }] }, { name: 'probe', labels: { app: 'web' } }) });
      const out = await admit(url, review);
      expect(out.response?.allowed).toBe(true);
      expect(JSON.stringify(decodePatch(out))).toContain('vpc.amazonaws.com/pod-eni');
    }

    // The leader allocates.
    await core.createNamespacedPod({ namespace: 'shop', body: podManifest('shop', 'before', { app: 'web' }) });
    await waitFor(() => annotated('before'), { timeoutMs: 30_000, what: 'the leader to give pod "before" a branch ENI' });
    expect(b.logs.some((l) => l.msg === 'reconcilers started')).toBe(false);

    // SIGKILL: the lease is not released; the standby must wait it out, then take over.
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    await core.createNamespacedPod({ namespace: 'shop', body: podManifest('shop', 'after', { app: 'web' }) });
    await waitFor(() => annotated('after'), { timeoutMs: 60_000, intervalMs: 100, what: 'the standby to give pod "after" a branch ENI' });
    const took = Date.now() - killedAt;
    expect(await holder()).toBe('b');
    // The lease duration, plus the reconcilers' start and one allocation (a loaded 2-core machine).
    expect(took).toBeLessThan((LEASE_SECONDS + 8) * 1000);
    expect(await readyz(bHealth)).toBe(200);

    // No ENI created twice: one branch ENI per pod UID, all distinct, and the sandbox's invariants hold.
    const pods = (await core.listNamespacedPod({ namespace: 'shop' })).items;
    const enis = sandbox.ec2.world.listEnis().filter((e) => e.interfaceType === 'branch');
    for (const p of pods) {
      const mine = enis.filter((e) => e.tags[TAG_POD_UID] === p.metadata?.uid);
      expect(mine, `branch ENIs of pod ${p.metadata?.name}`).toHaveLength(1);
      expect(annotationOf(p)?.[0]?.eniId).toBe(mine[0]?.networkInterfaceId);
    }
    expect(await checkInvariants(sandbox, {})).toEqual([]);
  }, 180_000);
});
