// The trunk's EC2 steps under lost answers (issue 10): an attach that took effect although it was
// reported failed keeps the trunk; one that did not take effect is rolled back as before.
import { describe, expect, it } from 'vitest';
import { createAndAttachTrunk, TrunkCreationError } from '../../../../src/controllers/node/trunk-ec2.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';

const input = { clusterName: 'c1', instanceId: 'i-1', subnetId: 'subnet-1', groups: ['sg-1'], deviceIndex: 1, networkCardIndex: 0, generation: 0 };

function ec2(): FakeEc2 {
  return new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19').addInstance({ instanceId: 'i-1', instanceType: 'm5.large', availabilityZone: 'us-west-2a', subnetId: 'subnet-1', primaryGroups: ['sg-1'] });
}

describe('createAndAttachTrunk', () => {
  it('keeps a trunk whose attach took effect but was reported failed', async () => {
    const e = ec2().loseAnswerNext('AttachNetworkInterface', 'InternalError');
    const t = await createAndAttachTrunk(e, input, silentLogger());
    const eni = e.enis.get(t.eniId);
    expect(eni?.Attachment).toMatchObject({ InstanceId: 'i-1', AttachmentId: t.attachmentId, DeleteOnTermination: true });
    expect(e.count('DetachNetworkInterface')).toBe(0);
    expect(e.count('DeleteNetworkInterface')).toBe(0);
  });

  it('rolls back a trunk whose attach did not take effect', async () => {
    const e = ec2().failNext('AttachNetworkInterface', 'InternalError');
    const err = await createAndAttachTrunk(e, input, silentLogger()).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TrunkCreationError);
    expect((err as TrunkCreationError).step).toBe('attach');
    expect([...e.enis.values()].filter((x) => x.InterfaceType === 'trunk')).toHaveLength(0);
  });
});
