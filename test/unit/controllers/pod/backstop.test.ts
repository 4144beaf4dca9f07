import { describe, expect, it } from 'vitest';
import { missingResourceWarning, type BackstopInput } from '../../../../src/controllers/pod/backstop.js';

const policy = { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: ['sg-0123456789abcdef0'] } } };
const base: BackstopInput = { pod: { namespace: 'shop', labels: { app: 'web' } }, requested: 0, phase: 'Running', annotations: {}, policies: [policy], serviceAccountLabels: undefined };

describe('missingResourceWarning', () => {
  it('warns about a matching pod without the request, naming the policy, groups and fix', () => {
    const msg = missingResourceWarning(base);
    expect(msg).toContain('SecurityGroupPolicy p');
    expect(msg).toContain('[sg-0123456789abcdef0]');
    expect(msg).toContain('does not request vpc.amazonaws.com/pod-eni');
    expect(msg).toContain('recreate the pod');
  });
  it.each<[string, Partial<BackstopInput>]>([
    ['it requests the resource', { requested: 1 }],
    ['it finished', { phase: 'Succeeded' }],
    ['it failed', { phase: 'Failed' }],
    ['it is annotated already', { annotations: { 'vpc.amazonaws.com/pod-eni': '[]' } }],
    ['no policy selects it', { pod: { namespace: 'shop', labels: { app: 'db' } } }],
    ['it is a Fargate pod (its groups are in fargate.amazonaws.com/pod-sg)', { pod: { namespace: 'shop', labels: { app: 'web', 'eks.amazonaws.com/fargate-profile': 'fp' } } }],
    ['it is on the host network', { pod: { namespace: 'shop', labels: { app: 'web' }, hostNetwork: true } }],
    ['the policy is in another namespace', { pod: { namespace: 'other', labels: { app: 'web' } } }],
  ])('stays quiet when %s', (_why, change) => {
    expect(missingResourceWarning({ ...base, ...change })).toBeUndefined();
  });
});
