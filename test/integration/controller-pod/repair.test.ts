// The repair pass end to end (issue 10, item 3): against the local EC2, an annotated running pod
// whose ENI lost its trunk association gets it back on the annotated VLAN, and one whose ENI was
// deleted behind the controller's back gets a new ENI, a new annotation and a Warning.
import { DeleteNetworkInterfaceCommand, DisassociateTrunkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { annotationOf, createGroups, createPod, createPolicy, podEvents, podManifest, readPod, startPodEnv, waitRunningAnnotated, type PodEnv } from './helpers.js';

describe('repair pass', () => {
  let env: PodEnv;
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', controller: { podSide: { repairIntervalMs: 0 } } });
    const [sg] = (await createGroups(env.sandbox, ['repair'])) as [string];
    await createPolicy(env, 'default', 'r', { podSelector: { matchLabels: { app: 'r' } }, groupIds: [sg] });
    await waitFor(() => env.controller.ctx.informers.policies.get('default/r'), { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  const assocOf = (eniId: string) => env.sandbox.ec2.world.listTrunkAssociations().find((a) => a.branchInterfaceId === eniId);

  it('re-associates an annotated ENI that no trunk holds, on its VLAN', async () => {
    await createPod(env, podManifest('default', 'r1', { app: 'r' }));
    const [entry] = annotationOf(await waitRunningAnnotated(env, 'default', 'r1')) ?? [];
    const a = assocOf(entry!.eniId);
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    try {
      await ec2.send(new DisassociateTrunkInterfaceCommand({ AssociationId: a?.associationId }));
    } finally {
      ec2.destroy();
    }
    expect(assocOf(entry!.eniId)).toBeUndefined();
    const report = await env.controller.podSide()!.repairNow();
    expect(report.repaired).toEqual([{ pod: 'default/r1', eniId: entry!.eniId, problem: 'unassociated' }]);
    expect(assocOf(entry!.eniId)).toMatchObject({ vlanId: entry!.vlanId });
  });

  it('replaces an annotated ENI that EC2 no longer has: new ENI, new annotation, a Warning', async () => {
    await createPod(env, podManifest('default', 'r2', { app: 'r' }));
    const [entry] = annotationOf(await waitRunningAnnotated(env, 'default', 'r2')) ?? [];
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    try {
      await ec2.send(new DisassociateTrunkInterfaceCommand({ AssociationId: assocOf(entry!.eniId)?.associationId }));
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: entry!.eniId }));
    } finally {
      ec2.destroy();
    }
    const report = await env.controller.podSide()!.repairNow();
    expect(report.repaired).toMatchObject([{ pod: 'default/r2', eniId: entry!.eniId, problem: 'missing' }]);
    const fresh = await waitFor(
      async () => {
        const e = annotationOf(await readPod(env, 'default', 'r2'))?.[0];
        return e && e.eniId !== entry!.eniId ? e : undefined;
      },
      { timeoutMs: 20_000, what: 'r2 annotated with a new ENI' },
    );
    expect(env.sandbox.ec2.world.getEni(fresh.eniId)).toBeDefined();
    expect(assocOf(fresh.eniId)).toMatchObject({ vlanId: fresh.vlanId });
    const warnings = (await podEvents(env, 'default', 'r2')).filter((e) => e.reason === 'BranchENIRepaired');
    expect(warnings[0]?.type).toBe('Warning');
    expect(warnings[0]?.message).toContain(entry!.eniId);
  });
});
