import { describe, expect, it } from 'vitest';
import { annotatedBranchIp, completeAfterSeconds, planPod, type PodView } from '../../../src/sim/kube/node-agent/pod-status.js';

const ENI = 'vpc.amazonaws.com/pod-eni';
const now = new Date('2026-01-01T00:00:10Z');
const ctx = { now, hostIp: '10.0.1.23', nodePodIp: '100.64.0.2' };

function pod(extra: Partial<PodView> & { annotations?: Record<string, string>; eni?: boolean } = {}): PodView {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u-1', annotations: extra.annotations, ...(extra.metadata ?? {}) },
    spec: {
      nodeName: 'n',
      containers: [{ name: 'app', image: 'nginx', resources: extra.eni ? { requests: { [ENI]: '1' }, limits: { [ENI]: '1' } } : {} }],
      ...(extra.spec ?? {}),
    },
    status: extra.status ?? { phase: 'Pending' },
  };
}

function applied(p: PodView): PodView {
  const plan = planPod(p, ctx);
  if (plan.kind !== 'status') throw new Error(`expected a status plan, got ${plan.kind}`);
  return { ...p, status: plan.status };
}

describe('planPod', () => {
  it('runs a plain pod with a node address, READY like kubelet', () => {
    const p = applied(pod());
    expect(p.status).toMatchObject({ phase: 'Running', podIP: '100.64.0.2', hostIP: '10.0.1.23' });
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: true, state: { running: {} } });
    expect((p.status?.conditions as { type: string; status: string }[]).every((c) => c.status === 'True')).toBe(true);
    // and is then left alone
    expect(planPod(p, ctx)).toEqual({ kind: 'none' });
  });

  it('keeps a pod-eni pod in ContainerCreating until annotated, then runs it with the branch IP', () => {
    const waiting = applied(pod({ eni: true }));
    expect(waiting.status).toMatchObject({ phase: 'Pending', podIP: null });
    expect(waiting.status?.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(planPod(waiting, ctx)).toEqual({ kind: 'none' });
    const annotation = JSON.stringify([{ eniId: 'eni-1', ifAddress: '02:00:00:00:00:01', privateIp: '10.0.5.9', vlanId: 1, subnetCidr: '10.0.0.0/19' }]);
    const running = applied({ ...waiting, metadata: { ...waiting.metadata, annotations: { [ENI]: annotation } } });
    expect(running.status).toMatchObject({ phase: 'Running', podIP: '10.0.5.9', podIPs: [{ ip: '10.0.5.9' }] });
  });

  it('ignores an unusable annotation', () => {
    expect(annotatedBranchIp(pod({ annotations: { [ENI]: 'not json' } }))).toBeUndefined();
    expect(annotatedBranchIp(pod({ annotations: { [ENI]: '[{"privateIp":"x"}]' } }))).toBeUndefined();
  });

  it('completes after the annotated seconds', () => {
    const p = applied(pod({ annotations: { 'sandbox.vpcrc.dev/complete-after-seconds': '5' } }));
    const started = new Date(now).getTime();
    const first = planPod(p, ctx);
    expect(first).toEqual({ kind: 'none', wakeAt: started + 5000 });
    const later = planPod(p, { ...ctx, now: new Date(started + 5000) });
    expect(later.kind).toBe('status');
    if (later.kind === 'status') {
      expect(later.status.phase).toBe('Succeeded');
      expect((later.status.containerStatuses as { state: unknown }[])[0]?.state).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
    }
    expect(completeAfterSeconds(pod({ annotations: { 'sandbox.vpcrc.dev/complete-after-seconds': 'soon' } }))).toBeUndefined();
  });

  it('stops a deleted running pod, then deletes it for good', () => {
    const running = applied(pod());
    const deleting = { ...running, metadata: { ...running.metadata, deletionTimestamp: now.toISOString() } };
    const stopped = planPod(deleting, ctx);
    expect(stopped.kind).toBe('status');
    if (stopped.kind !== 'status') return;
    expect(stopped.status.phase).toBe('Succeeded');
    expect(planPod({ ...deleting, status: stopped.status }, ctx)).toEqual({ kind: 'delete' });
  });

  it('deletes a pod that never started at once', () => {
    const waiting = applied(pod({ eni: true }));
    expect(planPod({ ...waiting, metadata: { ...waiting.metadata, deletionTimestamp: now } }, ctx)).toEqual({ kind: 'delete' });
  });

  it('hostNetwork pods use the node address', () => {
    expect(applied(pod({ spec: { hostNetwork: true, containers: [{ name: 'a' }] } })).status?.podIP).toBe('10.0.1.23');
  });
});
