import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ApiException, type CoreV1Event } from '@kubernetes/client-node';
import { EventRecorder, eventTarget } from '../../../src/kube/events.js';

interface Call {
  op: 'create' | 'patch';
  namespace: string;
  name?: string;
  body: unknown;
}

function fakeCore(opts: { failCreate?: boolean; patch404?: boolean } = {}) {
  const calls: Call[] = [];
  const core = {
    createNamespacedEvent: async (req: { namespace: string; body: CoreV1Event }) => {
      await Promise.resolve();
      if (opts.failCreate) throw new ApiException(500, 'boom', '{"kind":"Status","message":"etcd down"}', {});
      calls.push({ op: 'create', namespace: req.namespace, body: req.body });
      return req.body;
    },
    patchNamespacedEvent: async (req: { name: string; namespace: string; body: unknown }) => {
      await Promise.resolve();
      if (opts.patch404) throw new ApiException(404, 'not found', '{"kind":"Status","reason":"NotFound"}', {});
      calls.push({ op: 'patch', namespace: req.namespace, name: req.name, body: req.body });
      return {} as CoreV1Event;
    },
  };
  return { core: core as unknown as ConstructorParameters<typeof EventRecorder>[0]['core'], calls };
}

const pod = { apiVersion: 'v1', metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-pod' } };
const node = { metadata: { name: 'ip-10-0-0-1', uid: 'uid-node' } };

describe('EventRecorder', () => {
  it('writes a core/v1 Event with source component, reporting fields and the involved object', async () => {
    const { core, calls } = fakeCore();
    const rec = new EventRecorder({ core, instance: 'vpcrc-0' });
    rec.normal(eventTarget('Pod', pod), 'SecurityGroupRequested', 'Pod will get the following Security Groups [sg-1]');
    await rec.flush();
    expect(calls).toHaveLength(1);
    const ev = calls[0]!.body as CoreV1Event;
    expect(calls[0]!.namespace).toBe('shop');
    expect(ev.metadata?.name).toMatch(/^web-1\.[0-9a-f]+$/);
    expect(ev.involvedObject).toEqual({ kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'uid-pod', apiVersion: 'v1' });
    expect(ev.source).toEqual({ component: 'vpc-resource-controller', host: 'vpcrc-0' });
    expect(ev.reportingComponent).toBe('vpc-resource-controller');
    expect([ev.type, ev.reason, ev.count]).toEqual(['Normal', 'SecurityGroupRequested', 1]);
    expect(ev.firstTimestamp).toBeInstanceOf(Date);
  });

  it('puts Node events in namespace default with the involved object cluster-scoped', async () => {
    const { core, calls } = fakeCore();
    const rec = new EventRecorder({ core });
    rec.warning(eventTarget('Node', node), 'Unsupported', 'The instance type t3.medium is not supported');
    await rec.flush();
    expect(calls[0]!.namespace).toBe('default');
    expect((calls[0]!.body as CoreV1Event).involvedObject).toEqual({ kind: 'Node', name: 'ip-10-0-0-1', namespace: '', uid: 'uid-node', apiVersion: 'v1' });
  });

  it('aggregates repeats within the window into count/lastTimestamp patches, and starts anew after it', async () => {
    let t = 1_000_000;
    const { core, calls } = fakeCore();
    const rec = new EventRecorder({ core, now: () => t, aggregateWindowMs: 60_000 });
    const target = eventTarget('Node', node);
    rec.warning(target, 'ENIConfigNotSettled', 'no ENIConfig named zone-a');
    rec.warning(target, 'ENIConfigNotSettled', 'no ENIConfig named zone-a');
    t += 1_000;
    rec.warning(target, 'ENIConfigNotSettled', 'no ENIConfig named zone-a');
    rec.warning(target, 'ENIConfigNotSettled', 'a different message is a different event');
    await rec.flush();
    expect(calls.map((c) => c.op)).toEqual(['create', 'create', 'patch', 'patch']);
    const name = (calls[0]!.body as CoreV1Event).metadata.name;
    const patches = calls.filter((c) => c.op === 'patch');
    expect(patches.map((p) => p.name)).toEqual([name, name]);
    expect(patches.map((p) => (p.body as { count: number }).count)).toEqual([2, 3]);
    expect((patches[1]!.body as { lastTimestamp: string }).lastTimestamp).toBe(new Date(1_001_000).toISOString());
    t += 120_000;
    rec.warning(target, 'ENIConfigNotSettled', 'no ENIConfig named zone-a');
    await rec.flush();
    expect(calls.at(-1)!.op).toBe('create');
  });

  it('creates a new Event when the aggregated one is gone', async () => {
    const { core, calls } = fakeCore({ patch404: true });
    const rec = new EventRecorder({ core });
    rec.normal(eventTarget('Pod', pod), 'R', 'm');
    rec.normal(eventTarget('Pod', pod), 'R', 'm');
    await rec.flush();
    expect(calls.map((c) => c.op)).toEqual(['create', 'create']);
  });

  it('rate-limits per object so a hot loop cannot flood the API server', async () => {
    let t = 0;
    const registry = new Registry();
    const { core, calls } = fakeCore();
    const rec = new EventRecorder({ core, now: () => t, burst: 3, refillMs: 10_000, registry });
    for (let i = 0; i < 50; i++) rec.warning(eventTarget('Pod', pod), 'BranchAllocationFailed', `attempt ${i}`);
    rec.warning(eventTarget('Node', node), 'NodeTrunkFailedInit', 'other objects have their own budget');
    await rec.flush();
    expect(calls).toHaveLength(4);
    t += 10_000;
    rec.warning(eventTarget('Pod', pod), 'BranchAllocationFailed', 'after refill');
    await rec.flush();
    expect(calls).toHaveLength(5);
    expect(await registry.metrics()).toContain('vpcrc_events_dropped_total 47');
  });

  it('never throws to the caller when the API server refuses', async () => {
    const registry = new Registry();
    const { core } = fakeCore({ failCreate: true });
    const rec = new EventRecorder({ core, registry });
    expect(() => rec.warning(eventTarget('Pod', pod), 'R', 'm')).not.toThrow();
    await rec.flush();
    expect(await registry.metrics()).toContain('vpcrc_events_failed_total 1');
  });

  it('truncates very long messages and keeps Event names within 253 characters', async () => {
    const { core, calls } = fakeCore();
    const rec = new EventRecorder({ core });
    rec.warning(eventTarget('Pod', pod), 'R', 'x'.repeat(5000));
    rec.warning(eventTarget('Pod', { metadata: { name: 'p'.repeat(253), namespace: 'ns', uid: 'u' } }), 'R', 'm');
    await rec.flush();
    expect((calls[0]!.body as CoreV1Event).message).toHaveLength(1024);
    expect((calls[1]!.body as CoreV1Event).metadata.name!.length).toBeLessThanOrEqual(253);
  });
});
