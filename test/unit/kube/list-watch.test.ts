// CacheFreeListWatch: ListWatch's add/update/delete semantics, read from a cache it does not own.
import { describe, expect, it } from 'vitest';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { CacheFreeListWatch } from '../../../src/kube/list-watch.js';

type Cb = (phase: string, obj: unknown) => void;
type Done = (err: unknown) => void;

const obj = (name: string, rv: string, ns = 'default'): KubernetesObject => ({ metadata: { name, namespace: ns, resourceVersion: rv } });

/** A cache fed by the events (as the supervisor keeps it) and a watch the test drives. */
function setup(lists: Array<KubernetesListObject<KubernetesObject> | Error>) {
  const cache = new Map<string, KubernetesObject>();
  const key = (o: KubernetesObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
  const events: string[] = [];
  const watches: Array<{ query: Record<string, unknown>; cb: Cb; done: Done }> = [];
  let listCalls = 0;
  const lw = new CacheFreeListWatch<KubernetesObject>({
    path: '/api/v1/pods',
    labelSelector: 'app=x',
    watch: {
      // eslint-disable-next-line @typescript-eslint/require-await -- a fake of an async method
      watch: async (_path: string, query: Record<string, unknown>, cb: Cb, done: Done) => {
        watches.push({ query, cb, done });
        return new AbortController();
      },
    },
    list: () => {
      const l = lists[Math.min(listCalls++, lists.length - 1)]!;
      return l instanceof Error ? Promise.reject(l) : Promise.resolve(l);
    },
    cached: (o) => cache.get(key(o)),
    cachedAll: () => cache.values(),
  });
  lw.on('add', (o) => (cache.set(key(o), o), events.push(`add ${key(o)}@${o.metadata?.resourceVersion}`)));
  lw.on('update', (o) => (cache.set(key(o), o), events.push(`update ${key(o)}@${o.metadata?.resourceVersion}`)));
  lw.on('delete', (o) => (cache.delete(key(o)), events.push(`delete ${key(o)}@${o.metadata?.resourceVersion}`)));
  lw.on('error', (e) => events.push(`error ${String((e as Error).message)}`));
  lw.on('connect', () => events.push('connect'));
  return { lw, events, watches, lists: () => listCalls };
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('CacheFreeListWatch', () => {
  it('lists, then watches from the list resourceVersion with the selector; events dedupe by resourceVersion', async () => {
    const t = setup([{ metadata: { resourceVersion: '10' }, items: [obj('a', '1'), obj('b', '2')] }]);
    await t.lw.start();
    expect(t.events).toEqual(['connect', 'add default/a@1', 'add default/b@2']);
    expect(t.watches[0]?.query).toEqual({ resourceVersion: '10', labelSelector: 'app=x' });
    const w = t.watches[0]!;
    w.cb('MODIFIED', obj('a', '1')); // same version: nothing
    w.cb('MODIFIED', obj('a', '3'));
    w.cb('ADDED', obj('c', '4'));
    w.cb('DELETED', obj('b', '5'));
    w.cb('DELETED', obj('zz', '6')); // never cached: nothing
    w.cb('BOOKMARK', { metadata: { resourceVersion: '7' } });
    expect(t.events.slice(3)).toEqual(['update default/a@3', 'add default/c@4', 'delete default/b@5']);
    // The watch ends normally: re-watched from the last resourceVersion, no list.
    w.done(null);
    await flush();
    expect(t.lists()).toBe(1);
    expect(t.watches[1]?.query).toEqual({ resourceVersion: '7', labelSelector: 'app=x' });
  });

  it('after 410 relists: deletes (with the cached object) what is gone, updates only changed versions', async () => {
    const t = setup([
      { metadata: { resourceVersion: '10' }, items: [obj('a', '1'), obj('b', '2'), obj('c', '3', 'other')] },
      { metadata: { resourceVersion: '20' }, items: [obj('a', '1'), obj('b', '12'), obj('d', '13')] },
    ]);
    await t.lw.start();
    t.events.length = 0;
    t.watches[0]!.done({ statusCode: 410 });
    await flush();
    expect(t.events).toEqual(['connect', 'delete other/c@3', 'update default/b@12', 'add default/d@13']);
    expect(t.watches[1]?.query.resourceVersion).toBe('20');
  });

  it('an ERROR event makes the next start a relist; any other failure is reported and stops', async () => {
    const t = setup([{ metadata: { resourceVersion: '10' }, items: [] }, new Error('list refused')]);
    await t.lw.start();
    t.watches[0]!.cb('ERROR', { kind: 'Status', code: 410 });
    t.watches[0]!.done(null);
    await flush();
    expect(t.lists()).toBe(2);
    expect(t.events.slice(-1)).toEqual(['error list refused']);
    expect(t.watches).toHaveLength(1);
    t.watches[0]!.done(new Error('boom'));
    expect(t.events.slice(-1)).toEqual(['error boom']);
  });

  it('does not watch again once stopped', async () => {
    const t = setup([{ metadata: { resourceVersion: '10' }, items: [] }]);
    await t.lw.start();
    await t.lw.stop();
    t.watches[0]!.done(null);
    await flush();
    expect(t.watches).toHaveLength(1);
  });
});
