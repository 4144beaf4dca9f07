import { describe, expect, it } from 'vitest';
import { podEniRequest, type PodResourceFacts } from '../../../src/domain/pod-eni-request.js';

const c = (requests?: Record<string, unknown>, limits?: Record<string, unknown>) => ({ resources: { requests, limits } });
const R = 'vpc.amazonaws.com/pod-eni';

describe('podEniRequest', () => {
  it.each<[string, PodResourceFacts | undefined, number]>([
    ['no spec', undefined, 0],
    ['no containers', {}, 0],
    ['no request', { containers: [c({ cpu: '1' })] }, 0],
    ['webhook-mutated container 0', { containers: [c({ [R]: '1' }, { [R]: '1' })] }, 1],
    ['limit only', { containers: [c(undefined, { [R]: '1' })] }, 1],
    ['summed over containers', { containers: [c({ [R]: '1' }), c({ cpu: '1' }), c({ [R]: '2' })] }, 3],
    ['init container larger than the sum', { containers: [c({ [R]: '1' })], initContainers: [c({ [R]: '2' })] }, 2],
    ['number quantity', { containers: [c({ [R]: 2 })] }, 2],
    ['null resources', { containers: [{ resources: null }] }, 0],
  ])('%s → %i', (_name, spec, n) => {
    expect(podEniRequest(spec)).toEqual({ ok: true, value: n });
  });

  it.each<[string, PodResourceFacts, string]>([
    ['a fraction', { containers: [c({ [R]: '500m' })] }, 'spec.containers[0].resources vpc.amazonaws.com/pod-eni: "500m" is not a whole number'],
    ['garbage in an init container', { initContainers: [c({ [R]: 'x' })] }, 'spec.initContainers[0].resources vpc.amazonaws.com/pod-eni: "x" is not a whole number'],
  ])('rejects %s', (_name, spec, error) => {
    expect(podEniRequest(spec)).toEqual({ ok: false, errors: [error] });
  });
});
