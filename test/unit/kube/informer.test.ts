/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ReportingWatch,
  SupervisedInformer,
  objectKey,
  splitKey,
} from '../../../src/kube/informer.js';
import { FakeInner as GenericFakeInner } from '../helpers/fake-inner-informer.js';

interface Obj extends KubernetesObject {
  spec?: { nodeName?: string };
}
class FakeInner extends GenericFakeInner<Obj> {}

const pod = (name: string, node?: string, rv = '1', ns = 'default'): Obj => ({
  metadata: { name, namespace: ns, resourceVersion: rv },
  ...(node ? { spec: { nodeName: node } } : {}),
});

function setup(opts: { list?: () => Promise<KubernetesListObject<Obj>>; registry?: Registry } = {}) {
  let inner!: FakeInner;
  const listCalls: unknown[] = [];
  const informer = new SupervisedInformer<Obj>({
    name: 'pods',
    path: '/api/v1/pods',
    labelSelector: 'app=x',
    fieldSelector: 'spec.nodeName!=',
    list: async (q) => {
      listCalls.push(q);
      return opts.list ? opts.list() : { items: [pod('a', 'n1'), pod('b', 'n2')] };
    },
    factory: (args) => (inner = new FakeInner(args)),
    indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
    backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 0 },
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  return { informer, inner: () => inner, listCalls };
}

describe('objectKey / splitKey', () => {
  it('uses namespace/name for namespaced objects and name for cluster-scoped ones', () => {
    expect(objectKey(pod('a'))).toBe('default/a');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('default/a')).toEqual({ namespace: 'default', name: 'a' });
    expect(splitKey('node-1')).toEqual({ name: 'node-1' });
  });
});

describe('SupervisedInformer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lists with the selectors, caches, indexes and reports sync', async () => {
    const { informer, inner, listCalls } = setup();
    const added: string[] = [];
    informer.onAdd((o) => added.push(objectKey(o)));
    expect(informer.hasSynced()).toBe(false);
    await informer.start();
    await informer.waitForSync();
    expect(listCalls).toEqual([{ labelSelector: 'app=x', fieldSelector: 'spec.nodeName!=' }]);
    expect(inner().args.labelSelector).toBe('app=x');
    expect(inner().args.fieldSelector).toBe('spec.nodeName!=');
    expect(informer.hasSynced()).toBe(true);
    expect(added).toEqual(['default/a', 'default/b']);
    expect(informer.get('default/a')?.spec?.nodeName).toBe('n1');
    expect(informer.list()).toHaveLength(2);
    expect(informer.byIndex('byNode', 'n2').map(objectKey)).toEqual(['default/b']);
    expect(() => informer.byIndex('nope', 'x')).toThrow(/no index "nope"/);
  });

  it('passes old and new objects to update handlers and moves index entries', async () => {
    const { informer, inner } = setup();
    const updates: Array<[string | undefined, string | undefined]> = [];
    informer.onUpdate((o, old) => updates.push([old?.spec?.nodeName, o.spec?.nodeName]));
    await informer.start();
    inner().emit('update', pod('a', 'n2', '2'));
    expect(updates).toEqual([['n1', 'n2']]);
    expect(informer.byIndex('byNode', 'n1')).toEqual([]);
    expect(informer.byIndex('byNode', 'n2').map(objectKey).sort()).toEqual(['default/a', 'default/b']);
    const deleted: string[] = [];
    informer.onDelete((o) => deleted.push(objectKey(o)));
    inner().emit('delete', pod('a', 'n2', '3'));
    expect(deleted).toEqual(['default/a']);
    expect(informer.get('default/a')).toBeUndefined();
    expect(informer.byIndex('byNode', 'n2').map(objectKey)).toEqual(['default/b']);
  });

  it('an index value held by one object, then two, then one again, finds exactly those objects', async () => {
    const { informer, inner } = setup();
    await informer.start();
    inner().emit('add', pod('a', 'n7', '1'));
    expect(informer.byIndex('byNode', 'n7').map(objectKey)).toEqual(['default/a']);
    inner().emit('update', pod('a', 'n7', '2')); // same value again: still one entry
    expect(informer.byIndex('byNode', 'n7').map(objectKey)).toEqual(['default/a']);
    inner().emit('add', pod('b', 'n7', '3'));
    expect(informer.byIndex('byNode', 'n7').map(objectKey).sort()).toEqual(['default/a', 'default/b']);
    inner().emit('delete', pod('a', 'n7', '4'));
    expect(informer.byIndex('byNode', 'n7').map(objectKey)).toEqual(['default/b']);
    inner().emit('add', pod('c', 'n7', '5'));
    expect(informer.byIndex('byNode', 'n7').map(objectKey).sort()).toEqual(['default/b', 'default/c']);
    inner().emit('update', pod('b', 'n8', '6'));
    inner().emit('delete', pod('c', 'n7', '7'));
    expect(informer.byIndex('byNode', 'n7')).toEqual([]);
    expect(informer.byIndex('byNode', 'n8').map(objectKey)).toEqual(['default/b']);
  });

  it('a throwing handler neither escapes nor stops the other handlers', async () => {
    const registry = new Registry();
    const { informer, inner } = setup({ registry });
    const seen: string[] = [];
    informer.onAdd(() => {
      throw new Error('handler bug');
    });
    informer.onAdd((o) => seen.push(objectKey(o)));
    await informer.start();
    expect(() => inner().emit('add', pod('c'))).not.toThrow();
    expect(seen).toEqual(['default/a', 'default/b', 'default/c']);
    expect(await registry.metrics()).toContain('vpcrc_informer_handler_errors_total{informer="pods"} 3');
  });

  it('restarts with exponential backoff after errors, and syncs once a list succeeds', async () => {
    let fail = 3;
    const registry = new Registry();
    const { informer, inner } = setup({
      registry,
      list: async () => {
        if (fail-- > 0) throw new Error('connection refused');
        return { items: [pod('a')] };
      },
    });
    // Like ListWatch: a failed list is reported through the 'error' callback, start() resolves.
    const script = async (self: FakeInner) => {
      try {
        const l = await self.args.list();
        for (const o of l.items) self.emit('add', o);
      } catch (err) {
        self.emit('error', err);
      }
    };
    await informer.start();
    inner().script = script;
    // The first start used the default script, whose list threw: that rejection surfaces from start().
    expect(informer.hasSynced()).toBe(false);
    expect(inner().starts).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(inner().starts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(inner().starts).toBe(2); // after 1 s
    await vi.advanceTimersByTimeAsync(2_000);
    expect(inner().starts).toBe(3); // after 2 s more
    expect(informer.hasSynced()).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(inner().starts).toBe(4); // after 4 s more: this list succeeds
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get('default/a')).toBeDefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(inner().starts).toBe(4);
    const text = await registry.metrics();
    expect(text).toMatch(/vpcrc_informer_restarts_total\{informer="pods",reason="(start|error)"\} \d/);
    expect(text).toContain('vpcrc_informer_synced{informer="pods"} 1');
  });

  it('restarts after a watch error reported later (client-node stops for good on non-410 errors)', async () => {
    const { informer, inner } = setup();
    await informer.start();
    expect(inner().starts).toBe(1);
    inner().emit('error', Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    inner().emit('error', new Error('duplicate report is ignored while a restart is pending'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner().starts).toBe(2);
  });

  it('backs off when the watch keeps ending right after connecting', async () => {
    const { informer, inner } = setup();
    await informer.start();
    for (let i = 0; i < 11; i++) inner().emit('connect');
    expect(inner().stops).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(inner().starts).toBe(2);
  });

  it('stop() cancels a pending restart', async () => {
    const { informer, inner } = setup();
    await informer.start();
    inner().emit('error', new Error('x'));
    await informer.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(inner().starts).toBe(1);
    expect(inner().stops).toBe(1);
  });

  it('waitForSync rejects after its timeout', async () => {
    const { informer } = setup({ list: () => new Promise(() => {}) });
    void informer.start();
    const p = informer.waitForSync(500);
    const assertion = expect(p).rejects.toThrow(/did not sync within 500 ms/);
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
  });
});

describe('ReportingWatch', () => {
  it('reports a watch that cannot start through done instead of rejecting', async () => {
    const kc = new KubeConfig(); // no cluster: client-node's Watch would throw
    const errors: unknown[] = [];
    const controller = await new ReportingWatch(kc).watch('/api/v1/pods', {}, () => {}, (err) => errors.push(err));
    expect(controller).toBeInstanceOf(AbortController);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/No currently active cluster/);
  });
});
