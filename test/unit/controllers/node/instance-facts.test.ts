import { describe, expect, it } from 'vitest';
import { findTrunk, instanceFactsFrom, usedDeviceIndexes } from '../../../../src/controllers/node/instance-facts.js';
import { trunkTags } from '../../../../src/controllers/node/trunk-ec2.js';

const eni = (id: string, type: string, device: number, card = 0, status = 'attached') => ({
  NetworkInterfaceId: id,
  InterfaceType: type,
  SubnetId: 'subnet-1',
  Groups: [{ GroupId: `sg-${id}` }],
  Attachment: { AttachmentId: `att-${id}`, DeviceIndex: device, NetworkCardIndex: card, Status: status as 'attached', DeleteOnTermination: device === 0 },
});

describe('instanceFactsFrom', () => {
  const facts = instanceFactsFrom({
    InstanceId: 'i-1',
    InstanceType: 'm5.large',
    State: { Name: 'running' },
    Placement: { AvailabilityZone: 'us-west-2a' },
    SubnetId: 'subnet-1',
    VpcId: 'vpc-1',
    NetworkInterfaces: [eni('p', 'interface', 0), eni('t', 'trunk', 2, 0, 'attaching'), eni('x', 'interface', 1, 1)],
  });
  it('reads type, zone, subnet, primary groups and attached interfaces', () => {
    expect(facts?.instanceType).toBe('m5.large');
    expect(facts?.primaryGroups).toEqual(['sg-p']);
    expect(facts?.interfaces).toHaveLength(3);
    expect(findTrunk(facts!)).toMatchObject({ eniId: 't', deviceIndex: 2, attachmentStatus: 'attaching', deleteOnTermination: false });
  });
  it('counts device indexes per network card', () => {
    expect(usedDeviceIndexes(facts!, 0).sort()).toEqual([0, 2]);
    expect(usedDeviceIndexes(facts!, 1)).toEqual([1]);
  });
  it('rejects an answer without an instance type', () => {
    expect(instanceFactsFrom({ InstanceId: 'i-1' })).toBeUndefined();
  });
});

describe('trunkTags', () => {
  it('carries the contract tags, and extra CNINode tags never override them or use aws:', () => {
    const tags = trunkTags('prod', 'i-1', { team: 'a', 'eks:eni:owner': 'someone-else', 'aws:reserved': 'x' });
    expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toEqual({
      'eks:eni:owner': 'eks-vpc-resource-controller',
      'kubernetes.io/cluster/prod': 'owned',
      'node.k8s.amazonaws.com/instance_id': 'i-1',
      team: 'a',
    });
  });
});
