// Webhook namespaceSelector/objectSelector in the local API server, evaluated as kube-apiserver
// does (its own matcher, src/sim/kube/label-selector.ts).
import { describe, expect, it } from 'vitest';
import { selectorsMatch, type AdmissionAttributes, type Webhook } from '../../../src/sim/kube/admission.js';
import { KubeError } from '../../../src/sim/kube/errors.js';
import { builtinResources } from '../../../src/sim/kube/resources.js';

const pods = builtinResources().find((d) => d.plural === 'pods' && d.group === '');
if (!pods) throw new Error('no pods resource');
const attrs = (labels: Record<string, string>, nsLabels: Record<string, string> = {}): AdmissionAttributes => ({
  operation: 'CREATE',
  def: pods,
  subresource: '',
  name: 'p',
  namespace: 'default',
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels } },
  user: { username: 'kubernetes-admin', groups: [] },
  dryRun: false,
  namespaceLabels: nsLabels,
});
const hook = (h: Partial<Webhook>): Webhook => ({ name: 'h.example.com', clientConfig: { url: 'https://127.0.0.1:1' }, ...h });

describe('webhook selectors in the local API server', () => {
  it('absent selectors default to {} and select everything', () => {
    expect(selectorsMatch(hook({}), attrs({}))).toBe(true);
  });
  it('objectSelector NotIn selects pods without the label, not pods with a listed value', () => {
    const h = hook({ objectSelector: { matchExpressions: [{ key: 'eks.amazonaws.com/fargate-profile', operator: 'DoesNotExist' }] } });
    expect(selectorsMatch(h, attrs({ app: 'x' }))).toBe(true);
    expect(selectorsMatch(h, attrs({ 'eks.amazonaws.com/fargate-profile': 'fp' }))).toBe(false);
  });
  it('namespaceSelector reads the namespace labels', () => {
    const h = hook({ namespaceSelector: { matchLabels: { team: 'a' } } });
    expect(selectorsMatch(h, attrs({}, { team: 'a' }))).toBe(true);
    expect(selectorsMatch(h, attrs({}, { team: 'b' }))).toBe(false);
  });
  it('an invalid selector fails the request with an internal error, as kube-apiserver does', () => {
    const h = hook({ objectSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] } });
    let err: unknown;
    try {
      selectorsMatch(h, attrs({ app: 'x' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).message).toMatch(/Internal error occurred: "Equals" is not a valid label selector operator/);
  });
});
