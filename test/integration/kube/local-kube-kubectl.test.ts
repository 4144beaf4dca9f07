/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- these tests read arbitrary JSON returned by the API server */
// The real kubectl (v1.32) against the local API server over HTTPS: apply (CRDs, custom
// resources, the repository's docs/examples, pods), get in every output, selectors, watch, describe with
// events, label/annotate/patch, graceful delete, printer columns and identities by context.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildKubeconfigYaml, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { kubectl as runKubectl, kubectlOk, type KubectlResult } from '../helpers/kubectl.js';
import { SGP_CRD, rawClient } from './local-kube-client.js';

let kube: LocalKube;
let dir: string;
let env: NodeJS.ProcessEnv;
let kubeconfig: string;
// Inside the repository: the tests run from a fresh clone with nothing beside it (.ci/run).
const EXAMPLES = resolve(import.meta.dirname, '../../../docs/examples');
const REPO_CRDS = resolve(import.meta.dirname, '../../../crds');

const kubectl = (...args: string[]): Promise<KubectlResult> => runKubectl(args, { kubeconfig });
const ok = (...args: string[]): Promise<string> => kubectlOk(args, { kubeconfig });

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

beforeAll(async () => {
  kube = await startLocalKube();
  dir = mkdtempSync(join(tmpdir(), 'local-kube-kubectl-'));
  kubeconfig = file('kubeconfig.yaml', buildKubeconfigYaml(kube));
  env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
  await ok('create', 'namespace', 'shop');
});

afterAll(async () => {
  await kube.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl apply', () => {
  it('applies a CRD and then its custom resources, served at once (fresh discovery cache)', async () => {
    expect(await ok('apply', '-f', file('crd.yaml', SGP_CRD))).toContain('customresourcedefinition.apiextensions.k8s.io/securitygrouppolicies.vpcresources.k8s.aws created');
    const sgp = { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'web', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } } };
    expect(await ok('apply', '-f', file('sgp.yaml', sgp))).toContain('securitygrouppolicy.vpcresources.k8s.aws/web created');
    const table = await ok('get', 'sgp', '-n', 'shop');
    expect(table).toMatch(/NAME\s+SECURITY-GROUP-IDS/);
    expect(table).toMatch(/web\s+\["sg-0123456789abcdef0"\]/);
  });

  it('rejects a schema-invalid custom resource naming the field, and unknown fields under strict validation', async () => {
    const bad = { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'bad', namespace: 'shop' }, spec: { securityGroups: { groupIds: ['sg-nothex'] } } };
    const r = await kubectl('apply', '-f', file('bad.yaml', bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.securityGroups.groupIds[0]');
    expect(r.stderr).toContain('is invalid');
    const extra = { ...bad, metadata: { name: 'extra', namespace: 'shop' }, spec: { bogus: true, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } } };
    const s = await kubectl('apply', '-f', file('extra.yaml', extra));
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain('unknown field "spec.bogus"');
  });

  it('refuses a pod with a misspelled field, as strict server-side validation does', async () => {
    const typo = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'typo', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'nginx:1', imagePullPolicyy: 'Always' }] } };
    const r = await kubectl('apply', '-f', file('typo.yaml', typo));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.containers[0].imagePullPolicyy"');
  });

  it('applies the repository CRDs and the docs/examples walk-through', async () => {
    expect(readdirSync(REPO_CRDS).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
    await ok('delete', 'crd', 'securitygrouppolicies.vpcresources.k8s.aws');
    await ok('apply', '-f', REPO_CRDS);
    const out = await ok('apply', '-f', EXAMPLES);
    expect(out).toContain('pod/checkout-0 created');
    expect(out).toContain('securitygrouppolicy.vpcresources.k8s.aws/db-clients created');
    expect(await ok('get', 'sgp', '-n', 'shop', '-o', 'name')).toContain('securitygrouppolicy.vpcresources.k8s.aws/payments');
  });

  it('updates a pod by client-side apply (strategic merge keeps the container list merged)', async () => {
    const p = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } };
    expect(await ok('apply', '-f', file('pod.yaml', p))).toContain('pod/web created');
    p.spec.containers[0]!.image = 'nginx:1.26';
    expect(await ok('apply', '-f', file('pod.yaml', p))).toContain('pod/web configured');
    expect(await ok('get', 'pod', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.containers[0].image}')).toBe('nginx:1.26');
    expect(await ok('apply', '-f', file('pod.yaml', p))).toContain('pod/web unchanged');
  });
});

describe('kubectl get', () => {
  it('prints json, yaml and wide', async () => {
    const json = JSON.parse(await ok('get', 'pods', '-n', 'shop', '-o', 'json'));
    expect(json.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['checkout-0', 'web']);
    expect(await ok('get', 'pod', 'web', '-n', 'shop', '-o', 'yaml')).toMatch(/kind: Pod[\s\S]*name: web/);
    const wide = await ok('get', 'pods', '-n', 'shop', '-o', 'wide');
    expect(wide).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(wide).toMatch(/web\s+0\/1\s+Pending\s+0/);
  });

  it('filters with -l and --field-selector', async () => {
    expect(await ok('get', 'pods', '-n', 'shop', '-l', 'tier=front', '-o', 'name')).toBe('pod/web\n');
    expect(await ok('get', 'pods', '-n', 'shop', '-l', 'app in (checkout)', '-o', 'name')).toBe('pod/checkout-0\n');
    expect(await ok('get', 'pods', '-A', '--field-selector', 'metadata.name=web,status.phase=Pending', '-o', 'name')).toBe('pod/web\n');
    const bad = await kubectl('get', 'pods', '--field-selector', 'spec.nope=1');
    expect(bad.stderr).toContain('field label not supported: spec.nope');
  });

  it('-w sees a change', async () => {
    const child = spawn('kubectl', ['--cache-dir', join(dir, 'cache'), 'get', 'pods', '-n', 'shop', '-w', '--show-labels'], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`kubectl -w never printed ${re}: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor(/web\s+0\/1/);
      await ok('label', 'pod', 'web', '-n', 'shop', 'watched=yes');
      await waitFor(/watched=yes/);
    } finally {
      child.kill();
    }
  });

  it('--context aws-node acts as the CNI identity', async () => {
    const who = JSON.parse(await ok('--context', 'aws-node', 'auth', 'whoami', '-o', 'json'));
    expect(who.status.userInfo.username).toBe('system:serviceaccount:kube-system:aws-node');
    expect(await ok('--context', 'aws-node', 'get', 'pods', '-n', 'shop', '-o', 'name')).toContain('pod/web');
  });
});

describe('kubectl describe, label, annotate, patch, delete', () => {
  it('describes a pod and a node with their events', async () => {
    const call = rawClient(kube);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ip-10-0-1-1', labels: { 'node.kubernetes.io/instance-type': 'm5.large' } }, spec: { providerID: 'aws:///eu-west-1a/i-0123456789abcdef0' } };
    await ok('apply', '-f', file('node.yaml', node));
    const nodeUid = (await call('GET', '/api/v1/nodes/ip-10-0-1-1')).json.metadata.uid;
    const podUid = (await call('GET', '/api/v1/namespaces/shop/pods/web')).json.metadata.uid;
    const event = (name: string, ns: string, involved: object, reason: string, message: string) =>
      call('POST', `/api/v1/namespaces/${ns}/events`, { metadata: { name, namespace: ns }, involvedObject: involved, reason, message, type: 'Normal', source: { component: 'vpc-resource-controller' }, firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), count: 1 });
    await event('web.1', 'shop', { kind: 'Pod', name: 'web', namespace: 'shop', uid: podUid, apiVersion: 'v1' }, 'SecurityGroupRequested', 'Pod will get the following Security Groups [sg-0123456789abcdef0]');
    await event('node.1', 'default', { kind: 'Node', name: 'ip-10-0-1-1', uid: nodeUid, apiVersion: 'v1' }, 'NodeTrunkInitiated', 'The node has trunk interface initialized successfully');
    const podText = await ok('describe', 'pod', 'web', '-n', 'shop');
    expect(podText).toMatch(/SecurityGroupRequested\s+.*vpc-resource-controller\s+Pod will get the following Security Groups \[sg-0123456789abcdef0\]/);
    const nodeText = await ok('describe', 'node', 'ip-10-0-1-1');
    expect(nodeText).toContain('ProviderID:');
    expect(nodeText).toMatch(/NodeTrunkInitiated\s+.*The node has trunk interface initialized successfully/);
  });

  it('labels, annotates and patches with merge, json and strategic patches', async () => {
    await ok('label', 'pod', 'web', '-n', 'shop', 'color=blue');
    await ok('annotate', 'pod', 'web', '-n', 'shop', 'note=hello');
    await ok('patch', 'pod', 'web', '-n', 'shop', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}');
    await ok('patch', 'pod', 'web', '-n', 'shop', '--type', 'json', '-p', '[{"op":"replace","path":"/metadata/labels/color","value":"green"}]');
    await ok('patch', 'pod', 'web', '-n', 'shop', '--type', 'strategic', '-p', '{"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}');
    const p = JSON.parse(await ok('get', 'pod', 'web', '-n', 'shop', '-o', 'json'));
    expect(p.metadata.labels).toMatchObject({ color: 'green', m: '1', app: 'web' });
    expect(p.metadata.annotations.note).toBe('hello');
    expect(p.spec.containers).toHaveLength(1);
    expect(p.spec.containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent' });
    const denied = await kubectl('patch', 'pod', 'web', '-n', 'shop', '--type', 'strategic', '-p', '{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('pod updates may not change fields');
    await ok('label', 'pod', 'web', '-n', 'shop', 'color-');
    expect(JSON.parse(await ok('get', 'pod', 'web', '-n', 'shop', '-o', 'json')).metadata.labels.color).toBeUndefined();
  });

  it('deletes a bound pod gracefully (Terminating until the node confirms)', async () => {
    const call = rawClient(kube);
    await call('POST', '/api/v1/namespaces/shop/pods/web/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web' }, target: { kind: 'Node', name: 'ip-10-0-1-1' } });
    await ok('delete', 'pod', 'web', '-n', 'shop', '--wait=false');
    expect(await ok('get', 'pod', 'web', '-n', 'shop')).toMatch(/web\s+0\/1\s+Terminating/);
    const confirmed = await call('DELETE', '/api/v1/namespaces/shop/pods/web', { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    expect(confirmed.status).toBe(200);
    const gone = await kubectl('get', 'pod', 'web', '-n', 'shop');
    expect(gone.stderr).toContain('pods "web" not found');
    expect(await ok('delete', 'pod', 'checkout-0', '-n', 'shop')).toContain('pod "checkout-0" deleted');
  });
});
