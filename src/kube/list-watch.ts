// List then watch, without a cache of its own: the SupervisedInformer's default inner informer.
//
// client-node's ListWatch keeps every object in its own namespace → name map, next to the
// supervisor's cache of the same objects: at 100,000 pods that second map was ~2 MiB of heap for
// nothing. This one asks the supervisor's cache instead (`cached`), and otherwise behaves as
// ListWatch 1.x does: list, then watch from the list's resourceVersion; a list re-delivers every
// object, firing `add` for new ones, `update` for those whose resourceVersion changed (none for the
// same version) and `delete` (with the cached object) for those no longer listed; a watch that ends
// is re-established from the last resourceVersion seen, after a relist when it ended with 410 Gone
// (or an ERROR event); any other failure is reported on `error` and it stops.
import type { KubernetesListObject, KubernetesObject, Watch } from '@kubernetes/client-node';
import type { InnerInformer } from './informer.js';

type Verb = 'add' | 'update' | 'delete' | 'error' | 'connect';

export interface CacheFreeListWatchArgs<T extends KubernetesObject> {
  path: string;
  watch: Pick<Watch, 'watch'>;
  list: () => Promise<KubernetesListObject<T>>;
  /** The cached object with this one's namespace and name (the supervisor's cache). */
  cached: (obj: T) => T | undefined;
  /** Every cached object (for what a relist no longer lists). */
  cachedAll: () => Iterable<T>;
  labelSelector?: string;
  fieldSelector?: string;
}

function is410(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  return !!e && (e.statusCode === 410 || e.code === 410);
}

const nsName = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class CacheFreeListWatch<T extends KubernetesObject> implements InnerInformer<T> {
  private readonly cbs: Record<Verb, Array<(x: never) => void>> = { add: [], update: [], delete: [], error: [], connect: [] };
  private resourceVersion = '';
  private stopped = false;
  private request: AbortController | undefined;

  constructor(private readonly args: CacheFreeListWatchArgs<T>) {}

  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  on(verb: Verb, cb: (x: never) => void): void {
    this.cbs[verb].push(cb);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.done(null);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the interface's stop is async
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort();
  }

  private emit(verb: Verb, x?: unknown): void {
    for (const cb of this.cbs[verb].slice()) (cb as (x: unknown) => void)(x);
  }

  private abort(): void {
    this.request?.abort();
    this.request = undefined;
  }

  /** The watch ended (or is to begin): relist if needed, then watch again. */
  private async done(err: unknown): Promise<void> {
    this.abort();
    if (err && is410(err)) this.resourceVersion = '';
    else if (err) {
      this.emit('error', err);
      return;
    }
    if (this.stopped) return;
    this.emit('connect');
    if (!this.resourceVersion) {
      let list: KubernetesListObject<T>;
      try {
        list = await this.args.list();
      } catch (e) {
        this.emit('error', e);
        return;
      }
      this.applyList(list.items ?? []);
      this.resourceVersion = list.metadata?.resourceVersion ?? '';
    }
    const query: Record<string, string> = { resourceVersion: this.resourceVersion };
    if (this.args.labelSelector !== undefined) query.labelSelector = this.args.labelSelector;
    if (this.args.fieldSelector !== undefined) query.fieldSelector = this.args.fieldSelector;
    this.request = await this.args.watch.watch(this.args.path, query, (phase, obj) => this.onEvent(phase, obj as T), (e) => void this.done(e));
  }

  private applyList(items: readonly T[]): void {
    // Deletes first (as ListWatch does), then adds and updates.
    const listed = new Set<string>();
    for (const o of items) listed.add(nsName(o));
    const gone: T[] = [];
    for (const o of this.args.cachedAll()) if (!listed.has(nsName(o))) gone.push(o);
    listed.clear();
    for (const o of gone) this.emit('delete', o);
    for (const o of items) this.addOrUpdate(o);
  }

  private addOrUpdate(obj: T): void {
    const found = this.args.cached(obj);
    if (!found) this.emit('add', obj);
    else if (!sameVersion(found, obj)) this.emit('update', obj);
  }

  private onEvent(phase: string, obj: T): void {
    switch (phase) {
      case 'ERROR':
        // A Status (e.g. 410 Expired): relist when the watch ends (its resourceVersion is none).
        break;
      case 'ADDED':
      case 'MODIFIED':
        this.addOrUpdate(obj);
        break;
      case 'DELETED':
        if (this.args.cached(obj)) this.emit('delete', obj);
        break;
      default: // BOOKMARK: only its resourceVersion matters.
    }
    this.resourceVersion = obj?.metadata?.resourceVersion || '';
  }
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== null && rv === b.metadata?.resourceVersion;
}
