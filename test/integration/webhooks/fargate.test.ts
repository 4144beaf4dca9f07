// Fargate pods through the local API server (issue 9 item 4): the registered webhooks give a pod
// labelled with a Fargate profile its groups in `fargate.amazonaws.com/pod-sg` (no pod-eni request),
// and changing that annotation afterwards as kubernetes-admin is denied, as upstream.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { makeKubeClients } from '../../../src/kube/client.js';
import { messageOf } from '../../../src/kube/errors.js';
import { mergePatchPod } from '../../../src/kube/patch.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { buildKubeconfigYaml, kubeConfigFor, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { startWebhooks, type RunningWebhooks } from '../../../src/webhooks/index.js';
import { kubectl } from '../helpers/kubectl.js';

const ENI = 'vpc.amazonaws.com/pod-eni';
const POD_SG = 'fargate.amazonaws.com/pod-sg';
const NS = 'serverless';
const SG_WEB = 'sg-0a1b2c3d4e5f60718';
const SG_DB = 'sg-0f1e2d3c4b5a69788';
// Two policies select the pod; the annotation lists their groups in policy order (by name).
const policies = [
  { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'b-db', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [SG_DB] } } },
  { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'a-web', namespace: NS }, spec: { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [SG_WEB, SG_DB] } } },
];

let kube: LocalKube;
let webhooks: RunningWebhooks;
let admin: CoreV1Api;
let controller: CoreV1Api;
let dir: string;
let kubeconfig: string;

async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: messageOf(err) };
    throw err;
  }
  throw new Error('expected the API server to reject the request');
}

const fargatePod = (name: string, annotations?: Record<string, string>) => ({
  metadata: { name, labels: { app: 'web', 'eks.amazonaws.com/fargate-profile': 'fp-default' }, ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
});

beforeAll(async () => {
  kube = await startLocalKube();
  admin = makeKubeClients(kubeConfigFor(kube, 'admin', 'https')).core;
  controller = makeKubeClients(kubeConfigFor(kube, 'controller', 'https')).core;
  webhooks = await startWebhooks({
    logger: silentLogger(),
    register: { api: makeKubeClients(kubeConfigFor(kube, 'admin', 'https')).admission },
    policies: { listPolicies: (ns) => policies.filter((p) => p.metadata.namespace === ns), serviceAccountLabels: () => ({}) },
  });
  dir = await mkdtemp(join(tmpdir(), 'vpcrc-fargate-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, buildKubeconfigYaml(kube));
  await admin.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await webhooks?.close();
  await kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a Fargate pod matching SecurityGroupPolicies', () => {
  it('is admitted with fargate.amazonaws.com/pod-sg (policy order, no duplicates) and without any pod-eni request', async () => {
    const created = await admin.createNamespacedPod({ namespace: NS, body: fargatePod('web') });
    expect(created.metadata?.annotations?.[POD_SG]).toBe(`${SG_WEB},${SG_DB}`);
    for (const c of created.spec?.containers ?? []) {
      expect(c.resources?.limits?.[ENI]).toBeUndefined();
      expect(c.resources?.requests?.[ENI]).toBeUndefined();
    }
    const stored = await admin.readNamespacedPod({ name: 'web', namespace: NS });
    expect(stored.metadata?.annotations?.[POD_SG]).toBe(`${SG_WEB},${SG_DB}`);
  });

  it('a pod-sg value written by the creator is replaced by the matched groups', async () => {
    const created = await admin.createNamespacedPod({ namespace: NS, body: fargatePod('forged', { [POD_SG]: 'sg-0ffffffffffffffff' }) });
    expect(created.metadata?.annotations?.[POD_SG]).toBe(`${SG_WEB},${SG_DB}`);
  });

  it('changing the annotation afterwards as kubernetes-admin is denied (kubectl and the API); the controller identity may', async () => {
    const denied = await kubectl(['-n', NS, 'annotate', '--overwrite', 'pod', 'web', `${POD_SG}=sg-0ffffffffffffffff`], { kubeconfig });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('admission webhook "vpod.vpc.k8s.aws" denied the request');
    expect(denied.stderr).toContain(`user "kubernetes-admin" may not change the ${POD_SG} annotation on pod ${NS}/web`);
    const removed = await rejection(mergePatchPod(admin, NS, 'web', { metadata: { annotations: { [POD_SG]: null } } }));
    expect(removed.code).toBe(403);
    expect(removed.message).toContain(`may not remove the ${POD_SG} annotation`);
    expect((await admin.readNamespacedPod({ name: 'web', namespace: NS })).metadata?.annotations?.[POD_SG]).toBe(`${SG_WEB},${SG_DB}`);
    const byController = await mergePatchPod(controller, NS, 'web', { metadata: { annotations: { [POD_SG]: SG_WEB } } });
    expect(byController.metadata?.annotations?.[POD_SG]).toBe(SG_WEB);
  });
});

describe('a Fargate pod matching no policy', () => {
  it('created with a pod-sg annotation is stored without it', async () => {
    const body = fargatePod('other', { [POD_SG]: SG_WEB });
    body.metadata.labels.app = 'batch';
    const created = await admin.createNamespacedPod({ namespace: NS, body });
    expect(created.metadata?.annotations?.[POD_SG]).toBeUndefined();
  });
});
