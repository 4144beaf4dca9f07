// A controller restart in the middle of things: state comes back from EC2 tags and pod
// annotations. ENIs created for a pod but not annotated before the crash are adopted (associated
// if need be) rather than leaked or duplicated; an ENI whose pod is gone is deleted after the
// cooldown; annotated pods keep theirs and release them normally afterwards.
import { AssociateTrunkInterfaceCommand, CreateNetworkInterfaceCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_POD_ENI } from '../../../src/apis/constants.js';
import { branchTags } from '../../../src/controllers/pod/branch-eni-ops.js';
import type { TrunkInfo } from '../../../src/controllers/trunk-registry.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { startTestController } from '../controller-node/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  annotationOf,
  createGroups,
  createPod,
  createPolicy,
  eniExists,
  podManifest,
  readPod,
  settledInvariants,
  startPodEnv,
  waitRunningAnnotated,
  type PodEnv,
} from './helpers.js';

describe('controller restart', () => {
  let env: PodEnv;
  let sg: string;
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', cooldownSeconds: 1 });
    [sg] = (await createGroups(env.sandbox, ['restart'])) as [string];
    await createPolicy(env, 'default', 'r', { podSelector: { matchLabels: { app: 'r' } }, groupIds: [sg] });
    await waitFor(() => env.controller.ctx.informers.policies.get('default/r'), { what: 'policy cached' });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  it('adopts ENIs created before a crash, deletes the orphan, keeps annotated pods’ ENIs, creates nothing twice', async () => {
    await createPod(env, podManifest('default', 'before', { app: 'r' }));
    const before = await waitRunningAnnotated(env, 'default', 'before');
    const beforeEni = annotationOf(before)![0]!;
    const trunk = env.controller.ctx.trunks.list()[0] as TrunkInfo;

    // "Crash": the controller goes away (and with it the webhook configurations it registered).
    await env.controller.stop();
    // Pods admitted meanwhile carry the request themselves (as the webhook would have added it).
    const withRequest = (name: string) => {
      const p = podManifest('default', name, { app: 'r' });
      p.spec!.containers[0]!.resources = { limits: { [RESOURCE_POD_ENI]: '1' }, requests: { [RESOURCE_POD_ENI]: '1' } };
      return p;
    };
    const created = await createPod(env, withRequest('created-only'));
    const associated = await createPod(env, withRequest('associated'));
    await waitFor(async () => (await readPod(env, 'default', 'created-only'))?.spec?.nodeName && (await readPod(env, 'default', 'associated'))?.spec?.nodeName, { what: 'pods bound' });

    // What the dead controller left in EC2: ENIs tagged for these pods (VLANs 2, 3), one already
    // associated, and one for a pod that no longer exists (VLAN 4).
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    const make = async (pod: { uid: string; namespace: string; name: string }, vlanId: number, associate: boolean): Promise<string> => {
      const out = await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: trunk.subnetId,
          Groups: [sg],
          Description: 'aws-k8s-branch-eni',
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: branchTags({ clusterName: env.sandbox.clusterName, trunk, pod, vlanId }) }],
        }),
      );
      const id = out.NetworkInterface!.NetworkInterfaceId!;
      if (associate) await ec2.send(new AssociateTrunkInterfaceCommand({ BranchInterfaceId: id, TrunkInterfaceId: trunk.trunkEniId, VlanId: vlanId }));
      return id;
    };
    const ref = (p: typeof created) => ({ uid: p.metadata!.uid!, namespace: 'default', name: p.metadata!.name! });
    const createdOnlyEni = await make(ref(created), 2, false);
    const associatedEni = await make(ref(associated), 3, true);
    const orphanEni = await make({ uid: '00000000-0000-4000-8000-000000000000', namespace: 'default', name: 'long-gone' }, 4, true);
    ec2.destroy();
    env.sandbox.ec2.control.resetCounters();

    env.controller = await startTestController(env.sandbox, { podSide: true, webhooks: { selfRegister: true }, settings: { minCooldownSeconds: 1 } });

    const p1 = await waitRunningAnnotated(env, 'default', 'created-only');
    const p2 = await waitRunningAnnotated(env, 'default', 'associated');
    expect(annotationOf(p1)!.map((e) => [e.eniId, e.vlanId])).toEqual([[createdOnlyEni, 2]]);
    expect(annotationOf(p2)!.map((e) => [e.eniId, e.vlanId])).toEqual([[associatedEni, 3]]);
    expect(p1.status?.podIP).toBe(annotationOf(p1)![0]!.privateIp);
    // Nothing was created twice; the unassociated one was associated on its tagged VLAN.
    expect(env.sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(0);
    expect(env.sandbox.ec2.world.listTrunkAssociations().find((a) => a.branchInterfaceId === createdOnlyEni)?.vlanId).toBe(2);
    // The orphan goes after the cooldown; the pod from before the crash keeps its ENI.
    await waitFor(() => !eniExists(env, orphanEni), { timeoutMs: 10_000, what: 'orphan ENI deleted' });
    expect(eniExists(env, beforeEni.eniId)).toBe(true);
    expect(await settledInvariants(env)).toEqual([]);

    // A new pod gets a VLAN none of those hold; the old pod's release still works after the restart.
    await createPod(env, podManifest('default', 'after', { app: 'r' }));
    const after = await waitRunningAnnotated(env, 'default', 'after');
    expect([1, 2, 3]).not.toContain(annotationOf(after)![0]!.vlanId);
    await env.core.deleteNamespacedPod({ namespace: 'default', name: 'before' });
    await waitFor(() => !eniExists(env, beforeEni.eniId), { timeoutMs: 10_000, what: 'released after restart' });
    expect(await settledInvariants(env)).toEqual([]);
  });
});
