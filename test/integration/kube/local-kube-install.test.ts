/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- these tests read arbitrary JSON returned by the API server */
// The install (deploy/, kustomize) applied with the real kubectl: server-side dry run against the
// sandbox (nothing stored), then for real against a local API server, read back, applied again,
// and every certificate/monitoring component. cert-manager's and the Prometheus operator's CRDs
// come from test/fixtures/install. Also the server-side validation of the install's kinds.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildKubeconfigYaml, startLocalKube, type LocalKube } from '../../../src/sim/kube/index.js';
import { generateServingCert } from '../../../src/sim/kube/tls.js';
import { kubectl as runKubectl, kubectlOk, type KubectlResult } from '../helpers/kubectl.js';
import { withSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/install');
const INSTALL_KINDS = [
  'customresourcedefinition.apiextensions.k8s.io/securitygrouppolicies.vpcresources.k8s.aws',
  'serviceaccount/vpc-resource-controller',
  'role.rbac.authorization.k8s.io/vpc-resource-controller',
  'clusterrole.rbac.authorization.k8s.io/vpc-resource-controller',
  'rolebinding.rbac.authorization.k8s.io/vpc-resource-controller',
  'clusterrolebinding.rbac.authorization.k8s.io/vpc-resource-controller',
  'service/vpc-resource-controller-webhook',
  'service/vpc-resource-controller-metrics',
  'deployment.apps/vpc-resource-controller',
  'poddisruptionbudget.policy/vpc-resource-controller',
  'mutatingwebhookconfiguration.admissionregistration.k8s.io/vpc-resource-mutating-webhook',
  'validatingwebhookconfiguration.admissionregistration.k8s.io/vpc-resource-validating-webhook',
];

let work: string;

/**
 * A copy of deploy/ and crds/ with the given components (the kustomization's component list
 * rewritten), so a test can add certificate files without touching the repository.
 */
function installVariant(name: string, components: string[], files: Record<string, string> = {}): string {
  const root = join(work, name);
  cpSync(join(ROOT, 'deploy'), join(root, 'deploy'), { recursive: true });
  cpSync(join(ROOT, 'crds'), join(root, 'crds'), { recursive: true });
  const kpath = join(root, 'deploy/kustomization.yaml');
  const original = readFileSync(kpath, 'utf8');
  const list = components.map((c) => `  - components/${c}\n`).join('');
  const rewritten = original.replace(/^components:\n(?:(?: {2}#.*| {2}- .*)\n)*/m, `components:\n${list}`);
  expect(rewritten).not.toBe(original);
  writeFileSync(kpath, rewritten);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(root, 'deploy', path), content);
  return join(root, 'deploy');
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vpcrc-install-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('kubectl apply --dry-run=server -k deploy/ against the sandbox', () => {
  const env = withSandbox({ nodes: 'm5.large=1' });

  it('fails only for want of the cert-manager CRDs, naming them', async () => {
    const r = await env.kubectl(['apply', '--dry-run=server', '-k', join(ROOT, 'deploy')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no matches for kind "Certificate" in version "cert-manager.io/v1"');
  });

  it('validates every object of the default install and stores none of them', async () => {
    await env.kubectlOk(['apply', '-f', join(FIXTURES, 'cert-manager-crds.yaml')]);
    const out = await env.kubectlOk(['apply', '--dry-run=server', '-k', join(ROOT, 'deploy')]);
    for (const obj of [...INSTALL_KINDS, 'certificate.cert-manager.io/vpc-resource-controller-webhook-cert', 'issuer.cert-manager.io/vpc-resource-controller-selfsigned']) {
      expect(out).toMatch(new RegExp(`${obj.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (created|configured|unchanged) \\(server dry run\\)`));
    }
    expect((await env.kubectl(['get', 'deployment', '-n', 'kube-system', 'vpc-resource-controller'])).stderr).toContain('NotFound');
    expect((await env.kubectl(['get', 'clusterrole', 'vpc-resource-controller'])).stderr).toContain('NotFound');
    expect((await env.kubectl(['get', 'certificate', '-n', 'kube-system', 'vpc-resource-controller-webhook-cert'])).stderr).toContain('NotFound');
    // No webhook configuration of the install (Service target) was stored.
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const list = JSON.parse(await env.kubectlOk(['get', kind, '-o', 'json']));
      for (const cfg of list.items) for (const w of cfg.webhooks ?? []) expect(w.clientConfig.service).toBeUndefined();
    }
  });

  it('validates the self-managed certificate and Prometheus components too', async () => {
    await env.kubectlOk(['apply', '-f', join(FIXTURES, 'prometheus-operator-crds.yaml')]);
    const tls = generateServingCert();
    const dir = installVariant('dry-self-managed', ['self-managed-certificate', 'prometheus'], {
      'components/self-managed-certificate/tls.crt': tls.certPem,
      'components/self-managed-certificate/tls.key': tls.keyPem,
      'components/self-managed-certificate/ca.crt': tls.certPem,
    });
    const out = await env.kubectlOk(['apply', '--dry-run=server', '-k', dir]);
    expect(out).toMatch(/secret\/vpc-resource-controller-webhook-cert-[a-z0-9]+ created \(server dry run\)/);
    expect(out).toContain('servicemonitor.monitoring.coreos.com/vpc-resource-controller created (server dry run)');
    expect(out).not.toContain('cert-manager.io');
  });
});

describe('kubectl apply -k deploy/ for real against a local API server', () => {
  let kube: LocalKube;
  let kubeconfig: string;
  const kubectl = (...args: string[]): Promise<KubectlResult> => runKubectl(args, { kubeconfig });
  const ok = (...args: string[]): Promise<string> => kubectlOk(args, { kubeconfig });
  const getJson = async (...args: string[]): Promise<any> => JSON.parse(await ok('get', ...args, '-o', 'json'));

  beforeAll(async () => {
    kube = await startLocalKube();
    kubeconfig = join(work, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, buildKubeconfigYaml(kube));
    await ok('apply', '-f', join(FIXTURES, 'cert-manager-crds.yaml'), '-f', join(FIXTURES, 'prometheus-operator-crds.yaml'));
  });

  afterAll(async () => {
    await kube.close();
  });

  it('creates every object, with the defaults a real server gives them', async () => {
    const out = await ok('apply', '-k', join(ROOT, 'deploy'));
    for (const obj of INSTALL_KINDS) expect(out).toContain(`${obj} created`);
    const dep = await getJson('deployment', '-n', 'kube-system', 'vpc-resource-controller');
    expect(dep.metadata.generation).toBe(1);
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.revisionHistoryLimit).toBe(10);
    expect(dep.spec.template.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(dep.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    expect(dep.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    const svc = await getJson('service', '-n', 'kube-system', 'vpc-resource-controller-webhook');
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(svc.spec.ports).toEqual([{ name: 'webhook', port: 443, protocol: 'TCP', targetPort: 'webhook' }]);
    const metrics = await getJson('service', '-n', 'kube-system', 'vpc-resource-controller-metrics');
    expect(metrics.spec.clusterIP).not.toBe(svc.spec.clusterIP);
    const pdb = await getJson('pdb', '-n', 'kube-system', 'vpc-resource-controller');
    expect(pdb.spec).toMatchObject({ minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.status.disruptionsAllowed).toBe(0);
    const role = await getJson('role', '-n', 'kube-system', 'vpc-resource-controller');
    expect(role.rules[0]).toEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['cp-vpc-resource-controller'], verbs: ['get', 'update'] });
    const binding = await getJson('clusterrolebinding', 'vpc-resource-controller');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vpc-resource-controller', namespace: 'kube-system' }]);
    const hook = await getJson('mutatingwebhookconfiguration', 'vpc-resource-mutating-webhook');
    expect(hook.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('kube-system/vpc-resource-controller-webhook-cert');
    expect(hook.webhooks[0].clientConfig.service).toEqual({ namespace: 'kube-system', name: 'vpc-resource-controller-webhook', path: '/mutate-v1-pod', port: 443 });
    const cert = await getJson('certificate', '-n', 'kube-system', 'vpc-resource-controller-webhook-cert');
    expect(cert.spec.secretName).toBe('vpc-resource-controller-webhook-cert');
    const table = await ok('get', 'deployment,service,pdb', '-n', 'kube-system');
    expect(table).toMatch(/deployment\.apps\/vpc-resource-controller\s+0\/2\s+0\s+0/);
    expect(table).toMatch(/service\/vpc-resource-controller-webhook\s+ClusterIP\s+10\.\S+\s+<none>\s+443\/TCP/);
  });

  it('applies again without changes (the PodDisruptionBudget, as on a real server, is always "configured")', async () => {
    const out = await ok('apply', '-k', join(ROOT, 'deploy'));
    const changed = out
      .split('\n')
      .filter((l) => l && !l.endsWith(' unchanged'))
      .map((l) => l.replace(/ configured$/, ''));
    // policy/v1 PodDisruptionBudget.spec.selector has patchStrategy=replace, so kubectl's computed
    // patch is never empty for it (kubernetes/kubernetes#99290).
    expect(changed).toEqual(['poddisruptionbudget.policy/vpc-resource-controller']);
    const dep = await getJson('deployment', '-n', 'kube-system', 'vpc-resource-controller');
    expect(dep.metadata.generation).toBe(1);
  });

  it('switches to a certificate the operator provides: Secret stored, ca.crt in every caBundle, pods moved to it', async () => {
    const tls = generateServingCert();
    const dir = installVariant('self-managed', ['self-managed-certificate', 'prometheus'], {
      'components/self-managed-certificate/tls.crt': tls.certPem,
      'components/self-managed-certificate/tls.key': tls.keyPem,
      'components/self-managed-certificate/ca.crt': tls.certPem,
    });
    await ok('apply', '-k', dir);
    const secrets = (await getJson('secrets', '-n', 'kube-system')).items.filter((s: any) => s.metadata.name.startsWith('vpc-resource-controller-webhook-cert-'));
    expect(secrets).toHaveLength(1);
    const secret = secrets[0];
    expect(secret.type).toBe('kubernetes.io/tls');
    // Kustomize wraps the base64 at 70 columns; the server stores bytes and answers canonical base64.
    expect(secret.data['ca.crt']).toBe(Buffer.from(tls.certPem).toString('base64'));
    const caBundle = Buffer.from(tls.certPem).toString('base64');
    for (const kind of ['mutatingwebhookconfiguration/vpc-resource-mutating-webhook', 'validatingwebhookconfiguration/vpc-resource-validating-webhook']) {
      const cfg = await getJson(kind);
      for (const w of cfg.webhooks) expect(w.clientConfig.caBundle.replace(/\s/g, '')).toBe(caBundle);
    }
    const dep = await getJson('deployment', '-n', 'kube-system', 'vpc-resource-controller');
    expect(dep.spec.template.spec.volumes[0].secret.secretName).toBe(secret.metadata.name);
    expect(dep.metadata.generation).toBe(2);
    const sm = await getJson('servicemonitor', '-n', 'kube-system', 'vpc-resource-controller');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  });

  it('refuses what a real server refuses, naming the field', async () => {
    const apply = (obj: unknown): Promise<KubectlResult> => runKubectl(['apply', '-f', '-'], { kubeconfig, input: stringify(obj) });
    const deployment = (spec: Record<string, unknown>): unknown => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, ...spec },
    });
    const mismatched = await apply(deployment({ template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } }));
    expect(mismatched.stderr).toContain('spec.template.metadata.labels');
    expect(mismatched.stderr).toContain('`selector` does not match template `labels`');
    const typo = await apply(deployment({ replicaz: 2 }));
    expect(typo.stderr).toContain('unknown field "spec.replicaz"');
    const zero = await apply(deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }));
    expect(zero.stderr).toContain('spec.strategy.rollingUpdate.maxUnavailable');
    expect((await apply(deployment({}))).code).toBe(0);
    const moved = await apply(deployment({ selector: { matchLabels: { app: 'web', tier: 'x' } }, template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } }));
    expect(moved.stderr).toMatch(/spec\.selector: Invalid value: .*field is immutable/);

    const badPort = await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: 'default' }, spec: { ports: [{ port: 70000 }, { port: 80 }] } });
    expect(badPort.stderr).toContain('spec.ports[0].port');
    expect(badPort.stderr).toContain('spec.ports[0].name: Required value');

    const badRef = await apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bad' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] });
    expect(badRef.stderr).toContain('roleRef.kind: Unsupported value: "Role"');
    expect(badRef.stderr).toContain('subjects[0].namespace: Required value');

    const badRule = await apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bad', namespace: 'default' }, rules: [{ resources: ['pods'], verbs: [] }] });
    expect(badRule.stderr).toContain('rules[0].verbs: Required value');
    expect(badRule.stderr).toContain('rules[0].apiGroups: Required value');

    const badTls = await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad', namespace: 'default' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'x' } });
    expect(badTls.stderr).toContain('data[tls.key]: Required value');

    const badPdb = await apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad', namespace: 'default' }, spec: { minAvailable: 1, maxUnavailable: '120%' } });
    expect(badPdb.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
    expect(badPdb.stderr).toContain('spec.maxUnavailable');

    // A Service keeps its allocated IP across applies that leave it out, and refuses a change.
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'keep', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    expect((await apply(svc)).code).toBe(0);
    const ip = (await getJson('service', '-n', 'default', 'keep')).spec.clusterIP;
    expect((await apply({ ...svc, metadata: { ...svc.metadata, labels: { tier: 'web' } } })).code).toBe(0);
    expect((await getJson('service', '-n', 'default', 'keep')).spec.clusterIP).toBe(ip);
    const changed = await kubectl('patch', 'service', 'keep', '-n', 'default', '--type=merge', '-p', JSON.stringify({ spec: { clusterIP: '10.96.0.77', clusterIPs: ['10.96.0.77'] } }));
    expect(changed.stderr).toContain('may not change once set');
  });
});

describe('GET /openapi/v2 as kubectl asks for it', () => {
  let kube: LocalKube;
  beforeAll(async () => {
    kube = await startLocalKube();
  });
  afterAll(async () => {
    await kube.close();
  });

  it('answers protobuf with a media type Go can parse, and JSON otherwise', async () => {
    const headers = { Authorization: `Bearer ${kube.tokens.admin}` };
    const pb = await fetch(`${kube.url}/openapi/v2`, { headers: { ...headers, Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(pb.status).toBe(200);
    expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(pb.headers.get('vary')).toBe('Accept');
    const body = Buffer.from(await pb.arrayBuffer());
    // openapi_v2.Document field 1 (swagger) = "2.0", then field 2 (info) with the title.
    expect([...body.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]);
    expect(body.toString('latin1')).toContain('Kubernetes');
    const json = await fetch(`${kube.url}/openapi/v2`, { headers: { ...headers, Accept: 'application/json' } });
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(((await json.json()) as { swagger: string }).swagger).toBe('2.0');
  });
});
