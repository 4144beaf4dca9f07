import { describe, expect, it, vi } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { silentLogger } from '../../../src/observability/logger.js';
import { createPolicyResolver, type PolicySource } from '../../../src/webhooks/policy-resolver.js';
import { mutatePod } from '../../../src/webhooks/pod-mutator.js';
import { decodePatch, pod, podReview } from './fixtures.js';

const SG_A = 'sg-0123456789abcdef0';
const SG_B = 'sg-0fedcba9876543210';

function sgp(name: string, spec: Record<string, unknown>, namespace = 'shop'): Record<string, unknown> {
  return { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name, namespace }, spec };
}

function source(policies: Record<string, unknown>[], serviceAccounts: Record<string, Record<string, string>>): PolicySource & { saLookups: ReturnType<typeof vi.fn> } {
  const saLookups = vi.fn((ns: string, name: string) => serviceAccounts[`${ns}/${name}`]);
  return {
    listPolicies: (ns) => policies.filter((p) => (p.metadata as { namespace: string }).namespace === ns),
    serviceAccountLabels: saLookups,
    saLookups,
  };
}

const aPod = (labels: Record<string, string>, serviceAccountName?: string): V1Pod =>
  ({ metadata: { name: 'web', labels }, spec: { containers: [{ name: 'a' }], ...(serviceAccountName ? { serviceAccountName } : {}) } });

describe('createPolicyResolver', () => {
  it('no policies in the namespace → no groups, ServiceAccount never looked up', async () => {
    const src = source([sgp('other', { podSelector: {}, securityGroups: { groupIds: [SG_A] } }, 'elsewhere')], {});
    await expect(createPolicyResolver(src)(aPod({ app: 'web' }), 'shop')).resolves.toEqual({ groups: [], matched: false });
    expect(src.saLookups).not.toHaveBeenCalled();
  });

  it('pod-selector policies only → ServiceAccount not looked up, union in policy-name order', async () => {
    const src = source(
      [
        sgp('b-policy', { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [SG_B, SG_A] } }),
        sgp('a-policy', { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [SG_A] } }),
      ],
      {},
    );
    await expect(createPolicyResolver(src)(aPod({ app: 'web' }), 'shop')).resolves.toEqual({ groups: [SG_A, SG_B], matched: true });
    expect(src.saLookups).not.toHaveBeenCalled();
  });

  it('ServiceAccount selector → looks up the pod’s ServiceAccount (default when unset)', async () => {
    const src = source([sgp('by-sa', { serviceAccountSelector: { matchLabels: { tier: 'db' } }, securityGroups: { groupIds: [SG_A] } })], {
      'shop/default': { tier: 'db' },
    });
    await expect(createPolicyResolver(src)(aPod({}), 'shop')).resolves.toEqual({ groups: [SG_A], matched: true });
    expect(src.saLookups).toHaveBeenCalledWith('shop', 'default');
  });

  it('missing ServiceAccount → the policy that needed it does not match, and a warning says why', async () => {
    const src = source(
      [
        sgp('by-sa', { serviceAccountSelector: {}, securityGroups: { groupIds: [SG_B] } }),
        sgp('by-pod', { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [SG_A] } }),
      ],
      {},
    );
    const out = await createPolicyResolver(src)(aPod({ app: 'web' }, 'ghost'), 'shop');
    expect(out.groups).toEqual([SG_A]);
    expect(out.warnings).toEqual(['SecurityGroupPolicy shop/by-sa not applied: it selects by ServiceAccount labels and ServiceAccount shop/ghost was not found']);
  });

  it('through the mutating webhook: a pod no policy wants is admitted even though its ServiceAccount is missing', async () => {
    const src = source([sgp('by-sa', { podSelector: { matchLabels: { app: 'db' } }, serviceAccountSelector: {}, securityGroups: { groupIds: [SG_A] } })], {});
    const out = await mutatePod(podReview({ object: pod({ serviceAccountName: 'ghost', containers: [{ name: 'a' }] }) }), {
      resolvePodSecurityGroups: createPolicyResolver(src),
      logger: silentLogger(),
    });
    expect(out.response?.allowed).toBe(true);
    expect(decodePatch(out)).toBeUndefined();
    expect(out.response?.warnings).toBeUndefined();
    expect(src.saLookups).not.toHaveBeenCalled();
  });

  it('through the mutating webhook: warnings reach the response alongside the patch', async () => {
    const src = source(
      [sgp('by-sa', { serviceAccountSelector: {}, securityGroups: { groupIds: [SG_B] } }), sgp('by-pod', { podSelector: {}, securityGroups: { groupIds: [SG_A] } })],
      {},
    );
    const out = await mutatePod(podReview({ object: pod({ containers: [{ name: 'a' }] }) }), { resolvePodSecurityGroups: createPolicyResolver(src), logger: silentLogger() });
    expect(decodePatch(out)).toHaveLength(1);
    expect(out.response?.warnings?.[0]).toContain('shop/by-sa not applied');
  });

  it('caches not ready → the resolver fails (so the webhook warns and counts) instead of answering "no match"', async () => {
    let ready = false;
    const src = { ...source([sgp('all', { podSelector: {}, securityGroups: { groupIds: [SG_A] } })], {}), ready: () => ready };
    await expect(createPolicyResolver(src)(aPod({}), 'shop')).rejects.toThrow('caches are not synced yet');
    ready = true;
    await expect(createPolicyResolver(src)(aPod({}), 'shop')).resolves.toEqual({ groups: [SG_A], matched: true });
  });

  it('a policy giving groups only by name still matches at admission (the pod needs its ENI; the controller resolves the names)', async () => {
    const src = source([sgp('by-name', { podSelector: {}, securityGroups: { groupNames: ['web'] } })], {});
    await expect(createPolicyResolver(src)(aPod({}), 'shop')).resolves.toEqual({ groups: [], matched: true, unresolvedPolicies: ['by-name'] });
  });

  it('hostNetwork pods match nothing', async () => {
    const src = source([sgp('all', { podSelector: {}, securityGroups: { groupIds: [SG_A] } })], {});
    const p = aPod({});
    p.spec = { ...p.spec, containers: p.spec?.containers ?? [], hostNetwork: true };
    await expect(createPolicyResolver(src)(p, 'shop')).resolves.toEqual({ groups: [], matched: false });
  });
});
