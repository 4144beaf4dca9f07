// Ported from aws/amazon-vpc-resource-controller-k8s pkg/utils/helper_test.go (fixtures from
// pkg/utils/setup_test.go): which security groups a pod gets from SecurityGroupPolicies. Written
// against our matcher (src/domain/sgp-matching.ts) and the webhook's resolver. Where we differ on
// purpose the test checks our behaviour and names the row of docs/differences-from-eks.md.
// Upstream's fixture IDs (sg-00001) are not valid security group IDs, which our CRD validation
// rejects (docs/crds.md); they are padded to 8 hex digits (sg-00000001) here.
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { matchSecurityGroups, type PodFacts } from '../../../src/domain/sgp-matching.js';
import { createPolicyResolver } from '../../../src/webhooks/policy-resolver.js';

// setup_test.go: testPod / testSA labels and testSecurityGroupsOne.
const NS = 'test-namespace';
const testPod: PodFacts = { namespace: NS, labels: { role: 'db', environment: 'qa', app: 'test_app' }, serviceAccountName: 'test-sa' };
const testSA = { role: 'db', environment: 'qa' };
const testSecurityGroupsOne = ['sg-00000001', 'sg-00000002'];

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
const roleDbInQaProd: Selector = { matchLabels: { role: 'db' }, matchExpressions: [{ key: 'environment', operator: 'In', values: ['qa', 'production'] }] };
function sgp(name: string, spec: { podSelector?: Selector; serviceAccountSelector?: Selector; groupIds?: string[] }, namespace = NS): Record<string, unknown> {
  const { groupIds = testSecurityGroupsOne, ...selectors } = spec;
  return { apiVersion: 'vpcresources.k8s.aws/v1beta1', kind: 'SecurityGroupPolicy', metadata: { name, namespace }, spec: { ...selectors, securityGroups: { groupIds } } };
}
const groupsFor = (policies: unknown[], saLabels: Record<string, string> | undefined = testSA, pod: PodFacts = testPod) =>
  matchSecurityGroups({ pod, policies, serviceAccountLabels: saLabels }).groups;

describe('helper_test.go', () => {
  it('TestRemoveDuplicatedSg: a group given by several policies is listed once', () => {
    const groups = groupsFor([
      sgp('a', { podSelector: roleDbInQaProd, groupIds: ['sg-00000001', 'sg-00000002', 'sg-00000003'] }),
      sgp('b', { podSelector: roleDbInQaProd, groupIds: ['sg-00000001', 'sg-00000004', 'sg-00000005'] }),
    ]);
    expect(groups).toEqual(['sg-00000001', 'sg-00000002', 'sg-00000003', 'sg-00000004', 'sg-00000005']);
  });
  it('TestCanInjectENI_CombinedSelectors: pod and SA selectors both match', () => {
    expect(groupsFor([sgp('test', { podSelector: roleDbInQaProd, serviceAccountSelector: roleDbInQaProd })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_PodSelectors: pod selector alone', () => {
    expect(groupsFor([sgp('test', { podSelector: roleDbInQaProd })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_SASelectors: ServiceAccount selector alone', () => {
    expect(groupsFor([sgp('test', { serviceAccountSelector: roleDbInQaProd })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_Multi_SGPs: one policy by SA, one by pod: both groups', () => {
    const groups = groupsFor([sgp('test', { serviceAccountSelector: roleDbInQaProd, groupIds: ['sg-00000001'] }), sgp('test2', { podSelector: roleDbInQaProd, groupIds: ['sg-00000002'] })]);
    expect([...groups].sort()).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_EmptyPodSelector: an empty pod selector selects every pod', () => {
    expect(groupsFor([sgp('test', { podSelector: { matchLabels: {}, matchExpressions: [] } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_EmptySASelector: an empty SA selector selects every ServiceAccount', () => {
    expect(groupsFor([sgp('test', { serviceAccountSelector: { matchLabels: {}, matchExpressions: [] } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_MatchLabelSASelector', () => {
    expect(groupsFor([sgp('test', { serviceAccountSelector: { matchLabels: { role: 'db' } } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_MatchExpressionsSASelector', () => {
    expect(groupsFor([sgp('test', { serviceAccountSelector: { matchExpressions: [{ key: 'environment', operator: 'In', values: ['qa', 'production'] }] } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_MatchLabelPodSelector', () => {
    expect(groupsFor([sgp('test', { podSelector: { matchLabels: { role: 'db' } } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_MatchExpressionsPodSelector', () => {
    expect(groupsFor([sgp('test', { podSelector: { matchExpressions: [{ key: 'environment', operator: 'In', values: ['qa', 'production'] }] } })])).toEqual(testSecurityGroupsOne);
  });
  it('TestCanInjectENI_MismatchedSASelector: SA labelled environment=dev → no groups', () => {
    expect(groupsFor([sgp('test', { serviceAccountSelector: roleDbInQaProd })], { ...testSA, environment: 'dev' })).toEqual([]);
  });
  it('TestEmptySecurityGroupInSGP: a policy with an empty group list gives no groups (ours also reports it invalid)', () => {
    const r = matchSecurityGroups({ pod: testPod, policies: [sgp('test', { podSelector: roleDbInQaProd, groupIds: [] })], serviceAccountLabels: testSA });
    expect(r.groups).toEqual([]);
    expect(r.invalidPolicies.map((p) => p.name)).toEqual(['test']);
  });
  it('(filterPodSecurityGroups) neither selector → the policy matches nothing', () => {
    expect(groupsFor([sgp('test', {})])).toEqual([]);
  });

  describe('TestShouldAddENILimits (GetMatchingSecurityGroupForPods through the webhook resolver)', () => {
    const policies = [sgp('test-1', { podSelector: roleDbInQaProd }), sgp('test-2', { podSelector: { matchLabels: { app: 'vpc-controller' }, matchExpressions: roleDbInQaProd.matchExpressions }, groupIds: ['sg-00000001', 'sg-00000002', 'sg-00000003', 'sg-00000004'] })];
    const asPod = (p: PodFacts): V1Pod => ({ metadata: { name: 'test', namespace: p.namespace, labels: { ...(p.labels ?? {}) } }, spec: { containers: [{ name: 'c' }], serviceAccountName: p.serviceAccountName ?? undefined } });
    const resolver = (sa: Record<string, string> | undefined) =>
      createPolicyResolver({ listPolicies: (ns) => policies.filter((p) => (p.metadata as { namespace: string }).namespace === ns), serviceAccountLabels: () => sa });
    it('the test pod gets the first policy group first', async () => {
      const r = await resolver(testSA)(asPod(testPod), NS);
      expect(r.groups[0]).toBe(testSecurityGroupsOne[0]);
    });
    it('a pod in another namespace whose ServiceAccount does not exist: no groups and no error (difference D4: upstream returns an error)', async () => {
      const other = { ...testPod, namespace: 'test-namespace-1' };
      await expect(resolver(undefined)(asPod(other), other.namespace)).resolves.toEqual({ groups: [], matched: false });
    });
  });
});
