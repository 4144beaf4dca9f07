// Background deletion, as kube-controller-manager does it: the garbage collector (dependents of
// vanished owners, Orphan and Foreground propagation) and namespace termination (empty a
// Terminating namespace, then remove it). Both act through the registry's own delete path.
import type { Logger } from 'pino';
import type { UserInfo } from './auth.js';
import { KubeError } from './errors.js';
import type { KubeObject } from './objects.js';
import type { ResourceDef } from './resources.js';
import type { Entry, ResourceStore, Storage } from './store.js';
import { parseEntry } from './store.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

const SYSTEM_USER: UserInfo = { username: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: ['system:serviceaccounts', 'system:authenticated'] };
const system = (): { user: UserInfo; warnings: string[] } => ({ user: SYSTEM_USER, warnings: [] });

/** An object whose deletion is complete: marked, no finalizers left, no grace period pending. */
export function readyToRemove(obj: KubeObject): boolean {
  const m = obj.metadata;
  return m.deletionTimestamp !== undefined && (m.finalizers ?? []).length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0;
}

/** What background deletion needs from the registry. */
export interface DeletionHost {
  readonly storage: Storage;
  allDefs(): readonly ResourceDef[];
  find(group: string, version: string, plural: string): ResourceDef | undefined;
  storeFor(def: ResourceDef): ResourceStore;
  delete(ctx: { user: UserInfo; warnings: string[] }, def: ResourceDef, namespace: string, name: string, opts: { propagationPolicy?: string }, internal: boolean): Promise<KubeObject>;
  /** Removes an object from storage now (after its deletion completed). */
  removeNow(def: ResourceDef, key: string): Entry | undefined;
}

export class GarbageCollector {
  private readonly queue: string[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly host: DeletionHost,
    private readonly logger: Logger,
  ) {}

  close(): void {
    this.closed = true;
  }

  /** Looks at the dependents of `uid` soon (its owner vanished, or is orphaning/foreground-deleting). */
  schedule(uid: string): void {
    if (!uid) return;
    this.queue.push(uid);
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private lookup(ref: string): { def: ResourceDef; entry: Entry } | undefined {
    const [storageKey, key] = ref.split('\u0000') as [string, string];
    const def = this.host.allDefs().find((d) => d.storageKey === storageKey && !d.view);
    const entry = this.host.storage.existing(storageKey)?.get(key);
    return def && entry ? { def, entry } : undefined;
  }

  private async run(): Promise<void> {
    const storage = this.host.storage;
    while (this.queue.length && !this.closed) {
      const uid = this.queue.shift() as string;
      const ownerRef = storage.uids.get(uid);
      const owner = ownerRef ? this.lookup(ownerRef) : undefined;
      const ownerObj = owner ? parseEntry(owner.entry) : undefined;
      const deleting = ownerObj?.metadata.deletionTimestamp !== undefined;
      const orphaning = deleting && (ownerObj?.metadata.finalizers ?? []).includes(ORPHAN_FINALIZER);
      const foreground = deleting && (ownerObj?.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
      if (ownerObj && !orphaning && !foreground) continue;
      for (const ref of storage.dependentsOf(uid)) {
        const dep = this.lookup(ref);
        if (!dep) continue;
        const obj = parseEntry(dep.entry);
        const alive = (obj.metadata.ownerReferences ?? []).filter((r) => storage.uids.has(r.uid) && !(orphaning && r.uid === uid));
        try {
          if (orphaning || (alive.length > 0 && !foreground)) {
            // Keep the dependent; drop references to owners that are gone (or being orphaned).
            if (alive.length) obj.metadata.ownerReferences = alive;
            else delete obj.metadata.ownerReferences;
            this.host.storeFor(dep.def).put(obj);
          } else {
            await this.host.delete(system(), dep.def, dep.entry.namespace, dep.entry.name, { propagationPolicy: foreground ? 'Foreground' : 'Background' }, true);
          }
        } catch (err) {
          if (!(err instanceof KubeError && err.code === 404)) this.logger.warn({ err: String(err), ref }, 'garbage collection of a dependent failed');
        }
      }
      if (ownerObj && owner && (orphaning || (foreground && storage.dependentsOf(uid).length === 0))) {
        this.dropFinalizer(owner.def, owner.entry, orphaning ? ORPHAN_FINALIZER : FOREGROUND_FINALIZER);
      } else if (foreground) {
        // Dependents are still going (e.g. pods in their grace period): look again shortly.
        setTimeout(() => this.schedule(uid), 50).unref();
      }
    }
  }

  private dropFinalizer(def: ResourceDef, entry: Entry, finalizer: string): void {
    const obj = parseEntry(entry);
    obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (obj.metadata.finalizers.length === 0) delete obj.metadata.finalizers;
    if (readyToRemove(obj)) this.host.removeNow(def, entry.key);
    else this.host.storeFor(def).put(obj);
  }
}

export class NamespaceTerminator {
  private readonly terminating = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly host: DeletionHost,
    private readonly logger: Logger,
  ) {}

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  isTerminating(namespace: string): boolean {
    return this.terminating.has(namespace);
  }

  start(namespace: string): void {
    this.terminating.add(namespace);
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => void this.sweep(), 100);
      this.timer.unref();
    }
    void this.sweep();
  }

  private async sweep(): Promise<void> {
    const storage = this.host.storage;
    for (const ns of [...this.terminating]) {
      let remaining = 0;
      for (const def of this.host.allDefs()) {
        if (!def.namespaced || def.view) continue;
        const store = storage.existing(def.storageKey);
        if (!store) continue;
        for (const e of store.list(ns)) {
          remaining++;
          if (parseEntry(e).metadata.deletionTimestamp) continue;
          try {
            await this.host.delete(system(), def, ns, e.name, {}, true);
          } catch (err) {
            if (!(err instanceof KubeError && err.code === 404)) this.logger.warn({ err: String(err), namespace: ns }, 'namespace cleanup failed');
          }
        }
      }
      if (remaining > 0) continue;
      this.terminating.delete(ns);
      const nsStore = storage.existing('/namespaces');
      const e = nsStore?.get(ns);
      if (!e || !nsStore) continue;
      const obj = parseEntry(e);
      if ((obj.metadata.finalizers ?? []).length === 0) this.host.removeNow(this.host.find('', 'v1', 'namespaces') as ResourceDef, ns);
      else {
        obj.spec = { ...(obj.spec ?? {}), finalizers: [] };
        nsStore.put(obj);
      }
    }
    if (this.terminating.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
