// The informer's guards against a silent watch, on a fake inner informer and fake timers: the
// staleness check restarts a watch that heard nothing for watchStaleMs (and not one that hears
// bookmarks), and the relist repairs only what differs, leaving keys the watch touched meanwhile.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SupervisedInformer, type ListQuery } from '../../../src/kube/informer.js';
import { FakeInner as Inner } from '../helpers/fake-inner-informer.js';

const obj = (name: string, rv: string): KubernetesObject => ({ metadata: { name, namespace: 'default', resourceVersion: rv } });

function setup(opts: { watchStaleMs?: number; relistIntervalMs?: number }) {
  let inner!: Inner;
  let items = [obj('a', '1'), obj('b', '1')];
  let gate: Promise<void> | undefined;
  const calls: string[] = [];
  const queries: ListQuery[] = [];
  const informer = new SupervisedInformer<KubernetesObject>({
    name: 'things',
    path: '/api/v1/things',
    list: async (q): Promise<KubernetesListObject<KubernetesObject>> => {
      queries.push(q);
      const snapshot = items.map((o) => structuredClone(o));
      await gate;
      return { metadata: { resourceVersion: '10' }, items: snapshot };
    },
    factory: (args) => (inner = new Inner(args)),
    backoff: { baseMs: 100, maxMs: 100, jitter: 0 },
    relistIntervalMs: opts.relistIntervalMs ?? 0,
    ...(opts.watchStaleMs !== undefined ? { watchStaleMs: opts.watchStaleMs } : {}),
  });
  informer.onAdd((o) => calls.push(`add:${o.metadata?.name}@${o.metadata?.resourceVersion}`));
  informer.onUpdate((o) => calls.push(`update:${o.metadata?.name}@${o.metadata?.resourceVersion}`));
  informer.onDelete((o) => calls.push(`delete:${o.metadata?.name}`));
  return {
    informer,
    inner: () => inner,
    calls,
    queries,
    setItems: (next: KubernetesObject[]) => (items = next),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('informer liveness', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('restarts a watch that heard nothing for watchStaleMs, not one that hears bookmarks', async () => {
    const h = setup({ watchStaleMs: 1_000 });
    await h.informer.start();
    expect(h.inner().starts).toBe(1);
    // Bookmarks (watch activity) every 500 ms keep it alive.
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(500);
      h.inner().args.onWatchActivity?.(undefined);
    }
    expect(h.inner().stops).toBe(0);
    // Then silence: noticed after 1 s (checked every 200 ms), restarted after the 100 ms backoff.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.inner().starts).toBe(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(h.inner().stops).toBe(1);
    expect(h.inner().starts).toBe(2);
    await h.informer.stop();
  });

  it('with a custom factory the staleness check is off unless asked for', async () => {
    const h = setup({});
    await h.informer.start();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(h.inner().stops).toBe(0);
    await h.informer.stop();
  });

  it('a relist repairs adds, updates and deletes, and nothing when nothing differs', async () => {
    const h = setup({});
    await h.informer.start();
    h.calls.length = 0;
    await h.informer.relist();
    expect(h.calls).toEqual([]);
    h.setItems([obj('a', '2'), obj('c', '1')]);
    await h.informer.relist();
    expect(h.calls.sort()).toEqual(['add:c@1', 'delete:b', 'update:a@2']);
    await h.informer.stop();
  });

  it('a paged relist repairs only once every page arrived; a page that fails repairs nothing', async () => {
    let items = [obj('a', '1'), obj('b', '1'), obj('c', '1')];
    let failSecondPage = false;
    const calls: string[] = [];
    const informer = new SupervisedInformer<KubernetesObject>({
      name: 'paged',
      path: '/api/v1/things',
      pageSize: 2,
      list: (q): Promise<KubernetesListObject<KubernetesObject>> => {
        const from = q._continue ? Number(q._continue) : 0;
        if (from > 0 && failSecondPage) return Promise.reject(Object.assign(new Error('Gone'), { statusCode: 410 }));
        const page = items.slice(from, from + (q.limit ?? items.length)).map((o) => structuredClone(o));
        const next = from + page.length < items.length ? String(from + page.length) : undefined;
        return Promise.resolve({ metadata: { resourceVersion: '10', ...(next ? { _continue: next } : {}) }, items: page });
      },
      factory: (args) => new Inner(args),
      relistIntervalMs: 0,
    });
    informer.onAdd((o) => calls.push(`add:${o.metadata?.name}`));
    informer.onUpdate((o) => calls.push(`update:${o.metadata?.name}@${o.metadata?.resourceVersion}`));
    informer.onDelete((o) => calls.push(`delete:${o.metadata?.name}`));
    await informer.start();
    expect(informer.keys().sort()).toEqual(['default/a', 'default/b', 'default/c']);
    calls.length = 0;
    items = [obj('a', '2'), obj('c', '1'), obj('d', '1')];
    failSecondPage = true;
    await informer.relist();
    expect(calls).toEqual([]); // the first page differed (a@2, b gone) but the list did not complete
    expect(informer.get('default/a')?.metadata?.resourceVersion).toBe('1');
    failSecondPage = false;
    await informer.relist();
    expect(calls.sort()).toEqual(['add:d', 'delete:b', 'update:a@2']);
    expect(informer.keys().sort()).toEqual(['default/a', 'default/c', 'default/d']);
    await informer.stop();
  });

  it('asks the relist to be at least as new as the last resourceVersion seen (the list, then the watch stream)', async () => {
    const h = setup({});
    await h.informer.start();
    expect(h.queries).toEqual([{}]);
    await h.informer.relist();
    expect(h.queries[1]).toEqual({ resourceVersion: '10', resourceVersionMatch: 'NotOlderThan' });
    // An item of a list is older than the list: it does not move the mark back.
    h.inner().emit('update', obj('a', '3'));
    h.inner().args.onWatchActivity?.('12'); // a watch event or bookmark at 12
    await h.informer.relist();
    expect(h.queries[2]).toEqual({ resourceVersion: '12', resourceVersionMatch: 'NotOlderThan' });
    await h.informer.stop();
  });

  it('keys the watch touched while a relist was in flight are left as the watch has them', async () => {
    const h = setup({});
    await h.informer.start();
    h.calls.length = 0;
    h.setItems([obj('a', '1')]); // the list snapshot: b gone, a unchanged
    const release = h.hold();
    const relist = h.informer.relist();
    // Meanwhile the watch brings newer news: a updated to 3, b updated to 2 (it still exists).
    h.inner().emit('update', obj('a', '3'));
    h.inner().emit('update', obj('b', '2'));
    release();
    await relist;
    expect(h.informer.get('default/a')?.metadata?.resourceVersion).toBe('3');
    expect(h.informer.get('default/b')?.metadata?.resourceVersion).toBe('2');
    expect(h.calls).toEqual(['update:a@3', 'update:b@2']);
    await h.informer.stop();
  });

  it('runs the relist every relistIntervalMs', async () => {
    const h = setup({ relistIntervalMs: 10_000 });
    await h.informer.start();
    h.setItems([obj('a', '1'), obj('b', '1'), obj('d', '1')]);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.informer.get('default/d')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(h.informer.get('default/d')).toBeDefined();
    await h.informer.stop();
  });
});
