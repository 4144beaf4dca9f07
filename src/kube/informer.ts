// Supervised informers: client-node's list+watch cache, kept alive.
//
// client-node 1.4's ListWatch relists on 410 Gone by itself, but after any other error (a failed
// list, a refused watch, a 500) it emits `error` and stops for good; and a handler that throws
// inside its list path becomes an unhandled rejection. This wrapper restarts it with exponential
// backoff after every error, restarts it when its watch keeps ending at once (a hot reconnect loop),
// runs every handler inside try/catch, reports a watch that cannot even start through `done`
// (ReportingWatch) rather than as an unhandled rejection, and keeps its own cache with secondary
// indexes.
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
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { counter, gauge, type Registry } from '../observability/metrics.js';
import { backoffDelay } from './backoff.js';

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
}
export type InnerInformerFactory<T extends KubernetesObject> = (args: InnerInformerArgs<T>) => InnerInformer<T>;

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size and the continue token of a paged list (`pageSize`). */
  limit?: number;
  _continue?: string;
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
    // Objects only: ERROR and BOOKMARK events carry a Status or a bare resourceVersion.
    const cb = t
      ? (phase: string, apiObj: unknown, watchObj?: unknown): void =>
          callback(phase, phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? t(apiObj as never) : apiObj, watchObj)
      : callback;
    try {
      return await super.watch(path, queryParams, cb, done);
    } catch (err) {
      done(err);
      return new AbortController();
    }
  }
}

export function defaultInformerFactory<T extends KubernetesObject>(kc: KubeConfig): InnerInformerFactory<T> {
  return (args) => new ListWatch<T>(args.path, new ReportingWatch(kc, args.transform), args.list, false, args.labelSelector, args.fieldSelector);
}

export class SupervisedInformer<T extends KubernetesObject> {
  readonly name: string;
  private readonly cache = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
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
    this.inner = factory({
      path: opts.path,
      list: async () => {
        const result = await this.listAll(query);
        this.listSucceeded = true;
        return result;
      },
      ...query,
      ...(opts.transform ? { transform: opts.transform } : {}),
    });
    this.inner.on('add', (obj) => this.upsert(obj));
    this.inner.on('update', (obj) => this.upsert(obj));
    this.inner.on('delete', (obj) => this.remove(obj));
    this.inner.on('error', (err) => this.onInnerError(err, 'error'));
    this.inner.on('connect', () => this.onConnect());
    this.metrics = makeMetrics(opts.registry, opts.name);
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
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /** Objects whose indexer returned `value`. Throws for an index that was not configured. */
  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new Error(`informer ${this.name}: no index "${index}"`);
    const out: T[] = [];
    for (const k of idx.get(value) ?? []) {
      const o = this.cache.get(k);
      if (o) out.push(o);
    }
    return out;
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
    await this.runInner();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    try {
      await this.inner.stop();
    } catch (err) {
      this.log.debug({ err }, 'inner informer stop failed');
    }
  }

  /** One list (paged when `pageSize` is set), every item trimmed by `transform`. */
  private async listAll(query: ListQuery): Promise<KubernetesListObject<T>> {
    const { transform, pageSize } = this.opts;
    const trim = (items: T[]): T[] => (transform ? items.map(transform) : items);
    if (!pageSize) {
      const r = await this.opts.list(query);
      return transform ? { ...r, items: trim(r.items) } : r;
    }
    const items: T[] = [];
    let first: KubernetesListObject<T> | undefined;
    let token: string | undefined;
    do {
      const page = await this.opts.list({ ...query, limit: pageSize, ...(token ? { _continue: token } : {}) });
      first ??= page;
      for (const o of trim(page.items)) items.push(o);
      token = page.metadata?._continue || undefined;
    } while (token);
    // Every page of a paged list is one snapshot: the first page's resourceVersion is the list's.
    return { ...first, metadata: { ...(first.metadata?.resourceVersion ? { resourceVersion: first.metadata.resourceVersion } : {}) }, items };
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
      this.log.debug({ objects: this.cache.size }, 'informer synced');
      for (const w of this.syncWaiters.splice(0)) w();
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
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    this.reindex(key, old, obj);
    this.metrics.event(old ? 'update' : 'add');
    if (old) this.dispatch(this.updateHandlers, (h) => h(obj, old));
    else this.dispatch(this.addHandlers, (h) => h(obj));
  }

  private remove(obj: T): void {
    const key = objectKey(obj);
    const old = this.cache.get(key);
    this.cache.delete(key);
    this.reindex(key, old, undefined);
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

  private reindex(key: string, old: T | undefined, next: T | undefined): void {
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const idx = this.indexes.get(name)!;
      for (const v of old ? safeIndex(fn, old) : []) {
        const set = idx.get(v);
        set?.delete(key);
        if (set && set.size === 0) idx.delete(v);
      }
      for (const v of next ? safeIndex(fn, next) : []) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }
}

function safeIndex<T>(fn: (obj: T) => readonly string[], obj: T): readonly string[] {
  try {
    return fn(obj);
  } catch {
    return [];
  }
}

interface InformerMetrics {
  restart: (reason: string) => void;
  event: (type: string) => void;
  handlerError: () => void;
  synced: (v: number) => void;
}

function makeMetrics(registry: Registry | undefined, name: string): InformerMetrics {
  if (!registry) return { restart: () => {}, event: () => {}, handlerError: () => {}, synced: () => {} };
  const restarts = counter(registry, {
    name: 'vpcrc_informer_restarts_total',
    help: 'Informer restarts after an error, by reason',
    labelNames: ['informer', 'reason'],
  });
  const events = counter(registry, { name: 'vpcrc_informer_events_total', help: 'Objects added, updated, deleted', labelNames: ['informer', 'type'] });
  const handlerErrors = counter(registry, { name: 'vpcrc_informer_handler_errors_total', help: 'Handlers that threw', labelNames: ['informer'] });
  const synced = gauge(registry, { name: 'vpcrc_informer_synced', help: '1 once the first list is cached', labelNames: ['informer'] });
  synced.set({ informer: name }, 0);
  return {
    restart: (reason) => restarts.inc({ informer: name, reason }),
    event: (type) => events.inc({ informer: name, type }),
    handlerError: () => handlerErrors.inc({ informer: name }),
    synced: (v) => synced.set({ informer: name }, v),
  };
}
