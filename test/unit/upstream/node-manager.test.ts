// Ported from aws/amazon-vpc-resource-controller-k8s pkg/node/manager/manager_test.go: which nodes
// get a trunk (Test_AddNode_*, Test_UpdateNode_*, Test_TrunkEnabledInCNINode, Test_isWindowsNode*,
// Test_getNodeInstanceID) and which ENIConfig a node's trunk uses (Test_AddNode_CustomNetworking_*,
// Test_GetEniConfigName). Written against our pure decisions (src/domain/node-eligibility.ts and
// src/domain/eniconfig-resolution.ts), which the node reconciler applies. The CNINode creation part
// (Test_AddNode_CNINode_*) is covered by test/unit/controllers/node/cninode-ensurer.test.ts.
import { describe, expect, it } from 'vitest';
import { resolveEniConfig } from '../../../src/domain/eniconfig-resolution.js';
import { nodeEligibility } from '../../../src/domain/node-eligibility.js';

const NODE = 'ip-192-168-55-73.us-west-2.compute.internal';
const INSTANCE = 'i-01234567890abcdef';
const linux = { 'kubernetes.io/os': 'linux' };
const sgp = [{ name: 'SecurityGroupsForPods' }];
const node = (labels: Record<string, string>, providerID: string | null = `aws:///us-west-2c/${INSTANCE}`) => ({ name: NODE, labels, providerID });
const eniConfig = { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', kind: 'ENIConfig', metadata: { name: 'default' }, spec: { subnet: 'subnet-0123456789abcdef0', securityGroups: ['sg-0123456789abcdef0'] } };

describe('manager_test.go: which nodes are managed (get a trunk)', () => {
  it('Test_AddNode_CNINode_Existing: CNINode with SecurityGroupsForPods → managed', () => {
    expect(nodeEligibility(node(linux), sgp)).toMatchObject({ eligible: true, instanceId: INSTANCE, requestedBy: 'cninode-feature' });
  });
  it('Test_AddNode_UnManaged: no CNINode feature, no label → unmanaged, with the fix in the reason', () => {
    const e = nodeEligibility(node(linux), []);
    expect(e).toMatchObject({ eligible: false, code: 'not-requested' });
    expect(e.eligible ? '' : e.reason).toContain('ENABLE_POD_ENI=true');
  });
  it('(canAttachTrunk) the legacy label vpc.amazonaws.com/has-trunk-attached → managed, whatever its value', () => {
    expect(nodeEligibility(node({ ...linux, 'vpc.amazonaws.com/has-trunk-attached': 'false' }), undefined)).toMatchObject({ eligible: true, requestedBy: 'legacy-label' });
  });
  it.each([
    ['no feature is added and node is not managed', [], false],
    ['SGP feature is added and node is managed', [{ name: 'SecurityGroupsForPods', value: '' }], true],
    ['only the CustomNetworking feature: not managed', [{ name: 'CustomNetworking', value: 'default' }], false],
  ])('Test_TrunkEnabledInCNINode: %s', (_m, features, managed) => {
    expect(nodeEligibility(node(linux), features).eligible).toBe(managed);
  });
  it('Test_UpdateNode_UnManagedToManaged: the feature appearing later makes the node managed', () => {
    expect(nodeEligibility(node(linux), []).eligible).toBe(false);
    expect(nodeEligibility(node(linux), sgp).eligible).toBe(true);
  });
  it('Test_UpdateNode_ManagedToUnManaged: the request withdrawn → no longer selected', () => {
    expect(nodeEligibility(node({ ...linux, 'vpc.amazonaws.com/has-trunk-attached': 'true' }), undefined).eligible).toBe(true);
    expect(nodeEligibility(node(linux), undefined).eligible).toBe(false);
  });
  it('Test_isWindowsNode / _BetaLabelSet (Windows IPAM off): a Windows node gets no trunk', () => {
    expect(nodeEligibility(node({ 'kubernetes.io/os': 'windows' }), sgp)).toMatchObject({ eligible: false, code: 'not-linux' });
  });
  it('Test_getNodeInstanceID: the instance comes from spec.providerID', () => {
    expect(nodeEligibility(node(linux, `aws:///us-west-2c/${INSTANCE}`), sgp)).toMatchObject({ instanceId: INSTANCE, availabilityZone: 'us-west-2c' });
    expect(nodeEligibility(node(linux, null), sgp)).toMatchObject({ eligible: false, code: 'no-instance' });
  });
  it('(isSelectedForManagement) a node without an os label → ours: taken as Linux (difference D12; upstream leaves it unmanaged)', () => {
    expect(nodeEligibility(node({}), sgp).eligible).toBe(true);
  });
  it('(EKS Auto Mode) compute-type=auto → never managed', () => {
    expect(nodeEligibility(node({ ...linux, 'eks.amazonaws.com/compute-type': 'auto' }), sgp)).toMatchObject({ eligible: false, code: 'auto-mode' });
  });
});

describe('manager_test.go: the ENIConfig of a custom-networking node', () => {
  const settings = { customNetworking: false };
  it('Test_AddNode_CustomNetworking_CNINode / Test_GetEniConfigName "custom networking feature has been added": the feature value names it', () => {
    const r = resolveEniConfig({ node: { name: NODE, labels: linux }, cniNodeFeatures: [...sgp, { name: 'CustomNetworking', value: 'default' }], settings, eniConfigs: new Map([['default', eniConfig]]) });
    expect(r).toMatchObject({ state: 'resolved', name: 'default', subnet: 'subnet-0123456789abcdef0' });
  });
  it('Test_AddNode_CustomNetworking_CNINode_No_EniConfigName: the feature without a name → ours: the trunk waits with the reason (upstream: AddNode error)', () => {
    const r = resolveEniConfig({ node: { name: NODE, labels: linux }, cniNodeFeatures: [{ name: 'CustomNetworking' }], settings, eniConfigs: new Map() });
    expect(r).toMatchObject({ state: 'unsettled' });
    expect(r.state === 'unsettled' ? r.reason : '').toContain('without an ENIConfig name');
  });
  it('Test_AddNode_CustomNetworking_NodeLabel: the label vpc.amazonaws.com/eniConfig names it', () => {
    const r = resolveEniConfig({ node: { name: NODE, labels: { ...linux, 'vpc.amazonaws.com/eniConfig': 'default' } }, cniNodeFeatures: [{ name: 'CustomNetworking' }], settings, eniConfigs: new Map([['default', eniConfig]]) });
    expect(r).toMatchObject({ state: 'resolved', name: 'default', source: 'label vpc.amazonaws.com/eniConfig' });
  });
  it('Test_AddNode_CustomNetworking_Incorrect_ENIConfig / _NoENIConfig: the named ENIConfig is missing → the trunk waits, the reason says to create it', () => {
    const r = resolveEniConfig({ node: { name: NODE, labels: { ...linux, 'vpc.amazonaws.com/eniConfig': 'default' } }, cniNodeFeatures: [], settings, eniConfigs: new Map() });
    expect(r).toMatchObject({ state: 'unsettled', name: 'default' });
    expect(r.state === 'unsettled' ? r.reason : '').toContain('create ENIConfig default');
  });
  it.each([
    ['no feature has been added', []],
    ['SGP feature has been added', [{ name: 'SecurityGroupsForPods', value: '' }]],
  ])('Test_GetEniConfigName "%s": no ENIConfig (the node uses its own subnet)', (_d, features) => {
    expect(resolveEniConfig({ node: { name: NODE, labels: linux }, cniNodeFeatures: features, settings, eniConfigs: new Map() })).toEqual({ state: 'not-needed' });
  });
});
