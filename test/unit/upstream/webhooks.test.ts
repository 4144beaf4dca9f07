// Ported from aws/amazon-vpc-resource-controller-k8s webhooks/core: pod_webhook_test.go
// (TestPodMutationWebHook_Handle), annotation_validation_webhook_test.go
// (TestAnnotationValidator_Handle) and node_update_webhook_test.go (TestNodeUpdateWebhook_Handle).
// Each case keeps upstream's name. We compare the pod the API server would store after our patch
// (patch op order is not visible to users). Deliberate differences name their row in
// docs/differences-from-eks.md.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.js';
import { applyJsonPatch } from '../../../src/sim/kube/patch.js';
import { validateNodeUpdate } from '../../../src/webhooks/node-validator.js';
import { buildWebhookConfigurations } from '../../../src/webhooks/registration.js';
import { validatePodAnnotation } from '../../../src/webhooks/pod-annotation-validator.js';
import { mutatePod, type ResolvePodSecurityGroups } from '../../../src/webhooks/pod-mutator.js';
import { decodePatch, nodeReview, podReview } from '../webhooks/fixtures.js';

const ENI = 'vpc.amazonaws.com/pod-eni';
const IPV4 = 'vpc.amazonaws.com/PrivateIPv4Address';
const POD_SG = 'fargate.amazonaws.com/pod-sg';
const FARGATE_LABEL = 'eks.amazonaws.com/fargate-profile';
const sgList = ['sg-1', 'sg-2'];

type Pod = { metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: { name: string; resources: Record<string, Record<string, string> | undefined> }[]; nodeSelector: Record<string, string>; hostNetwork?: boolean } };
// basePod of pod_webhook_test.go.
const basePod = (): Pod => ({
  metadata: { name: 'foo', namespace: 'default', labels: {}, annotations: { 'existing-key': 'existing-val' } },
  spec: { containers: [{ name: 'bar', resources: { limits: { cpu: '100m' }, requests: { cpu: '200m' } } }], nodeSelector: {} },
});
const withoutLimits = (): Pod => {
  const p = basePod();
  p.spec.containers[0] = { name: 'bar', resources: {} };
  return p;
};
const fargate = (annotation?: string): Pod => {
  const p = basePod();
  p.metadata.labels[FARGATE_LABEL] = 'fargate-profile';
  if (annotation !== undefined) p.metadata.annotations[POD_SG] = annotation;
  return p;
};
const returns = (groups: string[] | null): ResolvePodSecurityGroups => () => Promise.resolve({ groups: groups ?? [], matched: (groups ?? []).length > 0 });
const fails: ResolvePodSecurityGroups = () => Promise.reject(new Error('mock erorr'));

async function mutate(pod: Pod, resolve: ResolvePodSecurityGroups) {
  const out = await mutatePod(podReview({ object: pod, namespace: 'default', name: 'foo' }), { resolvePodSecurityGroups: resolve, logger: silentLogger() });
  const ops = decodePatch(out);
  return { allowed: out.response?.allowed, patched: ops !== undefined && ops.length > 0, warnings: out.response?.warnings ?? [], after: (ops ? applyJsonPatch(pod, ops) : pod) as unknown as Pod };
}

describe('pod_webhook_test.go TestPodMutationWebHook_Handle', () => {
  it('[Linux] Pod matches SG no existing resource limits', async () => {
    const r = await mutate(withoutLimits(), returns(sgList));
    expect(r.allowed).toBe(true);
    expect(r.after.spec.containers[0]?.resources).toEqual({ limits: { [ENI]: '1' }, requests: { [ENI]: '1' } });
  });
  it('[Linux] Pod matches SG', async () => {
    const r = await mutate(basePod(), returns(sgList));
    expect(r.after.spec.containers[0]?.resources).toEqual({ limits: { cpu: '100m', [ENI]: '1' }, requests: { cpu: '200m', [ENI]: '1' } });
  });
  it("[Linux] Pod doesn't match annotation", async () => {
    const r = await mutate(basePod(), returns([]));
    expect(r).toMatchObject({ allowed: true, patched: false });
  });
  it('[Linux] SGP returns error → ours: allowed unpatched with a warning (difference D3; upstream denies)', async () => {
    const r = await mutate(basePod(), fails);
    expect(r).toMatchObject({ allowed: true, patched: false });
    expect(r.warnings[0]).toContain('mock erorr');
  });
  it('[Fargate] not matching any SG', async () => {
    const r = await mutate(fargate(), returns([]));
    expect(r).toMatchObject({ allowed: true, patched: false });
  });
  it('[Fargate] user adds SG, must be replaced with new list', async () => {
    const r = await mutate(fargate(sgList.join(',')), returns(['sg1']));
    expect(r.after.metadata.annotations[POD_SG]).toBe('sg1');
  });
  it('[Fargate] user adds SG (no policy matches) → annotation removed', async () => {
    const r = await mutate(fargate(sgList.join(',')), returns(null));
    expect(r.after.metadata.annotations).toEqual({ 'existing-key': 'existing-val' });
  });
  it('[Fargate] matching some SG', async () => {
    const r = await mutate(fargate(), returns(sgList));
    expect(r.after.metadata.annotations[POD_SG]).toBe('sg-1,sg-2');
    expect(r.after.spec.containers[0]?.resources).toEqual(basePod().spec.containers[0]?.resources);
  });
  it('[Fargate] SGP returns error → ours: allowed without pod-sg, with a warning (difference F2; upstream denies)', async () => {
    const r = await mutate(fargate(), fails);
    expect(r).toMatchObject({ allowed: true, patched: false });
    expect(r.warnings[0]).toContain('Fargate pod');
  });
  it('[HostNetwork] should be allowed', async () => {
    const p = basePod();
    p.spec.hostNetwork = true;
    expect(await mutate(p, returns(sgList))).toMatchObject({ allowed: true, patched: false });
  });
  it.each([
    ['[Windows] with non-beta label', 'kubernetes.io/os'],
    ['[Windows] with beta label', 'beta.kubernetes.io/os'],
  ])('%s → ours: allowed unchanged, no PrivateIPv4Address (difference D5: no Windows IPAM)', async (_n, label) => {
    const p = basePod();
    p.spec.nodeSelector[label] = 'windows';
    const r = await mutate(p, returns(sgList));
    expect(r).toMatchObject({ allowed: true, patched: false });
    expect(JSON.stringify(r.after)).not.toContain(IPV4);
  });
  it('[Windows] when feature is disabled, there should be no ops', async () => {
    const p = withoutLimits();
    p.spec.nodeSelector['beta.kubernetes.io/os'] = 'windows';
    expect(await mutate(p, returns(sgList))).toMatchObject({ allowed: true, patched: false });
  });
  it('(HandleLinuxPod) a pod asking for pod-eni "2" → ours: kept at 2 (difference D2; upstream overwrites with "1")', async () => {
    const p = basePod();
    (p.spec.containers[0] as { resources: Record<string, Record<string, string>> }).resources = { limits: { [ENI]: '2' }, requests: { [ENI]: '2' } };
    const r = await mutate(p, returns(sgList));
    expect(r.patched).toBe(false);
    expect(r.after.spec.containers[0]?.resources.limits?.[ENI]).toBe('2');
  });
});

describe('annotation_validation_webhook_test.go TestAnnotationValidator_Handle', () => {
  const withAnn = (key: string, value: string) => {
    const p = basePod();
    p.metadata.annotations[key] = value;
    return p;
  };
  const podWithoutAnnotation = basePod();
  const podWithAnnotation = withAnn(ENI, 'annotation-value');
  const podWithDifferentAnnotation = withAnn(ENI, 'annotation-value-2');
  const fargateWithout = fargate();
  const fargateWith = fargate('sg-123');
  const fargateDifferent = fargate('sg-456');
  const v = (operation: 'CREATE' | 'UPDATE' | 'DELETE', user: string, object?: Pod, oldObject?: Pod) =>
    validatePodAnnotation(podReview({ operation, user, ...(object ? { object } : {}), ...(oldObject ? { oldObject } : {}), namespace: 'default', name: 'foo' }), { logger: silentLogger() }).response?.allowed;

  it('[windows] allow all request when feature disabled: the Windows IPv4 annotation is not guarded (D5)', () => {
    expect(v('CREATE', 'unauthorized-user', withAnn(IPV4, '192.168.68.74'))).toBe(true);
    expect(v('UPDATE', 'unauthorized-user', podWithoutAnnotation, withAnn(IPV4, '192.168.68.74'))).toBe(true);
  });
  it("[create] when no annotation, approve request", () => {
    expect(v('CREATE', 'kubernetes-admin', podWithoutAnnotation)).toBe(true);
  });
  it("[create] when there's annotation, reject request", () => {
    expect(v('CREATE', 'kubernetes-admin', podWithAnnotation)).toBe(false);
  });
  it.each([
    ['old vpc-resource-controller SA', 'system:serviceaccount:kube-system:vpc-resource-controller'],
    ['new vpc-resource-controller SA', 'system:serviceaccount:kube-system:eks-vpc-resource-controller'],
    ['eks:vpc-resource-controller user', 'eks:vpc-resource-controller'],
  ])('[update] annotation created by %s, allow request', (_n, user) => {
    expect(v('UPDATE', user, podWithAnnotation, podWithoutAnnotation)).toBe(true);
  });
  it('[update] annotation created by unauthorized user, deny request', () => {
    expect(v('UPDATE', 'some unauthorized user', podWithAnnotation, podWithoutAnnotation)).toBe(false);
  });
  it('[update] annotation updated by unauthorized user, deny request', () => {
    expect(v('UPDATE', 'some unauthorized user', podWithAnnotation, podWithDifferentAnnotation)).toBe(false);
  });
  it('[update] annotation deleted by unauthorized user, deny request', () => {
    expect(v('UPDATE', 'some unauthorized user', podWithoutAnnotation, podWithAnnotation)).toBe(false);
  });
  it.each([
    ['added', fargateWith, fargateWithout],
    ['updated', fargateDifferent, fargateWith],
    ['deleted', fargateWithout, fargateWith],
  ])('[update] fargate pod-sg annotation %s during UPDATE event, deny request', (_n, after, before) => {
    expect(v('UPDATE', 'kubernetes-admin', after, before)).toBe(false);
    // Difference F1: the controller identities may (upstream denies them too).
    expect(v('UPDATE', 'eks:vpc-resource-controller', after, before)).toBe(true);
  });
  it('[delete] delete, allow request', () => {
    expect(v('DELETE', 'some unauthorized user', undefined, podWithAnnotation)).toBe(true);
  });
});

describe('node_update_webhook_test.go TestNodeUpdateWebhook_Handle', () => {
  const AWS_NODE = 'system:serviceaccount:kube-system:aws-node';
  const baseNode = (change: (n: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown>; status: Record<string, unknown> }) => void = () => undefined) => {
    const n = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'default', annotations: { 'existing-key': 'existing-val' }, labels: { 'existing-label': 'existing-val' } }, spec: { unschedulable: false } as Record<string, unknown>, status: { phase: 'Ready' } as Record<string, unknown> };
    change(n);
    return n;
  };
  const allowed = (user: string, after: unknown) => validateNodeUpdate(nodeReview({ user, oldObject: baseNode(), object: after }), { logger: silentLogger() }).response?.allowed;

  it('[sgp] allow request when username is not aws-node', () => {
    expect(allowed('system:serviceaccount:sa:sa-name', baseNode((n) => (n.metadata.labels['some-label'] = 'some-val')))).toBe(true);
  });
  it('[sgp] allow request when expected label/annotations are modified', () => {
    expect(allowed(AWS_NODE, baseNode((n) => (n.metadata.labels['vpc.amazonaws.com/has-trunk-attached'] = 'true')))).toBe(true);
    expect(allowed(AWS_NODE, baseNode((n) => (n.metadata.labels['vpc.amazonaws.com/eniConfig'] = 'us-west-2a')))).toBe(true);
  });
  it('[sgp] deny request if any non expected field is modified', () => {
    expect(allowed(AWS_NODE, baseNode((n) => (n.metadata.labels['some-label'] = 'some-val')))).toBe(false);
    expect(allowed(AWS_NODE, baseNode((n) => (n.status.phase = 'NotReady')))).toBe(false);
    expect(allowed(AWS_NODE, baseNode((n) => (n.spec.providerID = 'some-val')))).toBe(false);
    expect(allowed(AWS_NODE, baseNode((n) => (n.spec.taints = [{ key: 'effect', value: 'NoSchedule' }])))).toBe(false);
  });
});

describe('webhook registration (upstream kubebuilder markers in pod_webhook.go, annotation_validation_webhook.go, node_update_webhook.go)', () => {
  const { mutating, validating } = buildWebhookConfigurations({ caPem: 'PEM', target: { url: 'https://127.0.0.1:9443' } });
  it('same names, paths, operations and failurePolicy ignore as upstream', () => {
    const mpod = mutating.webhooks?.[0];
    expect(mpod?.name).toBe('mpod.vpc.k8s.aws');
    expect(mpod?.clientConfig.url).toMatch(/\/mutate-v1-pod$/);
    expect(mpod?.rules?.[0]?.operations).toEqual(['CREATE']);
    expect(mpod?.failurePolicy).toBe('Ignore');
    const byName = new Map((validating.webhooks ?? []).map((w) => [w.name, w]));
    expect(byName.get('vpod.vpc.k8s.aws')?.clientConfig.url).toMatch(/\/validate-v1-pod$/);
    expect(byName.get('vpod.vpc.k8s.aws')?.rules?.[0]?.operations).toEqual(['CREATE', 'UPDATE']);
    expect(byName.get('vnode.vpc.k8s.aws')?.clientConfig.url).toMatch(/\/validate-v1-node$/);
  });
  it('mpod is scoped (difference D1; upstream has no selectors): not kube-system, not the controller’s own pods', () => {
    const mpod = mutating.webhooks?.[0];
    expect(mpod?.namespaceSelector?.matchExpressions).toEqual([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }]);
    expect(mpod?.objectSelector?.matchExpressions).toEqual([{ key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['vpc-resource-controller'] }]);
  });
});
