// A restart keeps each ENI's cooldown (issue 10): counted from its cooling-since tag, or from when
// its finished pod ended, never started over at the restart.
import { describe, expect, it } from 'vitest';
import { CoolingTagger, TAG_COOLING_SINCE, coolingSinceFromTag, coolingTagValue } from '../../../../src/controllers/pod/cooling-tagger.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';
import { harness, pod, policy } from './pod-harness.js';

async function allocatedOn(ec2: FakeEc2) {
  const h1 = harness({ ec2 });
  h1.policies.push(policy('web', ['sg-0000000a']));
  const key = h1.add(pod('a'));
  await h1.reconcile(key);
  h1.applyPatches();
  return { h1, key, eniId: ec2.branchEnis()[0]?.NetworkInterfaceId ?? '' };
}

describe('cooldown across a restart', () => {
  it('an orphan ENI tagged cooling-since 25 s ago waits only the 5 s left of a 30 s cooldown', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const { eniId } = await allocatedOn(ec2);
    const h2 = harness({ ec2 });
    h2.advance(100_000); // the restarted process's clock: 1 100 000 ms
    await ec2.createTags({ Resources: [eniId], Tags: [{ Key: TAG_COOLING_SINCE, Value: String((1_100_000 - 25_000) / 1000) }] }, { priority: 'background' });
    // Pod a was deleted while the controller was down; pod b on the node triggers the rebuild.
    await h2.reconcile(h2.add(pod('b', { eni: 0 })));
    expect(h2.releaseQueue).toEqual([eniId]);
    expect(await h2.releaser.reconcile(eniId)).toEqual({ kind: 'requeueAfter', delayMs: 5_000 });
  });

  it('an ENI annotated on a finished pod counts its cooldown from the pod end', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const { h1, key, eniId } = await allocatedOn(ec2);
    const h2 = harness({ ec2 });
    h2.advance(100_000);
    const done = structuredClone(h1.pods.get(key)!);
    done.status = { phase: 'Succeeded', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, finishedAt: new Date(1_100_000 - 20_000) } } }] };
    h2.add(done);
    await h2.reconcile(key);
    expect(h2.releaseQueue).toEqual([eniId]);
    expect(await h2.releaser.reconcile(eniId)).toEqual({ kind: 'requeueAfter', delayMs: 10_000 });
  });

  it('without a tag or a pod end, the cooldown starts at the restart (as before)', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const { eniId } = await allocatedOn(ec2);
    const h2 = harness({ ec2 });
    await h2.reconcile(h2.add(pod('b', { eni: 0 })));
    expect(await h2.releaser.reconcile(eniId)).toEqual({ kind: 'requeueAfter', delayMs: 30_000 });
  });

  it('the tagger batches by value, rounds up to 10 s, and skips a value the ENI already carries', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const a = await ec2.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['a'] });
    const b = await ec2.createNetworkInterface({ SubnetId: 'subnet-1' }, { priority: 'pod-start', purpose: ['b'] });
    const t = new CoolingTagger({ ec2, logger: silentLogger() });
    t.add(a.NetworkInterfaceId!, 1_700_000_001_000);
    t.add(b.NetworkInterfaceId!, 1_700_000_009_000);
    await t.flush();
    expect(ec2.count('CreateTags')).toBe(1);
    expect(ec2.enis.get(a.NetworkInterfaceId!)?.TagSet).toContainEqual({ Key: TAG_COOLING_SINCE, Value: '1700000010' });
    t.add(a.NetworkInterfaceId!, 1_700_000_002_000);
    await t.flush();
    expect(ec2.count('CreateTags')).toBe(1);
    expect(coolingTagValue(1_700_000_010_000)).toBe('1700000010');
    expect(coolingSinceFromTag('1700000010', 1_800_000_000_000)).toBe(1_700_000_010_000);
    expect(coolingSinceFromTag('garbage', 1_800_000_000_000)).toBeUndefined();
    await t.stop();
  });
});
