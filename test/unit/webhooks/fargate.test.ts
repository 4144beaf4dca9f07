// Fargate pods (issue 9 item 4), as upstream webhooks/core/pod_webhook.go HandleFargatePod and
// annotation_validation_webhook.go handleUpdate: no pod-eni request, the groups go into the
// `fargate.amazonaws.com/pod-sg` annotation, and only the controller may change it afterwards.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.js';
import { applyJsonPatch } from '../../../src/sim/kube/patch.js';
import { mutatePod } from '../../../src/webhooks/pod-mutator.js';
import { validatePodAnnotation } from '../../../src/webhooks/pod-annotation-validator.js';
import { decodePatch, pod, podReview } from './fixtures.js';

const POD_SG = 'fargate.amazonaws.com/pod-sg';
const FARGATE = { 'eks.amazonaws.com/fargate-profile': 'fp-default', app: 'web' };
const SG_A = 'sg-0aaaaaaaaaaaaaaaa';
const SG_B = 'sg-0bbbbbbbbbbbbbbbb';
const groups = (g: string[], extra: Record<string, unknown> = {}) => () => Promise.resolve({ groups: g, matched: g.length > 0, ...extra });
const fargatePod = (annotations?: Record<string, unknown> | null, labels: Record<string, string> = FARGATE): Record<string, unknown> =>
  pod({ containers: [{ name: 'app', image: 'nginx', resources: {} }] }, { labels, ...(annotations !== undefined ? { annotations } : {}) });

async function admit(object: Record<string, unknown>, resolve: Parameters<typeof mutatePod>[1]['resolvePodSecurityGroups']) {
  const out = await mutatePod(podReview({ object }), { resolvePodSecurityGroups: resolve, logger: silentLogger() });
  const ops = decodePatch(out);
  const after = ops ? applyJsonPatch(object, ops) : object;
  return { out, after: after as { metadata: { annotations?: Record<string, string> }; spec: { containers: { resources?: Record<string, unknown> }[] } } };
}

describe('mpod: Fargate pods get the pod-sg annotation, never a pod-eni request', () => {
  it('matching pod without annotations → annotation added with the groups, comma separated in policy order; no pod-eni', async () => {
    const { out, after } = await admit(fargatePod(), groups([SG_B, SG_A]));
    expect(out.response?.allowed).toBe(true);
    expect(after.metadata.annotations).toEqual({ [POD_SG]: `${SG_B},${SG_A}` });
    expect(after.spec.containers[0]?.resources).toEqual({});
  });
  it('matching pod with other annotations → only the key is added, others kept', async () => {
    const { after } = await admit(fargatePod({ team: 'shop' }), groups([SG_A]));
    expect(after.metadata.annotations).toEqual({ team: 'shop', [POD_SG]: SG_A });
  });
  it('matching pod created with a different pod-sg value → replaced by the matched groups', async () => {
    const { after } = await admit(fargatePod({ [POD_SG]: 'sg-0ffffffffffffffff' }), groups([SG_A, SG_B]));
    expect(after.metadata.annotations?.[POD_SG]).toBe(`${SG_A},${SG_B}`);
  });
  it('matching pod already carrying exactly the matched value → no patch', async () => {
    const { out } = await admit(fargatePod({ [POD_SG]: `${SG_A},${SG_B}` }), groups([SG_A, SG_B]));
    expect(out.response?.allowed).toBe(true);
    expect(out.response?.patch).toBeUndefined();
  });
  it('pod matching no policy but created with pod-sg → annotation removed (only the webhook sets it)', async () => {
    const { out, after } = await admit(fargatePod({ [POD_SG]: SG_A, team: 'shop' }), groups([]));
    expect(out.response?.allowed).toBe(true);
    expect(after.metadata.annotations).toEqual({ team: 'shop' });
  });
  it('pod matching no policy, no annotation → allowed unchanged', async () => {
    const { out } = await admit(fargatePod(), groups([]));
    expect(out.response?.allowed).toBe(true);
    expect(out.response?.patch).toBeUndefined();
  });
  it('annotations: null → the map is added', async () => {
    const { after } = await admit(fargatePod(null), groups([SG_A]));
    expect(after.metadata.annotations).toEqual({ [POD_SG]: SG_A });
  });
  it('the fargate-profile label with an empty value still marks a Fargate pod (presence, as upstream)', async () => {
    const { after } = await admit(fargatePod(undefined, { 'eks.amazonaws.com/fargate-profile': '' }), groups([SG_A]));
    expect(after.metadata.annotations?.[POD_SG]).toBe(SG_A);
    expect(after.spec.containers[0]?.resources).toEqual({});
  });
  it('a non-Fargate pod never gets pod-sg (it gets pod-eni)', async () => {
    const { after } = await admit(fargatePod(undefined, { app: 'web' }), groups([SG_A]));
    expect(after.metadata.annotations).toBeUndefined();
    expect(after.spec.containers[0]?.resources).toEqual({ limits: { 'vpc.amazonaws.com/pod-eni': '1' }, requests: { 'vpc.amazonaws.com/pod-eni': '1' } });
  });
  it('hostNetwork Fargate pod → untouched', async () => {
    const object = pod({ hostNetwork: true, containers: [{ name: 'app', image: 'nginx' }] }, { labels: FARGATE, annotations: { [POD_SG]: SG_A } });
    const out = await mutatePod(podReview({ object }), { resolvePodSecurityGroups: groups([SG_A]), logger: silentLogger() });
    expect(out.response?.patch).toBeUndefined();
  });
  it('a policy by group name → known IDs annotated, a warning names the policy and the fix', async () => {
    const { out, after } = await admit(fargatePod(), groups([SG_A], { unresolvedPolicies: ['by-name'] }));
    expect(after.metadata.annotations?.[POD_SG]).toBe(SG_A);
    expect(out.response?.warnings?.[0]).toMatch(/SecurityGroupPolicy shop\/by-name gives groups by name or tag.*groupIds/);
  });
  it('resolver failure → admitted with a warning, and a pod-sg the creator wrote is removed', async () => {
    const { out, after } = await admit(fargatePod({ [POD_SG]: SG_A }), () => Promise.reject(new Error('cache down')));
    expect(out.response?.allowed).toBe(true);
    expect(after.metadata.annotations).toEqual({});
    expect(out.response?.warnings?.[0]).toMatch(/Fargate pod \(cache down\).*recreate the pod/);
  });
});

describe('vpod: the pod-sg annotation after creation', () => {
  const validate = (user: string, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined) =>
    validatePodAnnotation(
      podReview({ operation: 'UPDATE', user, oldObject: fargatePod(before), object: fargatePod(after) }),
      { logger: silentLogger() },
    );
  const CONTROLLER = 'system:serviceaccount:kube-system:eks-vpc-resource-controller';
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown> | undefined, string]>([
    ['change', { [POD_SG]: SG_A }, { [POD_SG]: SG_B }, 'change'],
    ['remove', { [POD_SG]: SG_A }, {}, 'remove'],
    ['add', {}, { [POD_SG]: SG_A }, 'add'],
  ])('kubernetes-admin may not %s it', (_n, before, after, verb) => {
    const out = validate('kubernetes-admin', before, after);
    expect(out.response?.allowed).toBe(false);
    expect(out.response?.status?.message).toContain(`user "kubernetes-admin" may not ${verb} the ${POD_SG} annotation on pod shop/web`);
    expect(out.response?.status?.message).toContain('set by the mutating webhook');
  });
  it('the controller identity may change it', () => {
    expect(validate(CONTROLLER, { [POD_SG]: SG_A }, { [POD_SG]: SG_B }).response?.allowed).toBe(true);
  });
  it('other updates of a Fargate pod (labels, other annotations) are allowed', () => {
    expect(validate('kubernetes-admin', { [POD_SG]: SG_A }, { [POD_SG]: SG_A, team: 'x' }).response?.allowed).toBe(true);
  });
  it('CREATE with pod-sg is allowed (the mutating webhook just set it)', () => {
    const out = validatePodAnnotation(podReview({ operation: 'CREATE', object: fargatePod({ [POD_SG]: SG_A }) }), { logger: silentLogger() });
    expect(out.response?.allowed).toBe(true);
  });
});
