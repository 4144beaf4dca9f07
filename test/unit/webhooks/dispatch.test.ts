import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.js';
import { parseAdmissionReview } from '../../../src/webhooks/admission-review.js';
import { dispatchAdmission, webhookRoutes, type WebhookRoute } from '../../../src/webhooks/dispatch.js';
import { createWebhookMetrics } from '../../../src/webhooks/metrics.js';
import { pod, podReview } from './fixtures.js';

describe('parseAdmissionReview: garbage is named, never thrown', () => {
  const good = podReview({ object: pod({ containers: [{ name: 'a' }] }) });
  const mutate = (f: (r: Record<string, unknown>) => void): string => {
    const copy = structuredClone(good) as unknown as Record<string, unknown>;
    f(copy);
    return JSON.stringify(copy);
  };
  const req = (r: Record<string, unknown>): Record<string, unknown> => r.request as Record<string, unknown>;
  const cases: { name: string; body: string; message: RegExp }[] = [
    { name: 'not JSON', body: '<xml/>', message: /not valid JSON/ },
    { name: 'empty body', body: '', message: /not valid JSON/ },
    { name: 'JSON array', body: '[]', message: /must be a JSON object/ },
    { name: 'v1beta1 review', body: mutate((r) => (r.apiVersion = 'admission.k8s.io/v1beta1')), message: /unsupported apiVersion "admission.k8s.io\/v1beta1"/ },
    { name: 'wrong kind', body: mutate((r) => (r.kind = 'Pod')), message: /unsupported kind "Pod"/ },
    { name: 'no request', body: mutate((r) => delete r.request), message: /no request object/ },
    { name: 'no uid', body: mutate((r) => delete req(r).uid), message: /request\.uid is missing/ },
    { name: 'empty uid', body: mutate((r) => (req(r).uid = '')), message: /request\.uid is missing/ },
    { name: 'bad operation', body: mutate((r) => (req(r).operation = 'PATCH')), message: /operation "PATCH" is not one of/ },
    { name: 'no kind', body: mutate((r) => delete req(r).kind), message: /request\.kind is missing/ },
    { name: 'userInfo not an object', body: mutate((r) => (req(r).userInfo = 'root')), message: /userInfo must be an object/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parseAdmissionReview(c.body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(c.message);
    });
  }
  it('a good review parses, missing userInfo becomes {}', () => {
    const parsed = parseAdmissionReview(mutate((r) => delete req(r).userInfo));
    expect(parsed.ok && parsed.review.request.uid).toBe(good.request.uid);
    expect(parsed.ok && parsed.review.request.userInfo).toEqual({});
  });
});

describe('dispatchAdmission: status codes and metrics', () => {
  const metricsValue = async (m: ReturnType<typeof createWebhookMetrics>, outcome: string): Promise<number> =>
    (await m.admissions.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

  it('maps allowed / patched / denied / 400 / 500 and counts each by webhook and outcome', async () => {
    const metrics = createWebhookMetrics();
    const routes = webhookRoutes({
      resolvePodSecurityGroups: (p) => Promise.resolve({ groups: p.metadata?.labels?.role === 'demo-sg' ? ['sg-0123456789abcdef0'] : [] }),
      logger: silentLogger(),
      metrics,
    });
    const mpod = routes.get('/mutate-v1-pod') as WebhookRoute;
    const vpod = routes.get('/validate-v1-pod') as WebhookRoute;
    expect(mpod.name).toBe('mpod.vpc.k8s.aws');
    expect(vpod.name).toBe('vpod.vpc.k8s.aws');
    expect(routes.get('/validate-v1-node')?.name).toBe('vnode.vpc.k8s.aws');

    const deps = { logger: silentLogger(), metrics };
    const plain = await dispatchAdmission(mpod, JSON.stringify(podReview({ object: pod({ containers: [{ name: 'a' }] }) })), deps);
    expect(plain.statusCode).toBe(200);
    expect(plain.outcome).toBe('allowed');
    const patched = await dispatchAdmission(mpod, JSON.stringify(podReview({ object: pod({ containers: [{ name: 'a' }] }, { labels: { role: 'demo-sg' } }) })), deps);
    expect(patched.outcome).toBe('patched');
    const deny = await dispatchAdmission(
      vpod,
      JSON.stringify(podReview({ object: pod({ containers: [{ name: 'a' }] }, { annotations: { 'vpc.amazonaws.com/pod-eni': '[]' } }) })),
      deps,
    );
    expect(deny.statusCode).toBe(200);
    expect(deny.outcome).toBe('denied');
    const bad = await dispatchAdmission(mpod, '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', deps);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toEqual({ error: 'mpod.vpc.k8s.aws: bad AdmissionReview: AdmissionReview has no request object' });
    const badObject = await dispatchAdmission(mpod, JSON.stringify(podReview({})), deps);
    expect(badObject.statusCode).toBe(400);
    expect(JSON.stringify(badObject.body)).toContain('request.object is missing');

    const boom: WebhookRoute = { name: 'boom', handle: () => { throw new Error('kaboom'); } };
    const crashed = await dispatchAdmission(boom, JSON.stringify(podReview({ object: {} })), deps);
    expect(crashed.statusCode).toBe(500);
    expect(JSON.stringify(crashed.body)).toContain('kaboom');

    expect(await metricsValue(metrics, 'allowed')).toBe(1);
    expect(await metricsValue(metrics, 'patched')).toBe(1);
    expect(await metricsValue(metrics, 'denied')).toBe(1);
    expect(await metricsValue(metrics, 'bad_request')).toBe(2);
    expect(await metricsValue(metrics, 'error')).toBe(1);
    const byWebhook = (await metrics.admissions.get()).values.filter((v) => v.labels.webhook === 'mpod.vpc.k8s.aws');
    expect(byWebhook.reduce((s, v) => s + v.value, 0)).toBe(4);
  });
});
