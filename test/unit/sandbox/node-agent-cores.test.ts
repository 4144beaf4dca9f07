import { describe, expect, it } from 'vitest';
import { desiredFeatures, labelsToRequest, nextFeature, trunkRequestAllowed, withFeature } from '../../../src/sim/kube/node-agent/cni-features.js';
import { archFor, buildNode, guessShape, maxPods, nodeNameFor, nodeResources, reservedCpuMilli, type InstanceFacts } from '../../../src/sim/kube/node-agent/node-identity.js';
import { PodCidrAllocator, PodIpPool } from '../../../src/sim/kube/node-agent/pod-ip-pool.js';
import { isExtendedResource } from '../../../src/sim/kube/node-agent/node-agent.js';

const m5: InstanceFacts = {
  instanceId: 'i-0123456789abcdef0',
  instanceType: 'm5.large',
  availabilityZone: 'us-west-2a',
  region: 'us-west-2',
  privateIp: '10.0.1.23',
  maxInterfaces: 3,
  ipv4PerInterface: 10,
};

describe('node identity', () => {
  it('names the node after its primary IP and region', () => {
    expect(nodeNameFor('10.0.1.23', 'us-west-2')).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(() => nodeNameFor('not-an-ip', 'us-west-2')).toThrow(/"not-an-ip"/);
  });

  it.each([
    [3, 10, 29], // m5.large
    [4, 15, 58], // m5.xlarge / c5.xlarge
    [15, 50, 737], // m5.24xlarge
    [2, 4, 8], // t3.micro
  ])('max pods for %d interfaces x %d IPv4 = %d', (eni, ip, pods) => expect(maxPods(eni, ip)).toBe(pods));

  it('guesses vCPUs and memory from the type name, arch from the family', () => {
    expect(guessShape('m5.large')).toEqual({ vcpus: 2, memoryMiB: 8192 });
    expect(guessShape('c5.4xlarge')).toEqual({ vcpus: 16, memoryMiB: 32768 });
    expect(guessShape('r7a.medium')).toEqual({ vcpus: 1, memoryMiB: 8192 });
    expect(archFor('m6g.large')).toBe('arm64');
    expect(archFor('c7gn.xlarge')).toBe('arm64');
    expect(archFor('m5.large')).toBe('amd64');
  });

  it('reserves cpu like EKS (70m for two cores) and memory for max pods', () => {
    expect(reservedCpuMilli(2)).toBe(70);
    expect(reservedCpuMilli(4)).toBe(80);
    const r = nodeResources(m5);
    expect(r.capacity).toMatchObject({ cpu: '2', pods: '29', memory: `${8192 * 1024}Ki` });
    expect(r.allocatable).toMatchObject({ cpu: '1930m', pods: '29', memory: `${(8192 - (255 + 11 * 29 + 100)) * 1024}Ki` });
  });

  it('builds a Node with providerID, the contract labels and Ready', () => {
    const node = buildNode(m5, { podCidr: '100.64.0.0/24', now: new Date('2026-01-01T00:00:00Z') }) as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { providerID: string };
      status: { conditions: { type: string; status: string }[] };
    };
    expect(node.metadata.name).toBe('ip-10-0-1-23.us-west-2.compute.internal');
    expect(node.spec.providerID).toBe('aws:///us-west-2a/i-0123456789abcdef0');
    expect(node.metadata.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'm5.large',
      'topology.kubernetes.io/zone': 'us-west-2a',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/hostname': 'ip-10-0-1-23.us-west-2.compute.internal',
    });
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('recognises extended resources', () => {
    expect(isExtendedResource('vpc.amazonaws.com/pod-eni')).toBe(true);
    expect(isExtendedResource('cpu')).toBe(false);
    expect(isExtendedResource('hugepages-2Mi')).toBe(false);
    expect(isExtendedResource('kubernetes.io/foo')).toBe(false);
  });
});

describe('CNI features', () => {
  const sgp = { name: 'SecurityGroupsForPods' };
  const cn = { name: 'CustomNetworking', value: 'us-west-2a' };
  it.each([
    ['sgp-first with custom networking', { sgpAllowed: true, customNetworking: true, order: 'sgp-first' as const }, [sgp, cn]],
    ['cn-first with custom networking', { sgpAllowed: true, customNetworking: true, order: 'cn-first' as const }, [cn, sgp]],
    ['no custom networking', { sgpAllowed: true, customNetworking: false, order: 'cn-first' as const }, [sgp]],
    ['no free slot: no SGP request', { sgpAllowed: false, customNetworking: true, order: 'sgp-first' as const }, [cn]],
  ])('%s', (_n, inputs, expected) => {
    expect(desiredFeatures({ ...inputs, eniConfigName: 'us-west-2a' })).toEqual(expected);
  });

  it('adds features one at a time and keeps features it does not own', () => {
    const desired = [sgp, cn];
    expect(nextFeature(undefined, desired)).toEqual(sgp);
    const other = { name: 'SomethingNewer', value: 'x' };
    const after = withFeature([other], sgp);
    expect(after).toEqual([other, sgp]);
    expect(nextFeature(after, desired)).toEqual(cn);
    expect(nextFeature(withFeature(after, cn), desired)).toBeUndefined();
    // a stale CustomNetworking value is replaced in place, not duplicated
    expect(withFeature([{ name: 'CustomNetworking', value: 'old' }], cn)).toEqual([cn]);
  });

  it('legacy mode asks with has-trunk-attached=false only when absent, and names the ENIConfig', () => {
    const inputs = { sgpAllowed: true, customNetworking: true, eniConfigName: 'us-west-2b', order: 'cn-first' as const };
    expect(labelsToRequest(inputs, {})).toEqual({ 'vpc.amazonaws.com/has-trunk-attached': 'false', 'vpc.amazonaws.com/eniConfig': 'us-west-2b' });
    expect(labelsToRequest(inputs, { 'vpc.amazonaws.com/has-trunk-attached': 'true', 'vpc.amazonaws.com/eniConfig': 'us-west-2b' })).toEqual({});
  });

  it('asks for a trunk only with a trunk or a free slot', () => {
    expect(trunkRequestAllowed({ hasTrunk: false, attachedInterfaces: 3, maxInterfaces: 3 })).toBe(false);
    expect(trunkRequestAllowed({ hasTrunk: true, attachedInterfaces: 3, maxInterfaces: 3 })).toBe(true);
    expect(trunkRequestAllowed({ hasTrunk: false, attachedInterfaces: 1, maxInterfaces: 3 })).toBe(true);
  });
});

describe('pod IP pool', () => {
  it('hands out stable, unique addresses and reuses released ones', () => {
    const pool = new PodIpPool('100.64.3.0/30');
    // a /30 has .0 (network), .1 (skipped), .2 (usable), .3 (broadcast)
    expect(pool.assign('a')).toBe('100.64.3.2');
    expect(pool.assign('a')).toBe('100.64.3.2');
    expect(pool.assign('b')).toBeUndefined();
    pool.release('a');
    expect(pool.assign('b')).toBe('100.64.3.2');
  });
  it('gives each node its own range of 100.64.0.0/10, large enough for its max pods', () => {
    const a = new PodCidrAllocator();
    expect(a.next(29)).toBe('100.64.0.0/24');
    expect(a.next(737)).toBe('100.64.4.0/22'); // aligned to its size
    expect(a.next(110)).toBe('100.64.8.0/24');
    const pool = new PodIpPool('100.64.4.0/22');
    const ips = new Set(Array.from({ length: 737 }, (_, i) => pool.assign(`p${i}`)));
    expect(ips.size).toBe(737);
    expect(ips.has(undefined)).toBe(false);
    expect(() => new PodIpPool('100.64.0.0')).toThrow(/invalid pod CIDR/);
  });

  it('says when the pod ranges run out', () => {
    const a = new PodCidrAllocator();
    for (let i = 0; i < 16384; i++) a.next(29);
    expect(() => a.next(29)).toThrow(/ran out of pod ranges/);
  });
});
