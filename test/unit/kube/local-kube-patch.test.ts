/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- these tests read arbitrary JSON returned by the API server */
import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/sim/kube/errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../../src/sim/kube/patch.js';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'busybox' },
    ],
    tolerations: [{ key: 't1' }],
  },
});

describe('JSON patch (RFC 6902)', () => {
  it('adds, replaces, removes, moves, copies and tests', () => {
    const out = applyJsonPatch(pod(), [
      { op: 'add', path: '/metadata/labels/c', value: '3' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'add', path: '/spec/tolerations/-', value: { key: 't2' } },
      { op: 'copy', from: '/metadata/labels/b', path: '/metadata/labels/d' },
      { op: 'move', from: '/metadata/labels/d', path: '/metadata/labels/e' },
      { op: 'test', path: '/metadata/labels/e', value: '2' },
      { op: 'add', path: '/metadata/annotations', value: { 'x~y/z': 'q' } },
      { op: 'replace', path: '/metadata/annotations/x~0y~1z', value: 'r' },
    ]) as any;
    expect(out.metadata.labels).toEqual({ b: '2', c: '3', e: '2' });
    expect(out.spec.containers[0].image).toBe('nginx:2');
    expect(out.spec.tolerations).toEqual([{ key: 't1' }, { key: 't2' }]);
    expect(out.metadata.annotations).toEqual({ 'x~y/z': 'r' });
  });

  it('does not modify its input', () => {
    const input = pod();
    applyJsonPatch(input, [{ op: 'remove', path: '/metadata/labels' }]);
    expect(input.metadata.labels).toEqual({ a: '1', b: '2' });
  });

  it.each([
    ['a failing test', [{ op: 'test', path: '/metadata/name', value: 'q' }], 422],
    ['removing a missing key', [{ op: 'remove', path: '/metadata/nope' }], 422],
    ['replacing a missing key', [{ op: 'replace', path: '/metadata/nope', value: 1 }], 422],
    ['an index out of range', [{ op: 'add', path: '/spec/containers/5', value: {} }], 422],
    ['an unknown op', [{ op: 'frob', path: '/x' }], 400],
    ['a non-array patch', { op: 'add' }, 400],
    ['add without value', [{ op: 'add', path: '/x' }], 400],
  ])('rejects %s', (_n, patch, code) => {
    try {
      applyJsonPatch(pod(), patch);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(KubeError);
      expect((err as KubeError).code).toBe(code);
    }
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null and replaces lists', () => {
    const out = applyMergePatch(pod(), { metadata: { labels: { a: null, c: '3' } }, spec: { tolerations: [{ key: 'only' }] } }) as any;
    expect(out.metadata.labels).toEqual({ b: '2', c: '3' });
    expect(out.spec.tolerations).toEqual([{ key: 'only' }]);
    expect(out.spec.containers).toHaveLength(2);
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name and their env/ports by key, replaces lists without a strategy', () => {
    const out = applyStrategicMergePatch('Pod', pod(), {
      spec: {
        containers: [{ name: 'app', image: 'nginx:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }, { name: 'new', image: 'x' }],
        tolerations: [{ key: 'only' }],
      },
    }) as any;
    expect(out.spec.containers.map((c: any) => c.name)).toEqual(['app', 'side', 'new']);
    expect(out.spec.containers[0].image).toBe('nginx:2');
    expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 80, name: 'http' }]);
    expect(out.spec.tolerations).toEqual([{ key: 'only' }]);
  });

  it('honours $patch delete and replace, $deleteFromPrimitiveList, $setElementOrder and $retainKeys', () => {
    const del = applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }) as any;
    expect(del.spec.containers.map((c: any) => c.name)).toEqual(['app']);
    const rep = applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ name: 'solo', image: 'z' }, { $patch: 'replace' }] } }) as any;
    expect(rep.spec.containers).toEqual([{ name: 'solo', image: 'z' }]);
    const mapReplace = applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { z: '9', $patch: 'replace' } } }) as any;
    expect(mapReplace.metadata.labels).toEqual({ z: '9' });
    const fin = applyStrategicMergePatch('Pod', pod(), { metadata: { finalizers: ['y'], '$deleteFromPrimitiveList/finalizers': ['x'] } }) as any;
    expect(fin.metadata.finalizers).toEqual(['y']);
    const order = applyStrategicMergePatch('Pod', pod(), { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] } }) as any;
    expect(order.spec.containers.map((c: any) => c.name)).toEqual(['side', 'app']);
    const retain = applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { $retainKeys: ['b'] } } }) as any;
    expect(retain.metadata.labels).toEqual({ b: '2' });
  });

  it('merges primitive finalizers as a set and node conditions by type', () => {
    const fin = applyStrategicMergePatch('Pod', pod(), { metadata: { finalizers: ['x', 'y'] } }) as any;
    expect(fin.metadata.finalizers).toEqual(['x', 'y']);
    const node = { metadata: { name: 'n' }, status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }] } };
    const out = applyStrategicMergePatch('Node', node, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }) as any;
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }]);
  });

  it('merges the containers of a Deployment template by name and the ports of a Service by port', () => {
    const dep = { metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } } };
    const out = applyStrategicMergePatch('Deployment', dep, { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } }) as any;
    expect(out.spec.template.spec.containers).toEqual([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }]);
    const svc = { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }] } };
    const ports = applyStrategicMergePatch('Service', svc, { spec: { ports: [{ port: 443, targetPort: 9443 }] } }) as any;
    expect(ports.spec.ports).toEqual([{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 9443 }]);
  });

  it('replaces a PodDisruptionBudget selector whole (patchStrategy=replace), and merges other maps', () => {
    const pdb = { metadata: { name: 'p', labels: { a: '1' } }, spec: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] } } };
    const out = applyStrategicMergePatch('PodDisruptionBudget', pdb, { metadata: { labels: { b: '2' } }, spec: { selector: { matchLabels: { app: 'api' } } } }) as any;
    expect(out.spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(out.metadata.labels).toEqual({ a: '1', b: '2' });
  });
});
