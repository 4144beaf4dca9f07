import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROLLER_IDENTITIES } from '../../../src/apis/constants.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { BadAdmissionRequest } from '../../../src/webhooks/admission-review.js';
import { validatePodAnnotation } from '../../../src/webhooks/pod-annotation-validator.js';
import { pod, podReview } from './fixtures.js';

const KEY = 'vpc.amazonaws.com/pod-eni';
const VALUE = '[{"eniId":"eni-09a7a909e06fc4be6","ifAddress":"02:b0:01:6c:b5:79","privateIp":"192.168.26.162","vlanId":1,"subnetCidr":"192.168.0.0/19"}]';
const ADMIN = 'kubernetes-admin';
const CONTROLLER = 'system:serviceaccount:kube-system:vpc-resource-controller';

const withAnn = (annotations?: Record<string, string>): Record<string, unknown> =>
  pod({ containers: [{ name: 'a' }] }, annotations ? { annotations } : {});

describe('vpod: CREATE', () => {
  const cases: { name: string; user: string; annotations?: Record<string, string>; allowed: boolean }[] = [
    { name: 'admin creates with the annotation → denied', user: ADMIN, annotations: { [KEY]: VALUE }, allowed: false },
    { name: 'even the controller may not create with it', user: CONTROLLER, annotations: { [KEY]: VALUE }, allowed: false },
    { name: 'an empty annotation value still counts', user: ADMIN, annotations: { [KEY]: '' }, allowed: false },
    { name: 'other annotations are fine', user: ADMIN, annotations: { 'example.com/x': 'y' }, allowed: true },
    { name: 'no annotations', user: ADMIN, allowed: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = validatePodAnnotation(podReview({ user: c.user, object: withAnn(c.annotations) }), { logger: silentLogger() });
      expect(out.response?.allowed).toBe(c.allowed);
      if (!c.allowed) {
        expect(out.response?.status?.code).toBe(403);
        expect(out.response?.status?.message).toContain(`pod cannot be created with the ${KEY} annotation`);
        expect(out.response?.status?.message).toContain(`user "${c.user}"`);
      } else {
        expect(out.response?.status).toBeUndefined();
      }
    });
  }
});

describe('vpod: UPDATE', () => {
  const cases: { name: string; user: string; before?: string; after?: string; allowed: boolean; verb?: string; identities?: string[] }[] = [
    { name: 'admin adds it → denied', user: ADMIN, after: VALUE, allowed: false, verb: 'add' },
    { name: 'admin changes it → denied', user: ADMIN, before: VALUE, after: VALUE.replace('vlanId":1', 'vlanId":2'), allowed: false, verb: 'change' },
    { name: 'admin removes it → denied', user: ADMIN, before: VALUE, allowed: false, verb: 'remove' },
    { name: 'admin adds an empty one → denied (presence matters)', user: ADMIN, after: '', allowed: false, verb: 'add' },
    { name: 'admin removes an empty one → denied', user: ADMIN, before: '', allowed: false, verb: 'remove' },
    { name: 'admin updates other fields, annotation unchanged → allowed', user: ADMIN, before: VALUE, after: VALUE, allowed: true },
    { name: 'admin updates a pod without it → allowed', user: ADMIN, allowed: true },
    ...DEFAULT_CONTROLLER_IDENTITIES.map((id) => ({ name: `controller identity ${id} adds it → allowed`, user: id, after: VALUE, allowed: true })),
    { name: 'controller removes it → allowed', user: CONTROLLER, before: VALUE, allowed: true },
    { name: 'aws-node is not the controller → denied', user: 'system:serviceaccount:kube-system:aws-node', after: VALUE, allowed: false, verb: 'add' },
    {
      name: 'configured list replaces the default: the default controller is now denied',
      user: CONTROLLER,
      after: VALUE,
      allowed: false,
      verb: 'add',
      identities: ['system:serviceaccount:infra:my-controller'],
    },
    {
      name: 'configured list: the configured identity is allowed',
      user: 'system:serviceaccount:infra:my-controller',
      after: VALUE,
      allowed: true,
      identities: ['system:serviceaccount:infra:my-controller'],
    },
    { name: 'anonymous user (no username) → denied', user: '', after: VALUE, allowed: false, verb: 'add' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ann = (v?: string): Record<string, string> | undefined => (v === undefined ? undefined : { [KEY]: v, other: 'kept' });
      const review = podReview({ operation: 'UPDATE', user: c.user, oldObject: withAnn(ann(c.before)), object: withAnn(ann(c.after)) });
      const out = validatePodAnnotation(review, { logger: silentLogger(), ...(c.identities ? { controllerIdentities: c.identities } : {}) });
      expect(out.response?.allowed).toBe(c.allowed);
      expect(out.response?.uid).toBe(review.request.uid);
      if (!c.allowed) {
        const msg = out.response?.status?.message ?? '';
        expect(msg).toContain(`may not ${c.verb ?? ''} the ${KEY} annotation on pod shop/web`);
        expect(msg).toContain(c.user === '' ? 'an anonymous user' : `user "${c.user}"`);
        for (const id of c.identities ?? DEFAULT_CONTROLLER_IDENTITIES) expect(msg).toContain(id);
      }
    });
  }

  it('DELETE is allowed', () => {
    const out = validatePodAnnotation(podReview({ operation: 'DELETE', oldObject: withAnn({ [KEY]: VALUE }) }), { logger: silentLogger() });
    expect(out.response?.allowed).toBe(true);
  });

  it('UPDATE without oldObject is a bad request naming the field', () => {
    expect(() => validatePodAnnotation(podReview({ operation: 'UPDATE', object: withAnn() }), { logger: silentLogger() })).toThrow(BadAdmissionRequest);
    expect(() => validatePodAnnotation(podReview({ operation: 'UPDATE', object: withAnn() }), { logger: silentLogger() })).toThrow(/oldObject/);
  });
});
