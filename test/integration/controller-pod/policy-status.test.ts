// SecurityGroupPolicy status and events (issue 14), end to end against the local API server and
// EC2: Ready with its reasons, resolved groups, matched pods, observed generation, the status
// subresource, and Warning events on the policy itself (once per generation and problem).
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  REASON_INVALID_SECURITY_GROUP_POLICY,
  REASON_SECURITY_GROUPS_NOT_FOUND,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_VERSION,
} from '../../../src/apis/constants.js';
import type { SecurityGroupPolicyStatus } from '../../../src/apis/security-group-policy.js';
import { mergePatchCustomObject, mergePatchNamespacedCustomObjectStatus } from '../../../src/kube/patch.js';
import { makeSandboxEc2Client } from '../../../src/sim/sandbox/ec2-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { annotationOf, createGroups, createPod, eniGroups, ensureNamespace, podEvents, podManifest, readPod, settledInvariants, startPodEnv, waitRunningAnnotated, type PodEnv } from './helpers.js';

const ref = (namespace: string, name: string) => ({ group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace, name });

describe('SecurityGroupPolicy status, events and groups by name or tag', () => {
  let env: PodEnv;
  let g: string[];
  beforeAll(async () => {
    env = await startPodEnv({ nodes: 'm5.large=1', controller: { policies: { podDebounceMs: 200 } } });
    g = await createGroups(env.sandbox, ['a', 'b']);
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });
  afterEach(async () => {
    expect(await settledInvariants(env)).toEqual([]);
  });

  async function createSgp(namespace: string, name: string, spec: object): Promise<void> {
    await env.custom.createNamespacedCustomObject({ group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace, body: { apiVersion: `${SGP_GROUP}/${SGP_VERSION}`, kind: SGP_KIND, metadata: { name, namespace }, spec } });
  }
  async function readSgp(namespace: string, name: string): Promise<{ metadata: { generation?: number }; status?: SecurityGroupPolicyStatus }> {
    return (await env.custom.getNamespacedCustomObject(ref(namespace, name))) as { metadata: { generation?: number }; status?: SecurityGroupPolicyStatus };
  }
  async function waitStatus(namespace: string, name: string, ok: (s: SecurityGroupPolicyStatus, generation: number | undefined) => boolean, what: string): Promise<SecurityGroupPolicyStatus> {
    return waitFor(
      async () => {
        const p = await readSgp(namespace, name);
        return p.status && ok(p.status, p.metadata.generation) ? p.status : undefined;
      },
      { timeoutMs: 15_000, what },
    );
  }
  async function policyEvents(namespace: string, name: string) {
    const out = await env.core.listNamespacedEvent({ namespace });
    return out.items.filter((e) => e.involvedObject.kind === SGP_KIND && e.involvedObject.name === name);
  }
  const ready = (s: SecurityGroupPolicyStatus) => s.conditions?.find((c) => c.type === 'Ready');

  it('a valid policy is Ready with its groups, counts its running pods and follows its generation', async () => {
    await ensureNamespace(env, 'st-ok');
    await createSgp('st-ok', 'web', { podSelector: { matchLabels: { app: 'web' } }, securityGroups: { groupIds: [g[0]] } });
    const s = await waitStatus('st-ok', 'web', (x) => ready(x)?.status === 'True', 'Ready=True');
    expect(s).toMatchObject({ observedGeneration: 1, resolvedGroupIds: [g[0]], matchedPods: 0 });
    expect(ready(s)).toMatchObject({ reason: 'Resolved', observedGeneration: 1 });
    await Promise.all([createPod(env, podManifest('st-ok', 'web-1', { app: 'web' })), createPod(env, podManifest('st-ok', 'web-2', { app: 'web' })), createPod(env, podManifest('st-ok', 'other', { app: 'db' }))]);
    await waitStatus('st-ok', 'web', (x) => x.matchedPods === 2, 'matchedPods 2');
    // A spec change is a new generation: the status follows it.
    await mergePatchCustomObject(env.custom, ref('st-ok', 'web'), { spec: { securityGroups: { groupIds: [g[0], g[1]] } } });
    const s2 = await waitStatus('st-ok', 'web', (x, gen) => x.observedGeneration === gen && gen === 2, 'observedGeneration 2');
    expect(s2.resolvedGroupIds).toEqual([g[0], g[1]]);
    for (const n of ['web-1', 'web-2', 'other']) await env.core.deleteNamespacedPod({ namespace: 'st-ok', name: n });
    await waitStatus('st-ok', 'web', (x) => x.matchedPods === 0, 'matchedPods 0');
  });

  it('the status is the status subresource: a spec update cannot change it, and the controller restores what a user writes', async () => {
    // Through the main resource, status is ignored (the real server's rule with a status subresource).
    await mergePatchCustomObject(env.custom, ref('st-ok', 'web'), { status: { matchedPods: 99 } });
    expect((await readSgp('st-ok', 'web')).status?.matchedPods).toBe(0);
    await mergePatchNamespacedCustomObjectStatus(env.custom, ref('st-ok', 'web'), { status: { matchedPods: 99 } });
    await waitStatus('st-ok', 'web', (x) => x.matchedPods === 0, 'matchedPods restored to 0');
  });

  it('an invalid policy is Ready=False/Invalid with one Warning event on the policy per generation', async () => {
    await ensureNamespace(env, 'st-bad');
    // Passes the CRD schema, fails the controller's validation (In needs values).
    await createSgp('st-bad', 'broken', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] }, securityGroups: { groupIds: [g[0]] } });
    const s = await waitStatus('st-bad', 'broken', (x) => ready(x)?.reason === 'Invalid', 'Ready=False/Invalid');
    expect(ready(s)).toMatchObject({ status: 'False', message: expect.stringContaining('spec.podSelector.matchExpressions[0].values: must be non-empty for operator In') as string });
    const events = await waitFor(async () => {
      const ev = (await policyEvents('st-bad', 'broken')).filter((e) => e.reason === REASON_INVALID_SECURITY_GROUP_POLICY);
      return ev.length > 0 ? ev : undefined;
    }, { what: 'the Invalid warning on the policy' });
    expect(events[0]?.type).toBe('Warning');
    // Pods in the namespace re-run the status; no new warning for the same generation.
    await createPod(env, podManifest('st-bad', 'p', { app: 'x' }));
    await new Promise((r) => setTimeout(r, 1_000));
    const again = (await policyEvents('st-bad', 'broken')).filter((e) => e.reason === REASON_INVALID_SECURITY_GROUP_POLICY);
    expect(again.map((e) => e.count ?? 1).reduce((a, b) => a + b, 0)).toBe(1);
    await env.core.deleteNamespacedPod({ namespace: 'st-bad', name: 'p' });
  });

  it('a policy naming a missing group is Ready=False/GroupsNotFound, warns on the policy, and its pods get no EC2 create', async () => {
    await ensureNamespace(env, 'st-missing');
    await createSgp('st-missing', 'ghost', { podSelector: { matchLabels: { app: 'ghost' } }, securityGroups: { groupNames: ['no-such-group'] } });
    const s = await waitStatus('st-missing', 'ghost', (x) => ready(x)?.reason === 'GroupsNotFound', 'Ready=False/GroupsNotFound');
    expect(ready(s)?.status).toBe('False');
    expect(ready(s)?.message).toContain('name "no-such-group"');
    await waitFor(async () => (await policyEvents('st-missing', 'ghost')).some((e) => e.reason === REASON_SECURITY_GROUPS_NOT_FOUND && e.type === 'Warning'), { what: 'GroupsNotFound warning' });
    const creates = env.sandbox.ec2.control.counter('CreateNetworkInterface').calls;
    await createPod(env, podManifest('st-missing', 'ghost-1', { app: 'ghost' }));
    // The webhook still asks for the pod-eni resource (the policy matches); the controller waits.
    await waitFor(async () => (await readPod(env, 'st-missing', 'ghost-1'))?.spec?.nodeName, { what: 'ghost-1 scheduled' });
    await waitFor(async () => (await podEvents(env, 'st-missing', 'ghost-1')).some((e) => e.message?.includes('no-such-group')), { what: 'the pod says why it waits' });
    expect(env.sandbox.ec2.control.counter('CreateNetworkInterface').calls).toBe(creates);
    expect(annotationOf(await readPod(env, 'st-missing', 'ghost-1'))).toBeUndefined();

    // Creating the group fixes it: the policy turns Ready (the catalog is re-read on the policy's
    // next change or period; here the policy is touched) and the pod gets its ENI with that group.
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    const created = await ec2.send(new CreateSecurityGroupCommand({ VpcId: env.sandbox.vpcId, GroupName: 'no-such-group', Description: 'now there is' }));
    ec2.destroy();
    await mergePatchCustomObject(env.custom, ref('st-missing', 'ghost'), { metadata: { labels: { touched: 'yes' } }, spec: { securityGroups: { groupNames: ['no-such-group'] } } });
    await env.controller.ctx.groupCatalog.refresh();
    await waitStatus('st-missing', 'ghost', (x) => ready(x)?.status === 'True', 'Ready=True after the group exists');
    const pod = await waitRunningAnnotated(env, 'st-missing', 'ghost-1');
    expect(eniGroups(env, annotationOf(pod)![0]!.eniId)).toEqual([created.GroupId]);
    await env.core.deleteNamespacedPod({ namespace: 'st-missing', name: 'ghost-1' });
  });

  it('policies by group name and by tags resolve in the VPC and allocate with those groups', async () => {
    await ensureNamespace(env, 'st-lookup');
    const ec2 = makeSandboxEc2Client(env.sandbox.ec2.endpoint, env.sandbox.region);
    const mk = async (name: string, tags: Record<string, string>) =>
      (await ec2.send(new CreateSecurityGroupCommand({ VpcId: env.sandbox.vpcId, GroupName: name, Description: name, TagSpecifications: [{ ResourceType: 'security-group', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }))).GroupId!;
    const web = await mk('lookup-web', {});
    const t1 = await mk('lookup-t1', { team: 'pay', env: 'prod' });
    const t2 = await mk('lookup-t2', { team: 'pay', env: 'prod' });
    await mk('lookup-t3', { team: 'pay', env: 'dev' });
    ec2.destroy();
    await createSgp('st-lookup', 'by-name', { podSelector: { matchLabels: { app: 'n' } }, securityGroups: { groupNames: ['lookup-web'] } });
    await createSgp('st-lookup', 'by-tag', { podSelector: { matchLabels: { app: 't' } }, securityGroups: { groupTags: { team: 'pay', env: 'prod' } } });
    const byName = await waitStatus('st-lookup', 'by-name', (x) => ready(x)?.status === 'True', 'by-name Ready');
    expect(byName.resolvedGroupIds).toEqual([web]);
    const byTag = await waitStatus('st-lookup', 'by-tag', (x) => ready(x)?.status === 'True', 'by-tag Ready');
    expect(byTag.resolvedGroupIds).toEqual([t1, t2].sort());
    await createPod(env, podManifest('st-lookup', 'n1', { app: 'n' }));
    await createPod(env, podManifest('st-lookup', 't1', { app: 't' }));
    const n1 = await waitRunningAnnotated(env, 'st-lookup', 'n1');
    const tp = await waitRunningAnnotated(env, 'st-lookup', 't1');
    expect(eniGroups(env, annotationOf(n1)![0]!.eniId)).toEqual([web]);
    expect(eniGroups(env, annotationOf(tp)![0]!.eniId)).toEqual([t1, t2].sort());
    await env.core.deleteNamespacedPod({ namespace: 'st-lookup', name: 'n1' });
    await env.core.deleteNamespacedPod({ namespace: 'st-lookup', name: 't1' });
  });
});
