 
import { describe, expect, it } from 'vitest';
import { KubeError } from '../../../src/sim/kube/errors.js';
import type { KubeObject } from '../../../src/sim/kube/objects.js';
import { Storage, parseEntry, type StoreEvent } from '../../../src/sim/kube/store.js';
import { translate } from '../../../src/sim/kube/watch.js';

const obj = (name: string, labels: Record<string, string> = {}, nodeName = ''): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels },
  spec: { nodeName },
});

function podStore(history = 100) {
  const storage = new Storage(history, 1000);
  const store = storage.store('/pods', (o) => ({ 'spec.nodeName': typeof o.spec?.nodeName === 'string' ? o.spec.nodeName : '' }), ['spec.nodeName']);
  return { storage, store };
}

describe('ResourceStore', () => {
  it('assigns increasing global resourceVersions and serializes each version once', () => {
    const { storage, store } = podStore();
    const a = store.put(obj('a'));
    const b = store.put(obj('b'));
    expect(a.rv).toBe(1001);
    expect(b.rv).toBe(1002);
    expect(storage.currentRv).toBe(1002);
    expect(parseEntry(a).metadata.resourceVersion).toBe('1001');
  });

  it('lists sorted by key and narrows by namespace and indexed fields', () => {
    const { store } = podStore();
    store.put(obj('c', {}, 'n1'));
    store.put(obj('a', {}, 'n2'));
    store.put(obj('b', {}, 'n1'));
    expect(store.list().map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(store.list('ns', new Map([['spec.nodeName', 'n1']])).map((e) => e.name)).toEqual(['b', 'c']);
    expect(store.list('other')).toEqual([]);
    store.put(obj('b', {}, 'n2'));
    expect(store.list(undefined, new Map([['spec.nodeName', 'n1']])).map((e) => e.name)).toEqual(['c']);
  });

  it('replays history after a resourceVersion and answers 410 once it was evicted', () => {
    const { storage, store } = podStore(20);
    const first = store.put(obj('a'));
    for (let i = 0; i < 60; i++) store.put(obj(`p${i}`));
    expect(() => store.since(first.rv)).toThrow(KubeError);
    try {
      store.since(first.rv);
    } catch (err) {
      expect((err as KubeError).code).toBe(410);
    }
    const recent = storage.currentRv;
    expect(store.since(recent - 3).map((e) => e.rv)).toEqual([recent - 2, recent - 1, recent]);
  });

  it('emits DELETED with the deletion resourceVersion and tracks owners', () => {
    const { storage, store } = podStore();
    const events: StoreEvent[] = [];
    store.subscribe({ onEvent: (e) => events.push(e) });
    const owned = obj('dep');
    owned.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'a', uid: 'owner-uid' }];
    store.put(owned);
    expect(storage.dependentsOf('owner-uid')).toEqual(['/pods\u0000ns/dep']);
    const removed = store.remove('ns/dep')!;
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    expect(parseEntry(removed).metadata.resourceVersion).toBe(String(removed.rv));
    expect(storage.dependentsOf('owner-uid')).toEqual([]);
  });
});

describe('watch event translation for filtered watchers', () => {
  it('turns entering and leaving a selector into ADDED and DELETED', () => {
    const { store } = podStore();
    const events: StoreEvent[] = [];
    store.subscribe({ onEvent: (e) => events.push(e) });
    store.put(obj('a', { x: '1' }));
    store.put(obj('a', { x: '2' }));
    store.put(obj('a', { x: '1' }));
    store.put(obj('a', { x: '1', y: '1' }));
    const matches = (e: { labels: Readonly<Record<string, string>> }) => e.labels.x === '1';
    const seen = events.map((e) => translate(e, matches));
    expect(seen.map((s) => s?.type)).toEqual(['ADDED', 'DELETED', 'ADDED', 'MODIFIED']);
    const deleted = seen[1]!;
    expect(parseEntry(deleted.entry).metadata.labels).toEqual({ x: '1' });
    expect(deleted.entry.rv).toBe(events[1]!.rv);
  });
});
