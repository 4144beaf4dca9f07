import { describe, expect, it } from 'vitest';
import type { CNINodeFeature } from '../../../src/apis/cninode.js';
import { resolveEniConfig, type EniConfigInput, type EniConfigSettings } from '../../../src/domain/eniconfig-resolution.js';

const eni = (name: string, subnet: string, securityGroups?: string[]) => ({
  apiVersion: 'crd.k8s.amazonaws.com/v1alpha1',
  kind: 'ENIConfig',
  metadata: { name },
  spec: securityGroups ? { subnet, securityGroups } : { subnet },
});
const CONFIGS = new Map<string, unknown>([
  ['eu-west-1a', eni('eu-west-1a', 'subnet-0aa11bb22cc33dd44', ['sg-0c0ffee0c0ffee000'])],
  ['eu-west-1b', eni('eu-west-1b', 'subnet-0bb11bb22cc33dd44')],
  ['legacy', eni('legacy', 'subnet-0cc11bb22cc33dd44', ['sg-0000000c'])],
  ['user', eni('user', 'subnet-0dd11bb22cc33dd44')],
  ['broken', eni('broken', 'subnet-nope', ['sg-12345678', 'sg-bad'])],
]);
const SGP: CNINodeFeature = { name: 'SecurityGroupsForPods' };
const CN = (value: string): CNINodeFeature => ({ name: 'CustomNetworking', value });
const OFF: EniConfigSettings = { customNetworking: false };
const ON: EniConfigSettings = { customNetworking: true };
const ON_ZONE: EniConfigSettings = { customNetworking: true, eniConfigLabelKey: 'topology.kubernetes.io/zone' };

const input = (
  labels: Record<string, string>,
  features: CNINodeFeature[] | undefined,
  settings: EniConfigSettings,
  annotations: Record<string, string> = {},
): EniConfigInput => ({ node: { name: 'n1', labels, annotations }, cniNodeFeatures: features, settings, eniConfigs: CONFIGS });

describe('resolveEniConfig', () => {
  it.each<[string, EniConfigInput, string, string]>([
    ['CNINode CustomNetworking feature', input({}, [SGP, CN('eu-west-1a')], OFF), 'eu-west-1a', 'CNINode feature CustomNetworking'],
    ['legacy label wins over the CNINode feature', input({ 'vpc.amazonaws.com/eniConfig': 'legacy' }, [CN('eu-west-1a')], OFF), 'legacy', 'label vpc.amazonaws.com/eniConfig'],
    ['legacy label without custom networking on', input({ 'vpc.amazonaws.com/eniConfig': 'legacy' }, [SGP], OFF), 'legacy', 'label vpc.amazonaws.com/eniConfig'],
    ['feature wins over the user label', input({ 'k8s.amazonaws.com/eniConfig': 'user' }, [CN('eu-west-1b')], ON), 'eu-west-1b', 'CNINode feature CustomNetworking'],
    ['user label when custom networking is on', input({ 'k8s.amazonaws.com/eniConfig': 'user' }, [SGP], ON), 'user', 'label k8s.amazonaws.com/eniConfig'],
    ['user annotation when custom networking is on', input({}, [SGP], ON, { 'k8s.amazonaws.com/eniConfig': 'user' }), 'user', 'annotation k8s.amazonaws.com/eniConfig'],
    ['user label before annotation', input({ 'k8s.amazonaws.com/eniConfig': 'user' }, [SGP], ON, { 'k8s.amazonaws.com/eniConfig': 'legacy' }), 'user', 'label k8s.amazonaws.com/eniConfig'],
    ['user label before the configured label key', input({ 'k8s.amazonaws.com/eniConfig': 'user', 'topology.kubernetes.io/zone': 'eu-west-1a' }, [SGP], ON_ZONE), 'user', 'label k8s.amazonaws.com/eniConfig'],
    ['configured label key (zone)', input({ 'topology.kubernetes.io/zone': 'eu-west-1b' }, [SGP], ON_ZONE), 'eu-west-1b', 'label topology.kubernetes.io/zone'],
  ])('%s', (_name, i, name, source) => {
    expect(resolveEniConfig(i)).toMatchObject({ state: 'resolved', name, source });
  });

  it('returns the subnet and groups (none when the ENIConfig lists none)', () => {
    expect(resolveEniConfig(input({}, [CN('eu-west-1a')], OFF))).toEqual({
      state: 'resolved',
      name: 'eu-west-1a',
      subnet: 'subnet-0aa11bb22cc33dd44',
      securityGroups: ['sg-0c0ffee0c0ffee000'],
      source: 'CNINode feature CustomNetworking',
    });
    expect(resolveEniConfig(input({}, [CN('eu-west-1b')], OFF))).toMatchObject({ securityGroups: [] });
  });

  it.each<[string, EniConfigInput]>([
    ['custom networking off, no name', input({}, [SGP], OFF)],
    ['custom networking off, no CNINode', input({}, undefined, OFF)],
    ['user label ignored when custom networking is off', input({ 'k8s.amazonaws.com/eniConfig': 'user' }, [SGP], OFF)],
    ['zone label ignored when custom networking is off', input({ 'topology.kubernetes.io/zone': 'eu-west-1a' }, [SGP], { customNetworking: false, eniConfigLabelKey: 'topology.kubernetes.io/zone' })],
  ])('not needed: %s', (_name, i) => {
    expect(resolveEniConfig(i)).toEqual({ state: 'not-needed' });
  });

  it('CNI upgrade race: SecurityGroupsForPods before CustomNetworking with custom networking on → unsettled, never not-needed', () => {
    const r = resolveEniConfig(input({}, [SGP], ON));
    expect(r.state).toBe('unsettled');
    if (r.state === 'unsettled') {
      expect(r.reason).toBe(
        'custom networking is on but node n1 has no ENIConfig name yet, so its trunk ENI is not created (its subnet could never change): ' +
          'label or annotate the node with k8s.amazonaws.com/eniConfig=<ENIConfig name>, or wait for the VPC CNI to register feature CustomNetworking on CNINode n1',
      );
    }
  });

  it.each<[string, EniConfigInput, RegExp]>([
    ['custom networking on, no CNINode yet', input({}, undefined, ON), /node n1 has no ENIConfig name yet/],
    ['configured label key absent on the node', input({}, [SGP], ON_ZONE), /with k8s\.amazonaws\.com\/eniConfig=<ENIConfig name>, or give it label topology\.kubernetes\.io\/zone, or wait/],
    ['empty label values count as absent', input({ 'vpc.amazonaws.com/eniConfig': '', 'k8s.amazonaws.com/eniConfig': '' }, [SGP], ON), /has no ENIConfig name yet/],
    ['CustomNetworking feature without a value', input({}, [SGP, CN('')], OFF), /^CNINode n1 lists feature CustomNetworking without an ENIConfig name, so the node's trunk ENI is not created yet/],
    ['named ENIConfig does not exist', input({}, [CN('eu-west-1z')], OFF), /^ENIConfig eu-west-1z \(named by the CNINode feature CustomNetworking of node n1\) does not exist, so the node's trunk ENI is not created yet: create ENIConfig eu-west-1z with the subnet for this node's pods$/],
    ['zone ENIConfig does not exist', input({ 'topology.kubernetes.io/zone': 'eu-west-1c' }, [SGP], ON_ZONE), /ENIConfig eu-west-1c \(named by the label topology\.kubernetes\.io\/zone of node n1\) does not exist/],
  ])('unsettled: %s', (_name, i, reason) => {
    const r = resolveEniConfig(i);
    expect(r.state).toBe('unsettled');
    if (r.state === 'unsettled') expect(r.reason).toMatch(reason);
  });

  it('falls back to the cluster-wide sources when the CustomNetworking feature has no value', () => {
    expect(resolveEniConfig(input({ 'k8s.amazonaws.com/eniConfig': 'user' }, [CN('')], ON))).toMatchObject({ state: 'resolved', name: 'user' });
  });

  it('malformed subnet or group IDs → invalid, naming each problem', () => {
    const r = resolveEniConfig(input({ 'vpc.amazonaws.com/eniConfig': 'broken' }, [SGP], OFF));
    expect(r).toEqual({
      state: 'invalid',
      name: 'broken',
      reason:
        'ENIConfig broken (named by the label vpc.amazonaws.com/eniConfig of node n1) is invalid, so the node\'s trunk ENI is not created: ' +
        'spec.subnet: "subnet-nope" is not a subnet ID (expected subnet- followed by 8 or 17 lowercase hex digits); ' +
        'spec.securityGroups[1]: "sg-bad" is not a security group ID (expected sg- followed by 8 or 17 lowercase hex digits); fix the ENIConfig',
    });
  });

  it('an ENIConfig without spec → invalid', () => {
    const configs = new Map<string, unknown>([['x', { metadata: { name: 'x' } }]]);
    const r = resolveEniConfig({ ...input({}, [CN('x')], OFF), eniConfigs: configs });
    expect(r).toMatchObject({ state: 'invalid', name: 'x' });
  });

  it('accepts a lookup function instead of a map', () => {
    const seen: string[] = [];
    const r = resolveEniConfig({
      ...input({}, [CN('eu-west-1b')], OFF),
      eniConfigs: (name) => {
        seen.push(name);
        return CONFIGS.get(name);
      },
    });
    expect(seen).toEqual(['eu-west-1b']);
    expect(r).toMatchObject({ state: 'resolved', subnet: 'subnet-0bb11bb22cc33dd44' });
  });
});
