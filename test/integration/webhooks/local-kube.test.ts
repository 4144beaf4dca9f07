// The webhooks registered on the local API server and exercised with @kubernetes/client-node as
// the sandbox identities (admin, controller, aws-node): the API server calls them over TLS with
// the registered caBundle, applies the JSON patch, and reports denials with their message.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { makeKubeClients } from '../../../src/kube/client.js';
import { messageOf } from '../../../src/kube/errors.js';
import { mergePatchNode, mergePatchPod } from '../../../src/kube/patch.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { buildKubeconfigYaml, kubeConfigFor, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { kubectl } from '../helpers/kubectl.js';
import { startWebhooks, type RunningWebhooks } from '../../../src/webhooks/index.js';

const ENI = 'vpc.amazonaws.com/pod-eni';
const NS = 'shop';
const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';
const ANNOTATION = '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","vlanId":1,"subnetCidr":"192.168.0.0/19"}]';

const policies = [
  {
    apiVersion: 'vpcresources.k8s.aws/v1beta1',
    kind: 'SecurityGroupPolicy',
    metadata: { name: 'demo', namespace: NS },
    spec: { podSelector: { matchLabels: { role: 'demo-sg' } }, securityGroups: { groupIds: ['sg-079157a483bcb371f'] } },
  },
  {
    apiVersion: 'vpcresources.k8s.aws/v1beta1',
    kind: 'SecurityGroupPolicy',
    metadata: { name: 'demo', namespace: 'kube-system' },
    spec: { podSelector: { matchLabels: { role: 'demo-sg' } }, securityGroups: { groupIds: ['sg-079157a483bcb371f'] } },
  },
];

let kube: LocalKube;
let webhooks: RunningWebhooks;
let admin: CoreV1Api;
let controller: CoreV1Api;
let awsNode: CoreV1Api;
let dir: string;
let kubeconfig: string;

function podBody(name: string, labels: Record<string, string>, extra: { annotations?: Record<string, string> } = {}): V1Pod {
  return {
    metadata: { name, labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'amazon/aws-cli', resources: { requests: { cpu: '100m' } } }, { name: 'sidecar', image: 'envoy' }] },
  };
}

/** The rejection of a Kubernetes call: HTTP status and the Status message. */
async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: messageOf(err) };
    throw err;
  }
  throw new Error('expected the API server to reject the request');
}

beforeAll(async () => {
  kube = await startLocalKube();
  admin = makeKubeClients(kubeConfigFor(kube, 'admin', 'https')).core;
  controller = makeKubeClients(kubeConfigFor(kube, 'controller', 'https')).core;
  awsNode = makeKubeClients(kubeConfigFor(kube, 'awsNode', 'https')).core;
  const admission = makeKubeClients(kubeConfigFor(kube, 'admin', 'https')).admission;
  webhooks = await startWebhooks({
    logger: silentLogger(),
    register: { api: admission },
    policies: {
      listPolicies: (ns) => policies.filter((p) => p.metadata.namespace === ns),
      serviceAccountLabels: async (ns, name) => {
        try {
          return (await admin.readNamespacedServiceAccount({ name, namespace: ns })).metadata?.labels ?? {};
        } catch {
          return undefined;
        }
      },
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'vpcrc-webhooks-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, buildKubeconfigYaml(kube));
  await admin.createNamespace({ body: { metadata: { name: NS } } });
  await admin.createNode({
    body: {
      metadata: { name: NODE, labels: { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm5.large' } },
      spec: { providerID: 'aws:///us-west-2a/i-0123456789abcdef0' },
    },
  });
});

afterAll(async () => {
  await webhooks?.close();
  await kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mpod through the API server', () => {
  it('a matching pod is stored with container[0] pod-eni limit and request, other resources kept', async () => {
    const created = await admin.createNamespacedPod({ namespace: NS, body: podBody('aws-cli', { role: 'demo-sg' }) });
    const [app, sidecar] = created.spec?.containers ?? [];
    expect(app?.resources?.limits).toEqual({ [ENI]: '1' });
    expect(app?.resources?.requests).toEqual({ cpu: '100m', [ENI]: '1' });
    expect(sidecar?.resources?.limits?.[ENI]).toBeUndefined();
    const stored = await admin.readNamespacedPod({ name: 'aws-cli', namespace: NS });
    expect(stored.spec?.containers[0]?.resources?.limits?.[ENI]).toBe('1');
  });

  it('a pod matching no policy is stored unchanged', async () => {
    const created = await admin.createNamespacedPod({ namespace: NS, body: podBody('plain', { role: 'web' }) });
    expect(created.spec?.containers[0]?.resources?.limits?.[ENI]).toBeUndefined();
    expect(created.spec?.containers[0]?.resources?.requests).toEqual({ cpu: '100m' });
  });

  it('kube-system is out of the mutating webhook’s scope (namespaceSelector)', async () => {
    const created = await admin.createNamespacedPod({ namespace: 'kube-system', body: podBody('sys', { role: 'demo-sg' }) });
    expect(created.spec?.containers[0]?.resources?.limits?.[ENI]).toBeUndefined();
  });

  it('the controller’s own pods are out of scope (objectSelector)', async () => {
    const created = await admin.createNamespacedPod({
      namespace: NS,
      body: podBody('vpcrc', { role: 'demo-sg', 'app.kubernetes.io/name': 'vpc-resource-controller' }),
    });
    expect(created.spec?.containers[0]?.resources?.limits?.[ENI]).toBeUndefined();
  });
});

describe('vpod through the API server: the pod-eni annotation', () => {
  it('creating a pod with it is denied, naming the annotation and the user', async () => {
    const r = await rejection(admin.createNamespacedPod({ namespace: NS, body: podBody('forged', { role: 'web' }, { annotations: { [ENI]: ANNOTATION } }) }));
    expect(r.code).toBe(403);
    expect(r.message).toContain('admission webhook "vpod.vpc.k8s.aws" denied the request');
    expect(r.message).toContain(`pod cannot be created with the ${ENI} annotation`);
    expect(r.message).toContain('user "kubernetes-admin"');
    await expect(admin.readNamespacedPod({ name: 'forged', namespace: NS })).rejects.toThrow();
  });

  it('admin adding it by patch is denied; the controller may add it; admin may not remove or change it; the controller may', async () => {
    await admin.createNamespacedPod({ namespace: NS, body: podBody('target', { role: 'web' }) });
    const add = await rejection(mergePatchPod(admin, NS, 'target', { metadata: { annotations: { [ENI]: ANNOTATION } } }));
    expect(add.code).toBe(403);
    expect(add.message).toContain(`user "kubernetes-admin" may not add the ${ENI} annotation on pod ${NS}/target`);

    const annotated = await mergePatchPod(controller, NS, 'target', { metadata: { annotations: { [ENI]: ANNOTATION } } });
    expect(annotated.metadata?.annotations?.[ENI]).toBe(ANNOTATION);

    const remove = await rejection(mergePatchPod(admin, NS, 'target', { metadata: { annotations: { [ENI]: null } } }));
    expect(remove.message).toContain(`may not remove the ${ENI} annotation`);
    const change = await rejection(mergePatchPod(admin, NS, 'target', { metadata: { annotations: { [ENI]: '[]' } } }));
    expect(change.message).toContain(`may not change the ${ENI} annotation`);

    // Other edits by admin are fine and leave the annotation alone.
    const relabelled = await mergePatchPod(admin, NS, 'target', { metadata: { labels: { team: 'payments' } } });
    expect(relabelled.metadata?.annotations?.[ENI]).toBe(ANNOTATION);

    const cleared = await mergePatchPod(controller, NS, 'target', { metadata: { annotations: { [ENI]: null } } });
    expect(cleared.metadata?.annotations?.[ENI]).toBeUndefined();
  });
});

describe('with kubectl', () => {
  it('kubectl annotate as admin is refused with the webhook’s message; as the controller it works', async () => {
    await admin.createNamespacedPod({ namespace: NS, body: podBody('kubectl-target', { role: 'web' }) });
    const denied = await kubectl(['-n', NS, 'annotate', 'pod', 'kubectl-target', `${ENI}=[]`], { kubeconfig });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('admission webhook "vpod.vpc.k8s.aws" denied the request');
    expect(denied.stderr).toContain(`user "kubernetes-admin" may not add the ${ENI} annotation on pod ${NS}/kubectl-target`);
    const ok = await kubectl(['-n', NS, 'annotate', 'pod', 'kubectl-target', `${ENI}=[]`], { kubeconfig, context: 'controller' });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const aws = await kubectl(['label', 'node', NODE, 'evil=1'], { kubeconfig, context: 'aws-node' });
    expect(aws.code).not.toBe(0);
    expect(aws.stderr).toContain('metadata.labels["evil"]');
  });
});

describe('vnode through the API server: aws-node and its two labels', () => {
  it('aws-node may set has-trunk-attached and eniConfig', async () => {
    const node = await mergePatchNode(awsNode, NODE, { metadata: { labels: { 'vpc.amazonaws.com/has-trunk-attached': 'false', 'vpc.amazonaws.com/eniConfig': 'us-west-2a' } } });
    expect(node.metadata?.labels?.['vpc.amazonaws.com/has-trunk-attached']).toBe('false');
  });

  it('aws-node may not set another label or taint the node; the message names what changed', async () => {
    const label = await rejection(mergePatchNode(awsNode, NODE, { metadata: { labels: { 'vpc.amazonaws.com/has-trunk-attached': 'true', team: 'x' } } }));
    expect(label.code).toBe(403);
    expect(label.message).toContain('admission webhook "vnode.vpc.k8s.aws" denied the request');
    expect(label.message).toContain('metadata.labels["team"]');
    expect(label.message).not.toContain('has-trunk-attached"]');
    const taint = await rejection(mergePatchNode(awsNode, NODE, { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }));
    expect(taint.message).toContain('spec.taints');
    const stored = await admin.readNode({ name: NODE });
    expect(stored.metadata?.labels?.team).toBeUndefined();
    expect(stored.metadata?.labels?.['vpc.amazonaws.com/has-trunk-attached']).toBe('false');
  });

  it('admin may change any label', async () => {
    const node = await mergePatchNode(admin, NODE, { metadata: { labels: { team: 'x' } } });
    expect(node.metadata?.labels?.team).toBe('x');
  });
});

describe('failurePolicy Ignore', () => {
  it('with the webhook server down, pods are still admitted (unpatched: the controller backstop reports them)', async () => {
    await webhooks.server.close();
    const created = await admin.createNamespacedPod({ namespace: NS, body: podBody('while-down', { role: 'demo-sg' }) });
    expect(created.spec?.containers[0]?.resources?.limits?.[ENI]).toBeUndefined();
  });

  it('close({unregister: true}) removes both configurations', async () => {
    const admission = makeKubeClients(kubeConfigFor(kube, 'admin', 'https')).admission;
    await expect(admission.readMutatingWebhookConfiguration({ name: 'vpc-resource-mutating-webhook' })).resolves.toBeDefined();
    await webhooks.close({ unregister: true });
    for (const read of [
      () => admission.readMutatingWebhookConfiguration({ name: 'vpc-resource-mutating-webhook' }),
      () => admission.readValidatingWebhookConfiguration({ name: 'vpc-resource-validating-webhook' }),
    ]) {
      expect((await rejection(read())).code).toBe(404);
    }
  });
});
