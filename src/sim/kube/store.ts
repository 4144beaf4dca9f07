// In-memory storage: one global, monotonically increasing resourceVersion; per resource a map of
// entries (each object serialized once per version), indexes, a bounded watch history and the
// live watchers. Pure data structure: no HTTP, no semantics beyond versions and events.
import { gone } from './errors.js';
import type { KubeObject } from './objects.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Entry {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly rv: number;
  /** The object as stored, serialized once; parse it to read. */
  readonly json: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, string>>;
  readonly ownerUids: readonly string[];
}

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly rv: number;
  readonly entry: Entry;
  /** The previous version, for MODIFIED (selector transitions become ADDED/DELETED per watcher). */
  readonly prev?: Entry;
}

export interface Subscriber {
  /** Called synchronously for every event of the store, in resourceVersion order. */
  onEvent(event: StoreEvent): void;
}

export type FieldExtractor = (obj: KubeObject) => Record<string, string>;

export function entryKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function parseEntry(entry: Entry): KubeObject {
  return JSON.parse(entry.json) as KubeObject;
}

export class ResourceStore {
  private readonly entries = new Map<string, Entry>();
  private sortedKeys: string[] | undefined;
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly byField = new Map<string, Map<string, Set<string>>>();
  private history: StoreEvent[] = [];
  /** Events with rv <= this are no longer in history: watching from an older rv gets 410. */
  private evictedThroughRv = 0;
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    readonly storageKey: string,
    private readonly storage: Storage,
    private readonly fieldsOf: FieldExtractor,
    private readonly indexedFields: readonly string[],
    private readonly historySize: number,
  ) {
    for (const f of indexedFields) this.byField.set(f, new Map());
    // Nothing before this store existed is in its history: older resourceVersions get 410.
    this.evictedThroughRv = storage.currentRv;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Stores a new version of an object (create or update), assigning the next resourceVersion. */
  put(obj: KubeObject): Entry {
    const rv = this.storage.nextRv();
    obj.metadata.resourceVersion = String(rv);
    const entry = this.makeEntry(obj, rv);
    const prev = this.entries.get(entry.key);
    this.entries.set(entry.key, entry);
    if (prev) this.unindex(prev);
    else this.sortedKeys = undefined;
    this.index(entry);
    this.emit({ type: prev ? 'MODIFIED' : 'ADDED', rv, entry, ...(prev ? { prev } : {}) });
    return entry;
  }

  /** Removes an object; the DELETED event carries its last state with the deletion's resourceVersion. */
  remove(key: string): Entry | undefined {
    const prev = this.entries.get(key);
    if (!prev) return undefined;
    const rv = this.storage.nextRv();
    const obj = parseEntry(prev);
    obj.metadata.resourceVersion = String(rv);
    const entry = this.makeEntry(obj, rv);
    this.entries.delete(key);
    this.sortedKeys = undefined;
    this.unindex(prev);
    this.emit({ type: 'DELETED', rv, entry });
    return entry;
  }

  /** Entries sorted by key, narrowed by namespace and indexed field equalities when possible. */
  list(namespace?: string, fieldEqualities?: ReadonlyMap<string, string>): Entry[] {
    let candidates: Set<string> | undefined;
    const narrow = (keys: Set<string> | undefined): void => {
      const set = keys ?? new Set<string>();
      if (!candidates) candidates = set;
      else candidates = new Set([...candidates].filter((k) => set.has(k)));
    };
    if (namespace) narrow(this.byNamespace.get(namespace));
    for (const [field, value] of fieldEqualities ?? []) {
      const idx = this.byField.get(field);
      if (idx) narrow(idx.get(value));
    }
    if (candidates) {
      return [...candidates]
        .sort()
        .map((k) => this.entries.get(k))
        .filter((e): e is Entry => e !== undefined);
    }
    if (!this.sortedKeys) this.sortedKeys = [...this.entries.keys()].sort();
    const out: Entry[] = new Array<Entry>(this.sortedKeys.length);
    let n = 0;
    for (const k of this.sortedKeys) {
      const e = this.entries.get(k);
      if (e) out[n++] = e;
    }
    out.length = n;
    return out;
  }

  /** Events after `rv`, or 410 Gone when history no longer reaches back that far. */
  since(rv: number): StoreEvent[] {
    if (rv < this.evictedThroughRv) {
      throw gone(`too old resource version: ${rv} (${this.evictedThroughRv + 1})`);
    }
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.history[mid] as StoreEvent).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  subscribe(sub: Subscriber): () => void {
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }

  /** Drops every subscriber (server shutdown, CRD removal). */
  clearSubscribers(): void {
    this.subscribers.clear();
  }

  private makeEntry(obj: KubeObject, rv: number): Entry {
    const m = obj.metadata;
    return {
      key: entryKey(m.namespace, m.name ?? ''),
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      uid: m.uid ?? '',
      rv,
      json: JSON.stringify(obj),
      labels: m.labels ?? {},
      fields: this.fieldsOf(obj),
      ownerUids: (m.ownerReferences ?? []).map((r) => r.uid),
    };
  }

  private index(e: Entry): void {
    if (e.namespace) addTo(this.byNamespace, e.namespace, e.key);
    for (const [field, idx] of this.byField) addTo(idx, e.fields[field] ?? '', e.key);
    for (const uid of e.ownerUids) addTo(this.storage.dependents, uid, `${this.storageKey}\u0000${e.key}`);
    if (e.uid) this.storage.uids.set(e.uid, `${this.storageKey}\u0000${e.key}`);
  }

  private unindex(e: Entry): void {
    if (e.namespace) removeFrom(this.byNamespace, e.namespace, e.key);
    for (const [field, idx] of this.byField) removeFrom(idx, e.fields[field] ?? '', e.key);
    for (const uid of e.ownerUids) removeFrom(this.storage.dependents, uid, `${this.storageKey}\u0000${e.key}`);
    if (e.uid && this.storage.uids.get(e.uid) === `${this.storageKey}\u0000${e.key}`) this.storage.uids.delete(e.uid);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize + Math.max(16, this.historySize >> 2)) {
      const drop = this.history.length - this.historySize;
      this.evictedThroughRv = (this.history[drop - 1] as StoreEvent).rv;
      this.history = this.history.slice(drop);
    }
    for (const s of this.subscribers) s.onEvent(event);
  }
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

/** All stores plus the global resourceVersion and the owner→dependents index used by garbage collection. */
export class Storage {
  private rv: number;
  readonly dependents = new Map<string, Set<string>>();
  /** uid → `storageKey\0key` of every stored object, to tell whether an owner still exists. */
  readonly uids = new Map<string, string>();
  private readonly stores = new Map<string, ResourceStore>();

  constructor(
    readonly historySize: number,
    startRv = 1,
  ) {
    this.rv = startRv;
  }

  get currentRv(): number {
    return this.rv;
  }

  nextRv(): number {
    return ++this.rv;
  }

  store(storageKey: string, fieldsOf: FieldExtractor, indexedFields: readonly string[] = []): ResourceStore {
    let s = this.stores.get(storageKey);
    if (!s) {
      s = new ResourceStore(storageKey, this, fieldsOf, indexedFields, this.historySize);
      this.stores.set(storageKey, s);
    }
    return s;
  }

  existing(storageKey: string): ResourceStore | undefined {
    return this.stores.get(storageKey);
  }

  drop(storageKey: string): void {
    this.stores.get(storageKey)?.clearSubscribers();
    this.stores.delete(storageKey);
  }

  /** `storageKey\0key` references of objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): string[] {
    return [...(this.dependents.get(uid) ?? [])];
  }

  allStores(): ResourceStore[] {
    return [...this.stores.values()];
  }
}
