// The repair pass (issue 10, item 3): annotated pods whose branch ENI is missing, unassociated or
// has other groups in EC2 are found with one cluster-wide look and repaired; healthy ones cost
// nothing but the two paged describes.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_POD_ENI } from '../../../../src/apis/constants.js';
import { runRepairPass, type RepairDeps } from '../../../../src/controllers/pod/repair.js';
import { decodePodEniAnnotation } from '../../../../src/domain/pod-eni-annotation.js';
import { silentLogger } from '../../../../src/observability/logger.js';
import { FakeEc2 } from '../../helpers/fake-ec2.js';
import { harness, pod, policy } from './pod-harness.js';

type Harness = ReturnType<typeof harness>;

function repairDeps(h: Harness): RepairDeps & { repairs: string[] } {
  const repairs: string[] = [];
  return {
    repairs,
    ec2: h.ec2,
    clusterName: 'c1',
    book: h.book,
    pods: () => [...h.pods.values()],
    readPod: h.readPod,
    patchPod: (namespace, name, body) => {
      const p = h.pods.get(`${namespace}/${name}`);
      const anns = (body as { metadata: { annotations: Record<string, string | null> } }).metadata.annotations;
      if (p) {
        const merged: Record<string, string> = { ...p.metadata?.annotations };
        for (const [k, v] of Object.entries(anns)) if (v === null) delete merged[k];
        else merged[k] = v;
        p.metadata = { ...p.metadata, annotations: merged };
      }
      return Promise.resolve();
    },
    trunk: (n) => h.trunks.get(n),
    ensureNode: (t) => h.nodeStates.stateFor(t),
    releaser: h.releaser,
    memos: h.reconciler.memos,
    enqueuePod: (k) => h.podQueue.push(k),
    events: {
      normal: (_t, reason, message) => h.events.push({ type: 'Normal', reason, message }),
      warning: (_t, reason, message) => h.events.push({ type: 'Warning', reason, message }),
    },
    repaired: (p) => repairs.push(p),
    settleMs: 0,
    now: () => 5_000_000,
    logger: silentLogger(),
  };
}

async function annotatedPod(h: Harness): Promise<{ key: string; eniId: string; vlanId: number }> {
  h.policies.push(policy('web', ['sg-0000000a']));
  const key = h.add(pod('a'));
  await h.reconcile(key);
  h.applyPatches();
  const p = h.pods.get(key) as V1Pod;
  p.status = { phase: 'Running' };
  const d = decodePodEniAnnotation(p.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? '');
  if (!d.ok) throw new Error('no annotation');
  return { key, eniId: d.value[0]!.eniId, vlanId: d.value[0]!.vlanId };
}

function expectHealthy(h: Harness, key: string): void {
  const d = decodePodEniAnnotation(h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? '');
  if (!d.ok) throw new Error('no annotation');
  for (const e of d.value) {
    expect(h.ec2.enis.has(e.eniId)).toBe(true);
    expect([...h.ec2.associations.values()].find((a) => a.BranchInterfaceId === e.eniId)).toMatchObject({ TrunkInterfaceId: 'eni-trunk', VlanId: e.vlanId });
  }
}

describe('runRepairPass', () => {
  it('a healthy annotated pod costs two describes and nothing else', async () => {
    const h = harness();
    await annotatedPod(h);
    const before = h.ec2.calls.length;
    const deps = repairDeps(h);
    const report = await runRepairPass(deps);
    expect(report).toMatchObject({ pods: 1, checked: 1, repaired: [] });
    expect(h.ec2.calls.slice(before).map((c) => c.action)).toEqual(['DescribeNetworkInterfaces', 'DescribeTrunkInterfaceAssociations']);
  });

  it('an annotated ENI no trunk holds is associated again on its VLAN', async () => {
    const h = harness();
    const { key, eniId, vlanId } = await annotatedPod(h);
    h.ec2.associations.clear();
    const deps = repairDeps(h);
    const report = await runRepairPass(deps);
    expect(report.repaired).toEqual([{ pod: key, eniId, problem: 'unassociated' }]);
    expect([...h.ec2.associations.values()]).toMatchObject([{ BranchInterfaceId: eniId, TrunkInterfaceId: 'eni-trunk', VlanId: vlanId }]);
    expectHealthy(h, key);
    expect(deps.repairs).toEqual(['unassociated']);
  });

  it('an annotated ENI EC2 no longer has: the annotation goes, a Warning says so, and the reconcile allocates and annotates anew', async () => {
    const h = harness();
    const { key, eniId } = await annotatedPod(h);
    for (const [id, a] of h.ec2.associations) if (a.BranchInterfaceId === eniId) h.ec2.associations.delete(id);
    h.ec2.enis.delete(eniId);
    const report = await runRepairPass(repairDeps(h));
    expect(report.repaired).toEqual([{ pod: key, eniId, problem: 'missing' }]);
    expect(h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI]).toBeUndefined();
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'BranchENIRepaired' });
    expect(h.events.at(-1)?.message).toContain('delete the pod');
    expect(h.podQueue).toContain(key);
    h.patches.length = 0;
    expect(await h.reconcile(key)).toEqual({ kind: 'done' });
    h.applyPatches();
    expectHealthy(h, key);
    expect(decodePodEniAnnotation(h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI] ?? '')).toMatchObject({ ok: true });
  });

  it('no annotated pod on a published trunk (right after a restart): no look at all', async () => {
    const h = harness();
    await annotatedPod(h);
    const before = h.ec2.calls.length;
    const report = await runRepairPass({ ...repairDeps(h), trunk: () => undefined });
    expect(report).toMatchObject({ pods: 1, checked: 0, repaired: [] });
    expect(h.ec2.calls.length).toBe(before);
  });

  it('a look that predates the ENI (shared, or lagging) says missing: the ENI is not replaced when it exists', async () => {
    const h = harness();
    const { key, eniId } = await annotatedPod(h);
    h.ec2.associations.clear(); // and it is not associated (the targeted check says "unassociated", not "gone")
    const annotation = h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI];
    const stale = { enis: [], associations: [] }; // taken before the pod's ENI was created
    const report = await runRepairPass({ ...repairDeps(h), describeBranches: () => Promise.resolve(stale) });
    expect(report).toMatchObject({ checked: 1, repaired: [] });
    expect(h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI]).toBe(annotation);
    expect(h.ec2.enis.has(eniId)).toBe(true);
    expect(h.ec2.calls.map((c) => c.action)).not.toContain('DeleteNetworkInterface');
    expect(h.events.filter((e) => e.reason === 'BranchENIRepaired')).toEqual([]);
  });

  it('groups changed behind our back are set back', async () => {
    const h = harness();
    const { eniId } = await annotatedPod(h);
    const eni = h.ec2.enis.get(eniId);
    if (eni) eni.Groups = [{ GroupId: 'sg-other' }];
    const report = await runRepairPass(repairDeps(h));
    expect(report.repaired[0]?.problem).toBe('wrong-groups');
    expect(h.ec2.enis.get(eniId)?.Groups).toEqual([{ GroupId: 'sg-0000000a' }]);
  });

  it('after a restart, a pod annotated with an ENI that is gone (issue 10) is repaired', async () => {
    const ec2 = new FakeEc2().addSubnet('subnet-1', '10.0.0.0/19');
    const h1 = harness({ ec2 });
    const { key, eniId } = await annotatedPod(h1);
    for (const [id, a] of ec2.associations) if (a.BranchInterfaceId === eniId) ec2.associations.delete(id);
    ec2.enis.delete(eniId);
    const h2 = harness({ ec2 });
    h2.policies.push(...h1.policies);
    h2.add(structuredClone(h1.pods.get(key) as V1Pod));
    // Without the repair pass the reconcile does nothing for an annotated pod.
    expect(await h2.reconcile(key)).toEqual({ kind: 'done' });
    expect(ec2.branchEnis()).toHaveLength(0);
    const report = await runRepairPass(repairDeps(h2));
    expect(report.repaired).toHaveLength(1);
    await h2.reconcile(key);
    h2.applyPatches();
    expectHealthy(h2, key);
  });

  it('leaves a pod alone when the API server says it is gone or its annotation changed', async () => {
    const h = harness();
    const { key, eniId } = await annotatedPod(h);
    h.ec2.enis.delete(eniId);
    h.apiPods.set(key, pod('a', { uid: 'uid-other' }));
    const report = await runRepairPass(repairDeps(h));
    expect(report.repaired).toEqual([]);
    expect(h.pods.get(key)?.metadata?.annotations?.[ANNOTATION_POD_ENI]).toBeDefined();
  });
});
