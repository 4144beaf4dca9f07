import { describe, expect, it } from 'vitest';
import { buildNodeInfos, decideSchedule, effectiveTaints } from '../../../src/sim/kube/scheduler/decide.js';
import { podRequests } from '../../../src/sim/kube/scheduler/pod-requests.js';
import { parseQuantityMilli } from '../../../src/sim/kube/scheduler/quantity.js';
import type { NodeLike, PodLike } from '../../../src/sim/kube/scheduler/types.js';

function node(name: string, opts: { alloc?: Record<string, string>; labels?: Record<string, string>; ready?: string; taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean } = {}): NodeLike {
  return {
    metadata: { name, labels: opts.labels ?? {} },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: { cpu: '2', memory: '8Gi', pods: '29', ...(opts.alloc ?? {}) },
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }],
    },
  };
}

function pod(name: string, opts: { requests?: Record<string, string>; limits?: Record<string, string>; nodeName?: string; phase?: string; nodeSelector?: Record<string, string>; tolerations?: PodLike['spec'] extends infer S ? S extends { tolerations?: infer T } ? T : never : never; init?: Record<string, string> } = {}): PodLike {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: opts.nodeName,
      nodeSelector: opts.nodeSelector,
      tolerations: opts.tolerations,
      containers: [{ name: 'app', resources: { requests: opts.requests, limits: opts.limits } }],
      initContainers: opts.init ? [{ name: 'init', resources: { requests: opts.init } }] : undefined,
    },
    status: { phase: opts.phase ?? 'Pending' },
  };
}

const ENI = 'vpc.amazonaws.com/pod-eni';

describe('quantities', () => {
  it.each([
    ['1', 1000],
    ['100m', 100],
    ['1.5', 1500],
    ['8Gi', 8 * 2 ** 30 * 1000],
    ['7910348Ki', 7910348 * 1024 * 1000],
    ['2k', 2_000_000],
    ['1e3', 1_000_000],
  ])('%s → %d milli', (q, v) => expect(parseQuantityMilli(q)).toBe(v));
  it('rejects malformed quantities with the value in the message', () => {
    expect(() => parseQuantityMilli('12 apples')).toThrow(/"12 apples"/);
  });
});

describe('pod requests', () => {
  it('sums containers, takes the max with init containers, and defaults requests to limits', () => {
    const p: PodLike = {
      spec: {
        containers: [
          { resources: { requests: { cpu: '100m' } } },
          { resources: { limits: { cpu: '200m', [ENI]: '1' } } },
        ],
        initContainers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      },
    };
    const r = podRequests(p);
    expect(r.get('cpu')).toBe(1000);
    expect(r.get('memory')).toBe(2 ** 30 * 1000);
    expect(r.get(ENI)).toBe(1000);
  });
});

describe('decideSchedule', () => {
  it('binds to a node with free extended resource and explains when none has it', () => {
    const nodes = [node('a', { alloc: { [ENI]: '1' } }), node('b')];
    const p = pod('p', { requests: { [ENI]: '1' }, limits: { [ENI]: '1' } });
    expect(decideSchedule(p, buildNodeInfos(nodes, []))).toEqual({ kind: 'bind', nodeName: 'a' });
    // a's only pod-eni is taken by a running pod; b never had any
    const taken = pod('q', { requests: { [ENI]: '1' }, nodeName: 'a', phase: 'Running' });
    const d = decideSchedule(p, buildNodeInfos(nodes, [taken]));
    expect(d.kind).toBe('unschedulable');
    if (d.kind === 'unschedulable') {
      expect(d.message).toBe(
        '0/2 nodes are available: 2 Insufficient vpc.amazonaws.com/pod-eni. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
      );
    }
  });

  it('does not count pods that have finished', () => {
    const nodes = [node('a', { alloc: { [ENI]: '1' } })];
    const done = pod('q', { requests: { [ENI]: '1' }, nodeName: 'a', phase: 'Succeeded' });
    expect(decideSchedule(pod('p', { requests: { [ENI]: '1' } }), buildNodeInfos(nodes, [done]))).toEqual({ kind: 'bind', nodeName: 'a' });
  });

  it.each<[string, NodeLike[], PodLike, string]>([
    ['not-ready node is tainted', [node('a', { ready: 'False' })], pod('p'), '1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
    ['cordoned node', [node('a', { unschedulable: true })], pod('p'), '1 node(s) were unschedulable'],
    ['nodeSelector mismatch', [node('a', { labels: { zone: 'x' } })], pod('p', { nodeSelector: { zone: 'y' } }), "1 node(s) didn't match Pod's node affinity/selector"],
    ['NoExecute taint', [node('a', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] })], pod('p'), '1 node(s) had untolerated taint {k: v}'],
    ['too many pods', [node('a', { alloc: { pods: '0' } })], pod('p'), '1 Too many pods'],
    ['cpu and memory', [node('a')], pod('p', { requests: { cpu: '3', memory: '9Gi' } }), '1 Insufficient cpu, 1 Insufficient memory'],
  ])('%s', (_name, nodes, p, fragment) => {
    const d = decideSchedule(p, buildNodeInfos(nodes, []));
    expect(d.kind).toBe('unschedulable');
    if (d.kind === 'unschedulable') expect(d.message).toContain(`0/1 nodes are available: ${fragment}.`);
  });

  it.each<[string, NodeLike, PodLike]>([
    ['PreferNoSchedule taints are ignored', node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), pod('p')],
    ['Equal toleration', node('a', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), pod('p', { tolerations: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })],
    ['Exists toleration without key tolerates everything', node('a', { ready: 'False' }), pod('p', { tolerations: [{ operator: 'Exists' }] })],
    ['matching nodeSelector', node('a', { labels: { zone: 'x' } }), pod('p', { nodeSelector: { zone: 'x' } })],
  ])('%s', (_name, n, p) => {
    expect(decideSchedule(p, buildNodeInfos([n], []))).toEqual({ kind: 'bind', nodeName: 'a' });
  });

  it('a toleration with the wrong value does not tolerate', () => {
    const n = node('a', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] });
    expect(decideSchedule(pod('p', { tolerations: [{ key: 'k', value: 'w' }] }), buildNodeInfos([n], [])).kind).toBe('unschedulable');
  });

  it('honours required node affinity terms', () => {
    const nodes = [node('a', { labels: { t: 'm5.large' } }), node('b', { labels: { t: 'c5.xlarge' } })];
    const p = pod('p');
    p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 't', operator: 'In', values: ['c5.xlarge'] }] }] } } };
    expect(decideSchedule(p, buildNodeInfos(nodes, []))).toEqual({ kind: 'bind', nodeName: 'b' });
  });

  it('spreads onto the least-allocated node', () => {
    const nodes = [node('a'), node('b')];
    const busy = pod('q', { requests: { cpu: '1' }, nodeName: 'a', phase: 'Running' });
    expect(decideSchedule(pod('p', { requests: { cpu: '100m' } }), buildNodeInfos(nodes, [busy]))).toEqual({ kind: 'bind', nodeName: 'b' });
  });

  it('derives unreachable for Unknown readiness and keeps explicit taints', () => {
    expect(effectiveTaints(node('a', { ready: 'Unknown' })).map((t) => t.key)).toEqual(['node.kubernetes.io/unreachable']);
    expect(effectiveTaints(node('a')).length).toBe(0);
  });

  it('answers no nodes for an empty cluster', () => {
    const d = decideSchedule(pod('p'), []);
    expect(d.kind === 'unschedulable' && d.message).toBe('no nodes available to schedule pods');
  });
});
