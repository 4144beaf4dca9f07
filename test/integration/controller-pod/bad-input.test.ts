// Bad input and failures: a garbage AdmissionReview gets a 400 naming the problem; a policy with
// malformed group IDs is rejected at apply; a union over the per-interface quota gives a clear
// event and no EC2 call; an EC2 failure mid-allocation is rolled back, reported with its cause and
// retried.
import { request } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REASON_BRANCH_ALLOCATION_FAILED, REASON_SECURITY_GROUP_QUOTA_EXCEEDED, WEBHOOK_PATH_MUTATE_POD } from '../../../src/apis/constants.js';
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
  policyManifest,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

function post(url: string, caPem: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: caPem, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('bad input and failures', () => {
  let env: PodEnv;
  let g: string[];
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1' });
    g = await createGroups(env.sandbox, ['q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
    await ensureNamespace(env, 'bad');
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  it('a garbage AdmissionReview is answered 400 with what is wrong', async () => {
    const wh = env.controller.webhooks()!;
    const notJson = await post(`${wh.url}${WEBHOOK_PATH_MUTATE_POD}`, wh.caPem, '{"apiVersion": nope');
    expect(notJson.status).toBe(400);
    expect((JSON.parse(notJson.text) as { error: string }).error).toMatch(/bad AdmissionReview: .*JSON/i);
    const noRequest = await post(`${wh.url}${WEBHOOK_PATH_MUTATE_POD}`, wh.caPem, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }));
    expect(noRequest.status).toBe(400);
    expect((JSON.parse(noRequest.text) as { error: string }).error).toContain('request');
  });

  it('a SecurityGroupPolicy with malformed group IDs is rejected at apply', async () => {
    const manifest = JSON.stringify(policyManifest('bad', 'typo', { podSelector: { matchLabels: { a: 'b' } }, groupIds: ['sg-123', 'sg-0123456789abcdef0'] }));
    const r = await kubectl(['apply', '-f', '-'], { kubeconfig: env.sandbox.kubeconfigPath, input: manifest });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.securityGroups.groupIds[0]');
    expect(r.stderr).toContain('sg-123');
    const none = JSON.stringify(policyManifest('bad', 'empty', { podSelector: { matchLabels: { a: 'b' } }, groupIds: [] }));
    const r2 = await kubectl(['apply', '-f', '-'], { kubeconfig: env.sandbox.kubeconfigPath, input: none });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('spec.securityGroups.groupIds');
  });

  it('groups over the per-interface quota: a clear Warning and no EC2 call', async () => {
    await createPolicy(env, 'bad', 'three', { podSelector: { matchLabels: { app: 'big' } }, groupIds: g.slice(0, 3) });
    await createPolicy(env, 'bad', 'three-more', { podSelector: { matchLabels: { app: 'big' } }, groupIds: g.slice(3, 6) });
    await waitFor(() => env.controller.ctx.informers.policies.get('bad/three-more'), { what: 'policies cached' });
    const creates = env.sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    await createPod(env, podManifest('bad', 'big', { app: 'big' }));
    const ev = await waitFor(async () => (await podEvents(env, 'bad', 'big')).find((e) => e.reason === REASON_SECURITY_GROUP_QUOTA_EXCEEDED), { what: 'quota event' });
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('6 security groups');
    expect(ev.message).toContain('quota of 5');
    expect(env.sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(creates);
    // Fixing the policies lets the pod through.
    await env.custom.deleteNamespacedCustomObject({ group: 'vpcresources.k8s.aws', version: 'v1beta1', plural: 'securitygrouppolicies', namespace: 'bad', name: 'three-more' });
    const pod = await waitRunningAnnotated(env, 'bad', 'big');
    expect(annotationOf(pod)).toHaveLength(1);
    await env.core.deleteNamespacedPod({ namespace: 'bad', name: 'big' });
  });

  it('an EC2 failure after the create is rolled back, reported with its cause, and retried', async () => {
    await createPolicy(env, 'bad', 'flaky', { podSelector: { matchLabels: { app: 'flaky' } }, groupIds: [g[0]!] });
    await waitFor(() => env.controller.ctx.informers.policies.get('bad/flaky'), { what: 'policy cached' });
    // Twice: the gateway resends a transient failure of a token-carrying call once by itself.
    env.sandbox.ec2.control.injectFault('AssociateTrunkInterface', { code: 'InternalError', count: 2 });
    const createsBefore = env.sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    await createPod(env, podManifest('bad', 'flaky', { app: 'flaky' }));
    const ev = await waitFor(async () => (await podEvents(env, 'bad', 'flaky')).find((e) => e.reason === REASON_BRANCH_ALLOCATION_FAILED), { what: 'BranchAllocationFailed' });
    expect(ev.type).toBe('Warning');
    expect(ev.message).toMatch(/^failed to allocate branch ENI to pod: AssociateTrunkInterface failed: InternalError/);
    const pod = await waitRunningAnnotated(env, 'bad', 'flaky', 15_000);
    const [entry] = annotationOf(pod)!;
    expect(eniExists(env, entry!.eniId)).toBe(true);
    // The first ENI was deleted again: one create per attempt, one ENI left.
    expect(env.sandbox.ec2.control.counter('CreateNetworkInterface').calls - createsBefore).toBe(2);
    const mine = env.sandbox.ec2.world.listEnis().filter((e) => e.tags['vpcresources.k8s.aws/pod-uid'] === pod.metadata?.uid);
    expect(mine.map((e) => e.networkInterfaceId)).toEqual([entry!.eniId]);
    await env.core.deleteNamespacedPod({ namespace: 'bad', name: 'flaky' });
  });
});
