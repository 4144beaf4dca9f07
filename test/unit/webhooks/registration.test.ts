import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ApiException, type AdmissionregistrationV1Api } from '@kubernetes/client-node';
import {
  buildWebhookConfigurations,
  DEFAULT_SERVICE_TARGET,
  registerWebhooks,
  unregisterWebhooks,
} from '../../../src/webhooks/registration.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('buildWebhookConfigurations', () => {
  it('url target (sandbox): three webhooks at the contract paths with the caBundle', () => {
    const { mutating, validating } = buildWebhookConfigurations({ caPem: CA, target: { url: 'https://127.0.0.1:4443/' } });
    expect(mutating.metadata?.name).toBe('vpc-resource-mutating-webhook');
    expect(validating.metadata?.name).toBe('vpc-resource-validating-webhook');
    const all = [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])];
    expect(all.map((w) => [w.name, w.clientConfig.url])).toEqual([
      ['mpod.vpc.k8s.aws', 'https://127.0.0.1:4443/mutate-v1-pod'],
      ['vpod.vpc.k8s.aws', 'https://127.0.0.1:4443/validate-v1-pod'],
      ['vnode.vpc.k8s.aws', 'https://127.0.0.1:4443/validate-v1-node'],
    ]);
    for (const w of all) {
      expect(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()).toBe(CA);
      expect(w.sideEffects).toBe('None');
      expect(w.admissionReviewVersions).toEqual(['v1']);
      expect(w.timeoutSeconds).toBe(5);
      expect(w.failurePolicy).toBe('Ignore');
      expect(w.clientConfig.service).toBeUndefined();
    }
    expect(all.map((w) => w.rules?.map((r) => `${r.operations?.join('+')} ${r.resources?.join(',')}`))).toEqual([
      ['CREATE pods'],
      ['CREATE+UPDATE pods'],
      ['UPDATE nodes'],
    ]);
  });

  it('mpod is scoped: not kube-system, not the controller’s own pods; validators are not', () => {
    const { mutating, validating } = buildWebhookConfigurations({ caPem: CA, target: DEFAULT_SERVICE_TARGET });
    const mpod = mutating.webhooks?.[0];
    expect(mpod?.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] });
    expect(mpod?.objectSelector).toEqual({ matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['vpc-resource-controller'] }] });
    expect(mpod?.reinvocationPolicy).toBe('Never');
    for (const w of validating.webhooks ?? []) {
      expect(w.namespaceSelector).toBeUndefined();
      expect(w.objectSelector).toBeUndefined();
    }
  });

  it('options: failure policies, timeout, excluded namespaces (none → no selector), service target', () => {
    const { mutating, validating } = buildWebhookConfigurations({
      caPem: CA,
      target: { service: { namespace: 'infra', name: 'vpcrc', port: 9443 } },
      mutatingFailurePolicy: 'Fail',
      timeoutSeconds: 10,
      mutatingExcludedNamespaces: [],
    });
    expect(mutating.webhooks?.[0]?.failurePolicy).toBe('Fail');
    expect(mutating.webhooks?.[0]?.namespaceSelector).toBeUndefined();
    expect(validating.webhooks?.map((w) => w.failurePolicy)).toEqual(['Ignore', 'Ignore']);
    expect(validating.webhooks?.[1]?.timeoutSeconds).toBe(10);
    expect(validating.webhooks?.[1]?.clientConfig.service).toEqual({ namespace: 'infra', name: 'vpcrc', path: '/validate-v1-node', port: 9443 });
  });

  it('rejects an out-of-range timeout and an empty caBundle with clear errors', () => {
    expect(() => buildWebhookConfigurations({ caPem: CA, target: DEFAULT_SERVICE_TARGET, timeoutSeconds: 31 })).toThrow(/timeoutSeconds must be an integer from 1 to 30, got 31/);
    expect(() => buildWebhookConfigurations({ caPem: '', target: DEFAULT_SERVICE_TARGET })).toThrow(/caBundle is empty/);
  });

  it('deploy/base/webhooks.yaml is exactly the built Service-target configuration (no drift)', () => {
    const docs = parseAllDocuments(readFileSync(new URL('../../../deploy/base/webhooks.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as unknown);
    // Built as for cert-manager (an empty caBundle needs the injector's annotation); the base file
    // carries neither: the certificate components add the annotation or the caBundle on top.
    const built = buildWebhookConfigurations({ caPem: '\n', target: DEFAULT_SERVICE_TARGET, annotations: { 'cert-manager.io/inject-ca-from': 'kube-system/vpc-resource-controller-webhook-cert' } });
    delete built.mutating.metadata?.annotations;
    delete built.validating.metadata?.annotations;
    expect(docs).toEqual([built.mutating, built.validating]);
  });
});

/** An in-memory stand-in for the two resources, speaking client-node's ApiException. */
function fakeAdmissionApi(opts: { conflictsOnReplace?: number } = {}) {
  const store = new Map<string, { metadata?: { name?: string; resourceVersion?: string } }>();
  let rv = 0;
  let conflicts = opts.conflictsOnReplace ?? 0;
  const calls: string[] = [];
  const notFound = (): ApiException<string> => new ApiException(404, 'not found', JSON.stringify({ kind: 'Status', reason: 'NotFound' }), {});
  const mk = (kind: string) => ({
    read: ({ name }: { name: string }) => {
      calls.push(`read ${kind}`);
      const found = store.get(`${kind}/${name}`);
      return found ? Promise.resolve(structuredClone(found)) : Promise.reject(notFound());
    },
    create: ({ body }: { body: { metadata?: { name?: string } } }) => {
      calls.push(`create ${kind}`);
      store.set(`${kind}/${body.metadata?.name ?? ''}`, { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } });
      return Promise.resolve(body);
    },
    replace: ({ name, body }: { name: string; body: { metadata?: { resourceVersion?: string } } }) => {
      calls.push(`replace ${kind}`);
      const cur = store.get(`${kind}/${name}`);
      if (conflicts > 0 || cur?.metadata?.resourceVersion !== body.metadata?.resourceVersion) {
        conflicts -= 1;
        return Promise.reject(new ApiException(409, 'conflict', JSON.stringify({ kind: 'Status', reason: 'Conflict', message: 'the object has been modified' }), {}));
      }
      store.set(`${kind}/${name}`, { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } });
      return Promise.resolve(body);
    },
    delete: ({ name }: { name: string }) => {
      calls.push(`delete ${kind}`);
      return store.delete(`${kind}/${name}`) ? Promise.resolve({}) : Promise.reject(notFound());
    },
  });
  const m = mk('mutating');
  const v = mk('validating');
  const api = {
    readMutatingWebhookConfiguration: m.read,
    createMutatingWebhookConfiguration: m.create,
    replaceMutatingWebhookConfiguration: m.replace,
    deleteMutatingWebhookConfiguration: m.delete,
    readValidatingWebhookConfiguration: v.read,
    createValidatingWebhookConfiguration: v.create,
    replaceValidatingWebhookConfiguration: v.replace,
    deleteValidatingWebhookConfiguration: v.delete,
  } as unknown as AdmissionregistrationV1Api;
  return { api, store, calls };
}

describe('registerWebhooks: create or update', () => {
  it('creates both, then replaces them (new caBundle) on the next start', async () => {
    const fake = fakeAdmissionApi();
    await registerWebhooks(fake.api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } });
    expect(fake.calls).toEqual(['read mutating', 'create mutating', 'read validating', 'create validating']);
    fake.calls.length = 0;
    const CA2 = CA.replace('MIIB', 'MIIC');
    await registerWebhooks(fake.api, { caPem: CA2, target: { url: 'https://127.0.0.1:2' } });
    expect(fake.calls).toEqual(['read mutating', 'replace mutating', 'read validating', 'replace validating']);
    const stored = fake.store.get('validating/vpc-resource-validating-webhook') as { webhooks: { clientConfig: { url: string; caBundle: string } }[] };
    expect(stored.webhooks[1]?.clientConfig.url).toBe('https://127.0.0.1:2/validate-v1-node');
    expect(Buffer.from(stored.webhooks[1]?.clientConfig.caBundle ?? '', 'base64').toString()).toBe(CA2);
  });

  it('retries a conflicting replace by reading again', async () => {
    const fake = fakeAdmissionApi({ conflictsOnReplace: 2 });
    await registerWebhooks(fake.api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } });
    await registerWebhooks(fake.api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } });
    expect(fake.calls.filter((c) => c === 'replace mutating')).toHaveLength(3);
  });

  it('a persistent failure names the configuration and the cause', async () => {
    const fake = fakeAdmissionApi();
    const api = {
      ...fake.api,
      readMutatingWebhookConfiguration: () =>
        Promise.reject(new ApiException(403, 'forbidden', JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'cannot get resource "mutatingwebhookconfigurations"' }), {})),
    } as unknown as AdmissionregistrationV1Api;
    await expect(registerWebhooks(api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } })).rejects.toThrow(
      'cannot register webhook configuration vpc-resource-mutating-webhook: cannot get resource "mutatingwebhookconfigurations"',
    );
  });

  it('retries a transient failure (socket hang up, 503) with backoff instead of failing (issue 10)', async () => {
    const fake = fakeAdmissionApi();
    const failures: Error[] = [new Error('socket hang up'), new ApiException(503, 'unavailable', JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable', message: 'try later' }), {})];
    const api = {
      ...fake.api,
      readMutatingWebhookConfiguration: (a: { name: string }) => {
        const f = failures.shift();
        return f ? Promise.reject(f) : fake.api.readMutatingWebhookConfiguration(a);
      },
    } as unknown as AdmissionregistrationV1Api;
    await registerWebhooks(api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } }, undefined, { baseMs: 1 });
    expect(fake.store.size).toBe(2);
  });

  it('gives up after the transient tries, naming the cause', async () => {
    const fake = fakeAdmissionApi();
    const api = { ...fake.api, readMutatingWebhookConfiguration: () => Promise.reject(new Error('socket hang up')) } as unknown as AdmissionregistrationV1Api;
    await expect(registerWebhooks(api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } }, undefined, { attempts: 3, baseMs: 1 })).rejects.toThrow(
      'cannot register webhook configuration vpc-resource-mutating-webhook: socket hang up',
    );
  });

  it('unregister deletes both and tolerates their absence', async () => {
    const fake = fakeAdmissionApi();
    await registerWebhooks(fake.api, { caPem: CA, target: { url: 'https://127.0.0.1:1' } });
    await unregisterWebhooks(fake.api);
    expect(fake.store.size).toBe(0);
    await expect(unregisterWebhooks(fake.api)).resolves.toBeUndefined();
  });
});
