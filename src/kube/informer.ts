// Supervised informers: list+watch with a cache, kept alive.
//
// The inner list+watch (CacheFreeListWatch, list-watch.ts) behaves as client-node 1.4's ListWatch
// but reads this cache instead of keeping a second map of the same objects. ListWatch relists on 410 Gone by itself, but after any other error (a failed
// list, a refused watch, a 500) it emits `error` and stops for good; and a handler that throws
// inside its list path becomes an unhandled rejection. This wrapper restarts it with exponential
// backoff after every error, restarts it when its watch keeps ending at once (a hot reconnect loop),
// runs every handler inside try/catch, reports a watch that cannot even start through `done`
// (ReportingWatch) rather than as an unhandled rejection, and keeps its own cache with secondary
// indexes.
//
// A watch can also go silent without any error (a half-open TCP connection: the server's writes
// never arrive, the client never hears the end). The watch asks for bookmarks (kube-apiserver
// sends one about every minute), so a watch that delivers nothing at all for `watchStaleMs` is
// restarted from its last resourceVersion; and a periodic relist (`relistIntervalMs`), at least as
// new as the last resourceVersion seen (cheap: kube-apiserver serves it from its watch cache),
// repairs the cache where it differs by resourceVersion, calling handlers only for those objects.
//
//   const pods = new SupervisedInformer<V1Pod>({
//     name: 'pods', kc, path: '/api/v1/pods', fieldSelector: 'spec.nodeName!=',
//     list: (q) => kube.core.listPodForAllNamespaces(q),
//     indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
//     registry, logger,
//   });
//   pods.onAdd((p) => queue.add(objectKey(p)));           // handlers only enqueue keys
//   pods.onUpdate((p, old) => queue.add(objectKey(p)));
//   pods.onDelete((p) => queue.add(objectKey(p)));
//   await pods.start(); await pods.waitForSync();
//   pods.get('ns/name'); pods.list(); pods.byIndex('byNode', 'ip-10-0-0-1');
//
// Keys are `namespace/name` for namespaced objects and `name` for cluster-scoped ones.
import { Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics.js';
import { backoffDelay } from './backoff.js';
import { makeInformerMetrics, type InformerMetrics } from './informer-metrics.js';
import { CacheFreeListWatch } from './list-watch.js';

export type ObjectHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (obj: T, old: T | undefined) => void;

/** The part of client-node's informer the supervisor drives; a fake implements it in unit tests. */
export interface InnerInformer<T extends KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface InnerInformerArgs<T extends KubernetesObject> {
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Applied to every watched object before the inner cache stores it (list items come transformed). */
  transform?: (obj: T) => T;
  /** Called for everything the watch delivers, bookmarks included (the staleness check's clock), with its resourceVersion. */
  onWatchActivity?: (resourceVersion: string | undefined) => void;
  /** The supervisor's cached object with this one's namespace and name: the inner informer need not keep its own. */
  cached?: (obj: T) => T | undefined;
  /** Every object in the supervisor's cache. */
  cachedAll?: () => Iterable<T>;
}
export type InnerInformerFactory<T extends KubernetesObject> = (args: InnerInformerArgs<T>) => InnerInformer<T>;

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size and the continue token of a paged list (`pageSize`). */
  limit?: number;
  _continue?: string;
  /** The periodic relist's: at least as new as this (served from the API server's watch cache). */
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface SupervisedInformerOptions<T extends KubernetesObject> {
  /** Short name for logs and metrics, e.g. 'pods'. */
  name: string;
  /** Watch path, e.g. '/api/v1/pods' or '/apis/vpcresources.k8s.aws/v1alpha1/cninodes'. */
  path: string;
  /** The list call for the same resource; receives the selectors. */
  list: (q: ListQuery) => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Required unless `factory` is given. */
  kc?: KubeConfig;
  /** Builds the inner informer; default client-node's ListWatch. */
  factory?: InnerInformerFactory<T>;
  /**
   * Trims an object before it is cached (list items and watch events): keep only what the
   * controller reads. Must keep metadata.name, namespace and resourceVersion.
   */
  transform?: (obj: T) => T;
  /**
   * List in pages of this many objects (limit/continue), each page trimmed before the next is
   * fetched, so the first list of a large cluster never holds every full object at once. A page
   * answered 410 (continue token expired) fails the whole list: a partial list is never cached.
   * Default: one unpaged list.
   */
  pageSize?: number;
  /** Secondary indexes: name → function returning the index values of an object. */
  indexers?: Record<string, (obj: T) => readonly string[]>;
  /** Restart backoff; default 1 s doubling to 60 s, 20 % jitter. */
  backoff?: { baseMs?: number; maxMs?: number; jitter?: number };
  /**
   * A watch that delivers nothing (no event, no bookmark) this long is restarted from its last
   * resourceVersion. Default 150 s with client-node's watch (which asks for bookmarks: about one a
   * minute from kube-apiserver); with a custom `factory` off unless given. 0 = off.
   */
  watchStaleMs?: number;
  /**
   * Every this long, list (a consistent read) and repair the cache where it differs from the list
   * by resourceVersion: what a watch missed is added, updated or deleted, with handlers called only
   * for those objects. Default 300 s; 0 = off.
   */
  relistIntervalMs?: number;
  /** A run without errors this long resets the backoff. Default 60 s. */
  healthyAfterMs?: number;
  /** More than this many (re)connects within `hotLoopWindowMs` counts as an error. Default 10 in 10 s. */
  hotLoopConnects?: number;
  hotLoopWindowMs?: number;
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Split a key made by `objectKey`. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * client-node's Watch rejects (instead of calling `done`) when it cannot even start a request, e.g.
 * "No currently active cluster" or a failing exec credential plugin. ListWatch re-watches from a
 * `done` callback without awaiting, so that rejection would be unhandled and crash the process.
 * This Watch reports such failures through `done`, where the supervisor sees them as errors.
 */
export class ReportingWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly transform?: (obj: never) => unknown,
    private readonly onActivity?: (resourceVersion: string | undefined) => void,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const t = this.transform;
    const seen = this.onActivity;
    // Objects only: ERROR and BOOKMARK events carry a Status or a bare resourceVersion.
    const cb = (phase: string, apiObj: unknown, watchObj?: unknown): void => {
      seen?.(phase === 'ERROR' ? undefined : (apiObj as KubernetesObject | undefined)?.metadata?.resourceVersion);
      callback(phase, t && (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') ? t(apiObj as never) : apiObj, watchObj);
    };
    try {
      // Bookmarks keep a quiet watch audibly alive (and its resourceVersion fresh): without them a
      // silent watch cannot be told from a dead one.
      return await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, cb, done);
    } catch (err) {
      done(err);
      return new AbortController();
    }
  }
}

export function defaultInformerFactory<T extends KubernetesObject>(kc: KubeConfig): InnerInformerFactory<T> {
  return (args) => {
    if (!args.cached || !args.cachedAll) throw new Error('the default inner informer reads the supervisor cache: cached and cachedAll are required');
    return new CacheFreeListWatch<T>({
      path: args.path,
      watch: new ReportingWatch(kc, args.transform, args.onWatchActivity),
      list: args.list,
      cached: args.cached,
      cachedAll: args.cachedAll,
      ...(args.labelSelector !== undefined ? { labelSelector: args.labelSelector } : {}),
      ...(args.fieldSelector !== undefined ? { fieldSelector: args.fieldSelector } : {}),
    });
  };
}

export class SupervisedInformer<T extends KubernetesObject> {
  readonly name: string;
  /**
   * namespace ('' for cluster-scoped) → name → object. Not one map keyed `namespace/name`: the key
   * strings (a fresh one per object) cost ~64 bytes an object, 6 MiB at 100,000 pods; names and
   * namespaces are the objects' own strings.
   */
  private readonly cache = new Map<string, Map<string, T>>();
  private size = 0;
  /**
   * index name → value → the objects with that value: a bare object while there is only one (a UID
   * index has one object per value: a Set for each would cost ~150 bytes an object), a Set from the
   * second on. Objects, not keys, for the same reason as the cache.
   */
  private readonly indexes = new Map<string, Map<string, T | Set<T>>>();
  private readonly addHandlers: ObjectHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: ObjectHandler<T>[] = [];
  private readonly syncWaiters: Array<() => void> = [];
  private readonly inner: InnerInformer<T>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly metrics: InformerMetrics;
  private synced = false;
  private listSucceeded = false;
  private stopped = true;
  private starting = false;
  private failures = 0;
  private lastStart = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private connects: number[] = [];
  private readonly query: ListQuery;
  private readonly watchStaleMs: number;
  private lastActivity = 0;
  /** The newest resourceVersion the list or the watch delivered (the relist asks for at least this). */
  private lastRv: string | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  /** While a relist runs: keys the watch touched meanwhile (newer than the list, left alone). */
  private touchedDuringRelist: Set<string> | undefined;

  constructor(private readonly opts: SupervisedInformerOptions<T>) {
    this.name = opts.name;
    this.log = (opts.logger ?? silentLogger()).child({ informer: opts.name });
    this.now = opts.now ?? Date.now;
    for (const idx of Object.keys(opts.indexers ?? {})) this.indexes.set(idx, new Map());
    const factory = opts.factory ?? (opts.kc ? defaultInformerFactory<T>(opts.kc) : undefined);
    if (!factory) throw new Error(`informer ${opts.name}: either kc or factory is required`);
    const query: ListQuery = {
      ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
      ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
    };
    this.query = query;
    this.watchStaleMs = opts.watchStaleMs ?? (opts.factory ? 0 : 150_000);
    this.inner = factory({
      path: opts.path,
      list: async () => {
        const result = await this.listAll(query);
        this.listSucceeded = true;
        this.lastRv = result.metadata?.resourceVersion || this.lastRv;
        return result;
      },
      ...query,
      ...(opts.transform ? { transform: opts.transform } : {}),
      onWatchActivity: (rv) => {
        this.heard();
        if (rv) this.lastRv = rv;
      },
      cached: (obj) => this.cached(obj),
      cachedAll: () => this.objects(),
    });
    this.inner.on('add', (obj) => this.upsert(this.fromWatch(obj)));
    this.inner.on('update', (obj) => this.upsert(this.fromWatch(obj)));
    this.inner.on('delete', (obj) => this.remove(this.fromWatch(obj)));
    this.inner.on('error', (err) => this.onInnerError(err, 'error'));
    this.inner.on('connect', () => {
      this.heard();
      this.onConnect();
    });
    this.metrics = makeInformerMetrics(opts.registry, opts.name);
  }

  onAdd(h: ObjectHandler<T>): void {
    this.addHandlers.push(h);
  }
  onUpdate(h: UpdateHandler<T>): void {
    this.updateHandlers.push(h);
  }
  onDelete(h: ObjectHandler<T>): void {
    this.deleteHandlers.push(h);
  }

  get(key: string): T | undefined {
    const { namespace, name } = splitKey(key);
    return this.cache.get(namespace ?? '')?.get(name);
  }

  list(): T[] {
    return [...this.objects()];
  }

  keys(): string[] {
    const out: string[] = [];
    for (const [ns, byName] of this.cache) for (const name of byName.keys()) out.push(ns ? `${ns}/${name}` : name);
    return out;
  }

  private *objects(): IterableIterator<T> {
    for (const byName of this.cache.values()) yield* byName.values();
  }

  private cached(obj: T): T | undefined {
    return this.cache.get(obj.metadata?.namespace ?? '')?.get(obj.metadata?.name ?? '');
  }

  /** Objects whose indexer returned `value`. Throws for an index that was not configured. */
  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new Error(`informer ${this.name}: no index "${index}"`);
    const objs = idx.get(value);
    if (objs === undefined) return [];
    return objs instanceof Set ? [...objs] : [objs];
  }

  /** True once a first list has landed in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when synced; rejects after `timeoutMs` if given. */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.syncWaiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const i = this.syncWaiters.indexOf(waiter);
          if (i >= 0) this.syncWaiters.splice(i, 1);
          reject(new Error(`informer ${this.name} did not sync within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** Start list+watch. Resolves after the first attempt (success or scheduled retry); never rejects. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.heard();
    if (this.watchStaleMs > 0) {
      // Look a few times per interval, so a silent watch is restarted within about 1.2 × watchStaleMs.
      this.staleTimer = setInterval(() => this.checkStale(), Math.max(10, Math.floor(this.watchStaleMs / 5)));
      this.staleTimer.unref?.();
    }
    const relistMs = this.opts.relistIntervalMs ?? 300_000;
    if (relistMs > 0) {
      this.relistTimer = setInterval(() => void this.relist(), relistMs);
      this.relistTimer.unref?.();
    }
    await this.runInner();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    clearInterval(this.staleTimer);
    clearInterval(this.relistTimer);
    this.staleTimer = this.relistTimer = undefined;
    try {
      await this.inner.stop();
    } catch (err) {
      this.log.debug({ err }, 'inner informer stop failed');
    }
  }

  /** One list (paged when `pageSize` is set), every item trimmed by `transform`. */
  private async listAll(query: ListQuery): Promise<KubernetesListObject<T>> {
    const items: T[] = [];
    const first = await this.listPages(query, (page) => {
      for (const o of page) items.push(o);
    });
    return { ...first, items };
  }

  /**
   * Lists page by page (one page when `pageSize` is unset), handing each page's trimmed items to
   * `onPage` before the next is fetched; resolves with the list's metadata (the first page's
   * resourceVersion: every page of a paged list is one snapshot).
   */
  private async listPages(query: ListQuery, onPage: (items: T[]) => void): Promise<Omit<KubernetesListObject<T>, 'items'>> {
    const { transform, pageSize } = this.opts;
    const trim = (items: T[]): T[] => (transform ? items.map(transform) : items);
    if (!pageSize) {
      const { items, ...rest } = await this.opts.list(query);
      onPage(trim(items));
      return rest;
    }
    let first: KubernetesListObject<T> | undefined;
    let token: string | undefined;
    // A continued page carries no resourceVersion (the API server refuses both): the token pins the snapshot.
    const { resourceVersion: _rv, resourceVersionMatch: _m, ...continued } = query;
    do {
      const page = await this.opts.list(token ? { ...continued, limit: pageSize, _continue: token } : { ...query, limit: pageSize });
      first ??= page;
      onPage(trim(page.items));
      token = page.metadata?._continue || undefined;
    } while (token);
    const { items: _items, ...rest } = first;
    return { ...rest, metadata: { ...(first.metadata?.resourceVersion ? { resourceVersion: first.metadata.resourceVersion } : {}) } };
  }

  private async runInner(): Promise<void> {
    if (this.stopped) return;
    this.starting = true;
    this.lastStart = this.now();
    try {
      await this.inner.start();
    } catch (err) {
      // ListWatch reports most failures via 'error', but a rejected start (e.g. no cluster) ends here.
      this.onInnerError(err, 'start');
    } finally {
      this.starting = false;
    }
    if (this.listSucceeded && !this.synced) {
      this.synced = true;
      this.metrics.synced(1);
      this.log.debug({ objects: this.size }, 'informer synced');
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** The watch (or its list) delivered something: it is alive. */
  private heard(): void {
    this.lastActivity = this.now();
  }

  private fromWatch(obj: T): T {
    // Not lastRv: an initial list's items come through here with versions older than the list's.
    this.heard();
    this.touchedDuringRelist?.add(objectKey(obj));
    return obj;
  }

  private checkStale(): void {
    if (this.stopped || this.restartTimer || this.starting || !this.synced) return;
    const silentMs = this.now() - this.lastActivity;
    if (silentMs <= this.watchStaleMs) return;
    this.heard();
    // Nothing arrived, not even a bookmark: the connection is presumed dead (half-open). Restart
    // from the last resourceVersion, as after any watch error.
    this.onInnerError(new Error(`watch delivered nothing for ${silentMs} ms (expected a bookmark at least every ${this.watchStaleMs} ms)`), 'stale');
    void this.inner.stop().catch(() => undefined);
  }

  /**
   * Compare a fresh list with the cache and repair the differences. The list is asked to be at least
   * as new as the last resourceVersion seen (resourceVersionMatch=NotOlderThan: kube-apiserver
   * answers from its watch cache, no etcd read), so it is as new as every event cached before it
   * started; keys the watch touched while it ran are newer than the list and left alone.
   */
  async relist(): Promise<void> {
    if (this.stopped || !this.synced || this.touchedDuringRelist) return;
    const touched = (this.touchedDuringRelist = new Set<string>());
    const atLeast = this.lastRv ? { resourceVersion: this.lastRv, resourceVersionMatch: 'NotOlderThan' } : {};
    try {
      // Compared page by page and only differences kept: the relist never holds a second copy of the
      // whole cache (at 100,000 pods that copy was tens of MiB of heap every relist interval). Repairs
      // wait until the whole list arrived: a list that fails half-way repairs nothing.
      const listed = new Set<string>();
      const differ: T[] = [];
      await this.listPages({ ...this.query, ...atLeast }, (items) => {
        for (const obj of items) {
          listed.add(objectKey(obj));
          const cached = this.cached(obj);
          if (!cached || cached.metadata?.resourceVersion !== obj.metadata?.resourceVersion) differ.push(obj);
        }
      });
      if (this.stopped) return;
      for (const obj of differ) {
        const key = objectKey(obj);
        if (touched.has(key)) continue;
        const cached = this.cached(obj);
        if (cached && cached.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
        this.metrics.repair(cached ? 'update' : 'add');
        this.upsert(obj);
      }
      const gone: T[] = [];
      for (const obj of this.objects()) {
        const key = objectKey(obj);
        if (!listed.has(key) && !touched.has(key)) gone.push(obj);
      }
      for (const obj of gone) {
        this.metrics.repair('delete');
        this.remove(obj);
      }
      this.metrics.relist('ok');
    } catch (err) {
      this.metrics.relist('error');
      this.log.warn({ err }, 'periodic relist failed; the watch goes on, the next relist tries again');
    } finally {
      this.touchedDuringRelist = undefined;
    }
  }

  private onConnect(): void {
    const now = this.now();
    const window = this.opts.hotLoopWindowMs ?? 10_000;
    this.connects = this.connects.filter((t) => now - t < window);
    this.connects.push(now);
    if (this.connects.length > (this.opts.hotLoopConnects ?? 10)) {
      this.connects = [];
      // The watch keeps ending at once: stop it and come back after a backoff instead of spinning.
      this.onInnerError(new Error('watch ended repeatedly right after connecting'), 'hot-loop');
      void this.inner.stop().catch(() => undefined);
    }
  }

  private onInnerError(err: unknown, reason: string): void {
    if (this.stopped || this.restartTimer) return;
    const healthyAfter = this.opts.healthyAfterMs ?? 60_000;
    if (!this.starting && this.now() - this.lastStart >= healthyAfter) this.failures = 0;
    this.failures++;
    const b = this.opts.backoff ?? {};
    const delay = backoffDelay(this.failures, { baseMs: b.baseMs ?? 1_000, maxMs: b.maxMs ?? 60_000, jitter: b.jitter ?? 0.2 });
    this.metrics.restart(reason);
    this.log.warn({ err, reason, failures: this.failures, delayMs: delay }, 'informer failed; restarting after backoff');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.runInner();
    }, delay);
    this.restartTimer.unref?.();
  }

  private upsert(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    let byName = this.cache.get(ns);
    if (!byName) this.cache.set(ns, (byName = new Map<string, T>()));
    const name = obj.metadata?.name ?? '';
    const old = byName.get(name);
    byName.set(name, obj);
    if (!old) this.size++;
    this.reindex(old, obj);
    this.metrics.event(old ? 'update' : 'add');
    if (old) this.dispatch(this.updateHandlers, (h) => h(obj, old));
    else this.dispatch(this.addHandlers, (h) => h(obj));
  }

  private remove(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const byName = this.cache.get(ns);
    const name = obj.metadata?.name ?? '';
    const old = byName?.get(name);
    if (old && byName) {
      byName.delete(name);
      this.size--;
      if (byName.size === 0) this.cache.delete(ns);
    }
    this.reindex(old, undefined);
    this.metrics.event('delete');
    this.dispatch(this.deleteHandlers, (h) => h(old ?? obj));
  }

  private dispatch<H>(handlers: H[], call: (h: H) => void): void {
    for (const h of handlers) {
      try {
        call(h);
      } catch (err) {
        this.metrics.handlerError();
        this.log.error({ err }, 'informer handler threw; handlers should only enqueue keys');
      }
    }
  }

  private reindex(old: T | undefined, next: T | undefined): void {
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const idx = this.indexes.get(name)!;
      if (old) for (const v of safeIndex(fn, old)) unindex(idx, v, old);
      if (next) for (const v of safeIndex(fn, next)) index(idx, v, next);
    }
  }
}

function unindex<T>(idx: Map<string, T | Set<T>>, v: string, obj: T): void {
  const objs = idx.get(v);
  if (objs === obj) idx.delete(v);
  else if (objs instanceof Set) {
    objs.delete(obj);
    if (objs.size === 1) idx.set(v, objs.values().next().value as T);
    else if (objs.size === 0) idx.delete(v);
  }
}

function index<T>(idx: Map<string, T | Set<T>>, v: string, obj: T): void {
  const objs = idx.get(v);
  if (objs === undefined) idx.set(v, obj);
  else if (objs instanceof Set) objs.add(obj);
  else if (objs !== obj) idx.set(v, new Set([objs, obj]));
}

function safeIndex<T>(fn: (obj: T) => readonly string[], obj: T): readonly string[] {
  try {
    return fn(obj);
  } catch {
    return [];
  }
}
