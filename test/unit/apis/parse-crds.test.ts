import { describe, expect, it } from 'vitest';
import { cniNodeFeatures, hasFeature, parseCNINode } from '../../../src/apis/cninode.js';
import { parseENIConfig } from '../../../src/apis/eniconfig.js';
import { parseSecurityGroupPolicy } from '../../../src/apis/security-group-policy.js';

const sgp = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'vpcresources.k8s.aws/v1beta1',
  kind: 'SecurityGroupPolicy',
  metadata: { name: 'db-clients', namespace: 'shop' },
  spec,
  ...extra,
});

describe('parseSecurityGroupPolicy', () => {
  it('accepts a policy by pod labels and keeps metadata it does not check', () => {
    const obj = sgp({ podSelector: { matchLabels: { app: 'checkout' } }, securityGroups: { groupIds: ['sg-0a1b2c3d4e5f60718'] } });
    (obj.metadata as Record<string, unknown>).resourceVersion = '42';
    const r = parseSecurityGroupPolicy(obj);
    expect(r).toEqual({ ok: true, value: obj });
  });

  it.each<[string, unknown]>([
    ['service account expressions', { serviceAccountSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['payments'] }] }, securityGroups: { groupIds: ['sg-0123456789abcdef0', 'sg-12345678'] } }],
    ['both selectors, empty pod selector', { podSelector: {}, serviceAccountSelector: { matchLabels: { a: 'b' } }, securityGroups: { groupIds: ['sg-12345678'] } }],
    ['neither selector (valid, matches nothing)', { securityGroups: { groupIds: ['sg-12345678'] } }],
    ['null selector treated as absent', { podSelector: null, securityGroups: { groupIds: ['sg-12345678'] } }],
    ['Exists and DoesNotExist without values', { podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'DoesNotExist', values: [] }] }, securityGroups: { groupIds: ['sg-12345678'] } }],
    ['groups by name', { podSelector: {}, securityGroups: { groupNames: ['web', 'db-clients'] } }],
    ['groups by tags', { podSelector: {}, securityGroups: { groupTags: { team: 'payments', env: 'prod' } } }],
    ['IDs, names and tags together', { podSelector: {}, securityGroups: { groupIds: ['sg-12345678'], groupNames: ['web'], groupTags: { team: 'a' } } }],
    ['16 groups', { podSelector: {}, securityGroups: { groupIds: Array.from({ length: 16 }, (_, i) => `sg-${String(i).padStart(8, '0')}`) } }],
  ])('accepts %s', (_name, spec) => {
    const r = parseSecurityGroupPolicy(sgp(spec));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'sgp', ['(root): a SecurityGroupPolicy must be an object']],
    ['an array', [], ['(root): a SecurityGroupPolicy must be an object']],
    ['no metadata name', { metadata: {}, spec: { securityGroups: { groupIds: ['sg-12345678'] } } }, ['metadata.name: is required']],
    ['no spec', { metadata: { name: 'x' } }, ['spec: is required']],
    ['no securityGroups', sgp({ podSelector: {} }), ['spec.securityGroups: is required: the policy must give security groups in securityGroups.groupIds, groupNames or groupTags']],
    ['no groups at all', sgp({ podSelector: {}, securityGroups: {} }), ['spec.securityGroups: must give at least one of groupIds, groupNames or groupTags']],
    ['empty name list', sgp({ podSelector: {}, securityGroups: { groupNames: [] } }), ['spec.securityGroups.groupNames: must list at least one security group name']],
    ['empty name', sgp({ podSelector: {}, securityGroups: { groupNames: [''] } }), ['spec.securityGroups.groupNames[0]: must not be empty']],
    ['no tag keys', sgp({ podSelector: {}, securityGroups: { groupTags: {} } }), ['spec.securityGroups.groupTags: must name at least one tag key when present']],
    ['tag value not a string', sgp({ podSelector: {}, securityGroups: { groupTags: { team: 7 } } }), ['spec.securityGroups.groupTags.team: must be a string (got number)']],
    ['IDs and names over 16', sgp({ podSelector: {}, securityGroups: { groupIds: Array.from({ length: 10 }, (_, i) => `sg-${String(i).padStart(8, '0')}`), groupNames: Array.from({ length: 7 }, (_, i) => `g${i}`) } }), [
      "spec.securityGroups: groupIds and groupNames together list 17 groups, more than 16 (EC2's hard maximum per network interface)",
    ]],
    ['empty group list', sgp({ podSelector: {}, securityGroups: { groupIds: [] } }), ['spec.securityGroups.groupIds: must list at least one security group ID']],
    ['17 groups', sgp({ podSelector: {}, securityGroups: { groupIds: Array.from({ length: 17 }, (_, i) => `sg-${String(i).padStart(8, '0')}`) } }), ["spec.securityGroups.groupIds: must list at most 16 security group IDs (EC2's hard maximum per network interface)"]],
    ['malformed IDs', sgp({ podSelector: {}, securityGroups: { groupIds: ['sg-12345678', 'sg-XYZ', 'subnet-12345678', 'sg-123456789'] } }), [
      'spec.securityGroups.groupIds[1]: "sg-XYZ" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)',
      'spec.securityGroups.groupIds[2]: "subnet-12345678" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)',
      'spec.securityGroups.groupIds[3]: "sg-123456789" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)',
    ]],
    ['a number as group ID', sgp({ podSelector: {}, securityGroups: { groupIds: [42] } }), ['spec.securityGroups.groupIds[0]: must be a string (got number)']],
    ['matchLabels value not a string', sgp({ podSelector: { matchLabels: { app: 1 } }, securityGroups: { groupIds: ['sg-12345678'] } }), ['spec.podSelector.matchLabels.app: values must be strings']],
    ['unknown operator', sgp({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, securityGroups: { groupIds: ['sg-12345678'] } }), ['spec.podSelector.matchExpressions[0].operator: "Equals" is not one of In, NotIn, Exists, DoesNotExist']],
    ['In without values', sgp({ serviceAccountSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] }, securityGroups: { groupIds: ['sg-12345678'] } }), ['spec.serviceAccountSelector.matchExpressions[0].values: must be non-empty for operator In']],
    ['Exists with values', sgp({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, securityGroups: { groupIds: ['sg-12345678'] } }), ['spec.podSelector.matchExpressions[0].values: must be empty for operator Exists']],
    ['empty key', sgp({ podSelector: { matchExpressions: [{ key: '', operator: 'Exists' }] }, securityGroups: { groupIds: ['sg-12345678'] } }), ['spec.podSelector.matchExpressions[0].key: must be a non-empty string']],
    ['wrong kind', sgp({ podSelector: {}, securityGroups: { groupIds: ['sg-12345678'] } }, { kind: 'NetworkPolicy' }), ['kind: must be SecurityGroupPolicy (got NetworkPolicy)']],
    ['wrong version', sgp({ podSelector: {}, securityGroups: { groupIds: ['sg-12345678'] } }, { apiVersion: 'vpcresources.k8s.aws/v1' }), ['apiVersion: must be vpcresources.k8s.aws/v1beta1 (got vpcresources.k8s.aws/v1)']],
  ])('rejects %s', (_name, obj, errors) => {
    expect(parseSecurityGroupPolicy(obj)).toEqual({ ok: false, errors });
  });
});

describe('parseCNINode', () => {
  const node = (spec: unknown) => ({ apiVersion: 'vpcresources.k8s.aws/v1alpha1', kind: 'CNINode', metadata: { name: 'ip-10-0-12-34' }, spec });

  it('accepts features, tags and status, and exposes the features', () => {
    const obj = {
      ...node({ features: [{ name: 'CustomNetworking', value: 'eu-west-1a' }, { name: 'SecurityGroupsForPods' }], tags: { team: 'a' } }),
      status: { trunkInterface: { id: 'eni-0123456789abcdef0', deviceIndex: 2 } },
    };
    const r = parseCNINode(obj);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(cniNodeFeatures(r.value).map((f) => f.name)).toEqual(['CustomNetworking', 'SecurityGroupsForPods']);
    expect(hasFeature(cniNodeFeatures(r.value), 'SecurityGroupsForPods')).toBe(true);
    expect(r.value.status?.trunkInterface?.deviceIndex).toBe(2);
  });

  it.each<[string, unknown]>([
    ['no spec', { metadata: { name: 'n' } }],
    ['no features', node({})],
    ['a feature name a newer CNI added', node({ features: [{ name: 'SomethingNew', value: 'x' }] })],
  ])('accepts %s', (_name, obj) => {
    expect(parseCNINode(obj).ok).toBe(true);
  });

  it('features of a missing CNINode are empty', () => {
    expect(cniNodeFeatures(undefined)).toEqual([]);
    expect(hasFeature([], 'CustomNetworking')).toBe(false);
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', null, ['(root): a CNINode must be an object']],
    ['features not a list', node({ features: 'SecurityGroupsForPods' }), ['spec.features: must be an array (got string)']],
    ['a feature without a name', node({ features: [{ value: 'x' }] }), ['spec.features[0].name: is required']],
    ['an empty feature name', node({ features: [{ name: '' }] }), ['spec.features[0].name: must be a non-empty string']],
    ['a tag value not a string', node({ tags: { a: 1 } }), ['spec.tags.a: values must be strings']],
    ['wrong kind', { kind: 'Node', metadata: { name: 'n' } }, ['kind: must be CNINode (got Node)']],
    ['a trunk status without id', { metadata: { name: 'n' }, status: { trunkInterface: { deviceIndex: 1 } } }, ['status.trunkInterface.id: is required']],
  ])('rejects %s', (_name, obj, errors) => {
    expect(parseCNINode(obj)).toEqual({ ok: false, errors });
  });
});

describe('parseENIConfig', () => {
  const eni = (spec: unknown) => ({ apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name: 'eu-west-1a' }, spec });

  it.each<[string, unknown]>([
    ['subnet and groups', eni({ subnet: 'subnet-0aa11bb22cc33dd44', securityGroups: ['sg-0c0ffee0c0ffee000'] })],
    ['subnet only (primary ENI groups apply)', eni({ subnet: 'subnet-0aa11bb2' })],
  ])('accepts %s', (_name, obj) => {
    expect(parseENIConfig(obj)).toEqual({ ok: true, value: obj });
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 7, ['(root): an ENIConfig must be an object']],
    ['no spec', { metadata: { name: 'a' } }, ['spec: is required: the ENIConfig must have spec.subnet']],
    ['no subnet', eni({ securityGroups: [] }), ['spec.subnet: is required: the ENIConfig must name the subnet for pod ENIs']],
    ['an empty subnet', eni({ subnet: '' }), ['spec.subnet: must not be empty']],
    ['a malformed subnet', eni({ subnet: 'subnet-xyz' }), ['spec.subnet: "subnet-xyz" is not a subnet ID (expected subnet- followed by 8 or 17 lowercase hex digits)']],
    ['a malformed group', eni({ subnet: 'subnet-0aa11bb2', securityGroups: ['sg-0c0ffee0', 'sg-nope'] }), ['spec.securityGroups[1]: "sg-nope" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits)']],
    ['groups not a list', eni({ subnet: 'subnet-0aa11bb2', securityGroups: 'sg-0c0ffee0' }), ['spec.securityGroups: must be an array (got string)']],
    ['wrong kind', { kind: 'CNINode', metadata: { name: 'a' }, spec: { subnet: 'subnet-0aa11bb2' } }, ['kind: must be ENIConfig (got CNINode)']],
  ])('rejects %s', (_name, obj, errors) => {
    expect(parseENIConfig(obj)).toEqual({ ok: false, errors });
  });
});
