// The API semantics over storage: create/update/patch/delete with optimistic concurrency,
// status subresources, pod binding, graceful deletion, finalizers, garbage collection through
// ownerReferences, namespace termination, CRD-driven resources and admission. No HTTP here.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Admission, AdmissionAttributes, Operation, Webhook } from './admission.js';
import type { UserInfo } from './auth.js';
import { crdResourceDefs, establishedStatus } from './crd-resources.js';
import { FOREGROUND_FINALIZER, GarbageCollector, NamespaceTerminator, ORPHAN_FINALIZER, readyToRemove } from './garbage-collector.js';
import {
  KubeError,
  STALE_OBJECT_MESSAGE,
  alreadyExists,
  badRequest,
  conflict,
  fieldCause,
  forbidden,
  invalid,
  notFound,
  unsupportedMediaType,
} from './errors.js';
import type { JsonObject, KubeObject } from './objects.js';
import { clone, deepEqual, isObject, nowRfc3339, rfc3339, text } from './objects.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { apiVersionOf, builtinResources, hasStatus, type ResourceDef } from './resources.js';
import type { Entry, ResourceStore, Storage } from './store.js';
import { entryKey, parseEntry } from './store.js';
import { STRATEGIES, validateObjectMeta, type StrategyContext } from './strategies.js';
import { pruneUnknownBuiltinFields } from './known-fields.js';
import { validateAndPrune } from './structural-schema.js';

export interface RequestContext {
  user: UserInfo;
  /** Warnings for the client (`Warning:` headers). */
  warnings: string[];
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'json' | 'merge' | 'strategic';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  return s;
}

export class Registry {
  private defs: ResourceDef[] = [];
  private readonly builtins: ResourceDef[];
  private readonly gc: GarbageCollector;
  private readonly namespaces: NamespaceTerminator;
  private hookCache = new Map<string, { rv: string; hooks: Webhook[] }>();
  private readonly storeCache = new WeakMap<ResourceDef, ResourceStore>();
  /** Bumped whenever the set of served resources changes (discovery, OpenAPI). */
  discoveryGeneration = 0;

  constructor(
    readonly storage: Storage,
    private readonly admission: Admission,
    private readonly logger: Logger,
  ) {
    this.builtins = builtinResources();
    this.gc = new GarbageCollector(this, logger.child({ component: 'garbage-collector' }));
    this.namespaces = new NamespaceTerminator(this, logger.child({ component: 'namespace-terminator' }));
    this.refreshDefs();
  }

  close(): void {
    this.gc.close();
    this.namespaces.close();
  }

  // ------------------------------------------------------------ resource definitions

  allDefs(): readonly ResourceDef[] {
    return this.defs;
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.version === version && d.plural === plural);
  }

  private refreshDefs(): void {
    const crdStore = this.storeFor(this.builtins.find((d) => d.kind === 'CustomResourceDefinition') as ResourceDef);
    const custom: ResourceDef[] = [];
    for (const e of crdStore.list()) custom.push(...crdResourceDefs(parseEntry(e)));
    this.defs = [...this.builtins, ...custom];
    for (const d of custom) this.storeFor(d);
    this.discoveryGeneration++;
  }

  storeFor(def: ResourceDef): ResourceStore {
    const cached = this.storeCache.get(def);
    if (cached && this.storage.existing(def.storageKey) === cached) return cached;
    const store = this.openStore(def);
    this.storeCache.set(def, store);
    return store;
  }

  private openStore(def: ResourceDef): ResourceStore {
    const sameStorage = [...this.builtins, ...this.defs].filter((d) => d.storageKey === def.storageKey);
    const extractors = sameStorage.length ? sameStorage : [def];
    return this.storage.store(
      def.storageKey,
      (obj) => {
        const out: Record<string, string> = {};
        for (const d of extractors) for (const [f, fn] of Object.entries(d.selectableFields)) out[f] = fn(obj) ?? '';
        return out;
      },
      def.indexedFields,
    );
  }

  /** Field names usable in selectors for a resource. */
  selectableFields(def: ResourceDef): Set<string> {
    return new Set(Object.keys(def.selectableFields));
  }

  // ------------------------------------------------------------ views

  /** Converts a stored object to the requested resource's wire form. */
  toView(def: ResourceDef, obj: KubeObject): KubeObject {
    if (def.view) return def.view.fromStorage(obj);
    if (def.crd) obj.apiVersion = apiVersionOf(def);
    return obj;
  }

  /** JSON of an entry in the requested resource's form; the cached serialization when no conversion is needed. */
  viewJson(def: ResourceDef, entry: Entry): string {
    if (!def.view && (!def.crd || def.crd.storageVersion === def.version)) return entry.json;
    return JSON.stringify(this.toView(def, parseEntry(entry)));
  }

  private toStorage(def: ResourceDef, obj: KubeObject): KubeObject {
    if (def.view) return def.view.toStorage(obj);
    if (def.crd) obj.apiVersion = `${def.group}/${def.crd.storageVersion}`;
    return obj;
  }

  // ------------------------------------------------------------ reads

  private entry(def: ResourceDef, namespace: string, name: string): Entry {
    const e = this.storeFor(def).get(entryKey(def.namespaced ? namespace : undefined, name));
    if (!e) throw notFound(def.plural, def.group, name);
    return e;
  }

  get(def: ResourceDef, namespace: string, name: string): KubeObject {
    return this.toView(def, parseEntry(this.entry(def, namespace, name)));
  }

  private namespaceLabels(namespace: string): Record<string, string> | undefined {
    if (!namespace) return undefined;
    const e = this.storage.existing('/namespaces')?.get(namespace);
    return e ? { ...e.labels } : undefined;
  }

  private requireNamespace(def: ResourceDef, namespace: string): void {
    if (!def.namespaced) return;
    const ns = this.storage.existing('/namespaces')?.get(namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (this.namespaces.isTerminating(namespace)) {
      throw forbidden(`${def.plural}${def.group ? `.${def.group}` : ''} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  // ------------------------------------------------------------ validation

  private validate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions, ctx: RequestContext): KubeObject {
    const causes = validateObjectMeta(def, obj);
    let out = obj;
    if (def.crd) {
      if (def.crd.schema && !def.crd.preserveUnknownFields) {
        const body = clone(obj) as JsonObject;
        const res = validateAndPrune(body, def.crd.schema);
        causes.push(...res.causes);
        this.handleUnknown(def, res.pruned, opts, ctx);
        out = body as KubeObject;
      }
    } else {
      this.handleUnknown(def, pruneUnknownBuiltinFields(def.group, def.kind, obj), opts, ctx);
      causes.push(...(STRATEGIES[def.kind]?.validate?.(obj, old, this.strategyContext(def, obj)) ?? []));
    }
    if (causes.length) throw invalid(def.kind, def.crd ? def.group : '', obj.metadata.name ?? '', causes);
    return out;
  }

  /** Unknown (pruned) fields: refused with fieldValidation=Strict, warned about unless Ignore. */
  private handleUnknown(def: ResourceDef, pruned: string[], opts: WriteOptions, ctx: RequestContext): void {
    if (pruned.length === 0) return;
    const unknown = pruned.map((p) => `unknown field "${p}"`);
    if (opts.fieldValidation === 'Strict') {
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.join(', ')}`);
    }
    if (opts.fieldValidation !== 'Ignore') ctx.warnings.push(...unknown);
  }

  private checkTypeMeta(def: ResourceDef, body: KubeObject): void {
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def)) {
      // events.k8s.io and core events share storage, but a body must still match the endpoint.
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`);
    }
  }

  // ------------------------------------------------------------ admission

  private webhooks(kind: 'mutating' | 'validating'): Webhook[] {
    const key = kind === 'mutating' ? 'admissionregistration.k8s.io/mutatingwebhookconfigurations' : 'admissionregistration.k8s.io/validatingwebhookconfigurations';
    const store = this.storage.existing(key);
    if (!store || store.size === 0) return [];
    const entries = store.list();
    // The configurations' versions identify the set exactly (a plain number would lose digits).
    const rv = entries.map((e) => e.rv).join(',');
    const cached = this.hookCache.get(key);
    if (cached && cached.rv === rv) return cached.hooks;
    const hooks: Webhook[] = [];
    for (const e of entries) {
      const cfg = parseEntry(e);
      for (const w of Array.isArray(cfg.webhooks) ? cfg.webhooks : []) if (isObject(w)) hooks.push(w as unknown as Webhook);
    }
    this.hookCache.set(key, { rv, hooks });
    return hooks;
  }

  /** Hooks for the Admission instance: reads the registered configurations. */
  hookSource = (kind: 'mutating' | 'validating'): Webhook[] => this.webhooks(kind);

  private async admit(
    op: Operation,
    def: ResourceDef,
    subresource: string,
    namespace: string,
    obj: KubeObject | undefined,
    old: KubeObject | undefined,
    ctx: RequestContext,
    opts: WriteOptions,
    mutate: boolean,
  ): Promise<KubeObject | undefined> {
    const nsLabels = this.namespaceLabels(namespace);
    const attrs: AdmissionAttributes = {
      operation: op,
      def,
      subresource,
      name: obj?.metadata.name ?? old?.metadata.name ?? '',
      namespace: def.namespaced ? namespace : '',
      ...(obj ? { object: obj } : {}),
      ...(old ? { oldObject: old } : {}),
      user: ctx.user,
      dryRun: opts.dryRun === true,
      ...(nsLabels ? { namespaceLabels: nsLabels } : {}),
    };
    if (mutate) return this.admission.mutate(attrs, ctx.warnings);
    await this.admission.validate(attrs, ctx.warnings);
    return obj;
  }

  // ------------------------------------------------------------ create

  async create(ctx: RequestContext, def: ResourceDef, namespace: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    this.checkTypeMeta(def, body);
    const obj = clone(body);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const m = obj.metadata;
    if (def.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else delete m.namespace;
    if (m.resourceVersion !== undefined && m.resourceVersion !== '') throw badRequest('resourceVersion should not be set on objects to be created');
    if (!m.name && typeof m.generateName === 'string' && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
    this.requireNamespace(def, namespace);
    this.prepareCreate(def, obj);
    let admitted = (await this.admit('CREATE', def, '', namespace, obj, undefined, ctx, opts, true)) ?? obj;
    admitted = this.validate(def, admitted, undefined, opts, ctx);
    this.serverOwnedOnCreate(def, admitted, obj);
    await this.admit('CREATE', def, '', namespace, admitted, undefined, ctx, opts, false);
    const store = this.storeFor(def);
    const key = entryKey(def.namespaced ? namespace : undefined, admitted.metadata.name ?? '');
    if (store.get(key)) throw alreadyExists(def.plural, def.group, admitted.metadata.name ?? '');
    if (def.namespaced) this.requireNamespace(def, namespace);
    if (opts.dryRun) return admitted;
    const stored = this.toStorage(def, admitted);
    const entry = store.put(stored);
    this.afterWrite(def, entry);
    return this.toView(def, stored);
  }

  private prepareCreate(def: ResourceDef, obj: KubeObject): void {
    const m = obj.metadata;
    m.uid = randomUUID();
    m.creationTimestamp = nowRfc3339();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    delete m.managedFields;
    if (this.hasGeneration(def)) m.generation = 1;
    else delete m.generation;
    if (def.crd && hasStatus(def)) delete obj.status;
    if (!def.crd) STRATEGIES[def.kind]?.prepareForCreate?.(obj, this.strategyContext(def, obj));
    if (def.kind === 'CustomResourceDefinition') obj.status = establishedStatus(obj);
  }

  /** Built-in kinds only (custom resources are not keyed by kind alone). */
  private strategyContext(def: ResourceDef, self: KubeObject): StrategyContext | undefined {
    if (def.crd) return undefined;
    const key = entryKey(def.namespaced ? self.metadata.namespace : undefined, self.metadata.name ?? '');
    return {
      list: () =>
        this.storeFor(def)
          .list()
          .filter((e) => e.key !== key)
          .map(parseEntry),
    };
  }

  private hasGeneration(def: ResourceDef): boolean {
    return def.crd !== undefined || def.kind === 'CustomResourceDefinition' || STRATEGIES[def.kind]?.generation === true;
  }

  /** Webhooks may not change identity fields; restore them after admission. */
  private serverOwnedOnCreate(def: ResourceDef, obj: KubeObject, original: KubeObject): void {
    obj.metadata.uid = original.metadata.uid;
    obj.metadata.creationTimestamp = original.metadata.creationTimestamp;
    obj.metadata.name = original.metadata.name;
    if (def.namespaced) obj.metadata.namespace = original.metadata.namespace;
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
  }

  // ------------------------------------------------------------ update / patch

  async update(
    ctx: RequestContext,
    def: ResourceDef,
    namespace: string,
    name: string,
    subresource: '' | 'status',
    body: KubeObject,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    this.checkTypeMeta(def, body);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const wantRv = body.metadata.resourceVersion;
    if (!wantRv && def.crd) {
      throw invalid(def.kind, def.group, name, [fieldCause('FieldValueInvalid', 'metadata.resourceVersion', 'Invalid value: 0: must be specified for an update')]);
    }
    return this.guaranteedUpdate(ctx, def, namespace, name, subresource, opts, (current) => {
      if (wantRv && wantRv !== current.metadata.resourceVersion) throw conflict(def.plural, def.group, name, STALE_OBJECT_MESSAGE);
      return clone(body);
    });
  }

  async patch(
    ctx: RequestContext,
    def: ResourceDef,
    namespace: string,
    name: string,
    subresource: '' | 'status',
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    if (type === 'strategic' && !def.strategicMerge) {
      throw unsupportedMediaType('application/strategic-merge-patch+json', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    }
    return this.guaranteedUpdate(ctx, def, namespace, name, subresource, opts, (current) => {
      const patched =
        type === 'json'
          ? applyJsonPatch(current, patch)
          : type === 'merge'
            ? applyMergePatch(current, patch)
            : applyStrategicMergePatch(def.kind, current, patch);
      const obj = patched as KubeObject;
      if (!isObject(obj.metadata)) throw badRequest('the patch removed metadata');
      const rv = obj.metadata.resourceVersion;
      if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict(def.plural, def.group, name, STALE_OBJECT_MESSAGE);
      if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
      return obj;
    });
  }

  /**
   * Read-modify-write with retries, like the real server's GuaranteedUpdate: `mutate` builds the
   * new object from the current one; if another write lands while admission runs, it runs again.
   */
  private async guaranteedUpdate(
    ctx: RequestContext,
    def: ResourceDef,
    namespace: string,
    name: string,
    subresource: '' | 'status',
    opts: WriteOptions,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<KubeObject> {
    const store = this.storeFor(def);
    for (let attempt = 0; ; attempt++) {
      const currentEntry = this.entry(def, namespace, name);
      const current = this.toView(def, parseEntry(currentEntry));
      // A second parse, not a deep clone: cheaper, and `next` shares nothing with `current`.
      const next = mutate(this.toView(def, parseEntry(currentEntry)));
      // A uid in the written object is a precondition (kube-apiserver's storage checks it): a
      // client patching "the pod I allocated for" must not land on a new pod of the same name.
      const wantedUid = next.metadata?.uid;
      if (wantedUid && wantedUid !== current.metadata.uid) {
        throw conflict(
          def.plural,
          def.group,
          name,
          `StorageError: invalid object, Code: 4, Key: ${currentEntry.key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${wantedUid}, UID in object meta: ${current.metadata.uid ?? ''}`,
        );
      }
      this.prepareUpdate(def, next, current, subresource);
      const old = current;
      let admitted = (await this.admit('UPDATE', def, subresource, namespace, next, old, ctx, opts, true)) ?? next;
      this.prepareUpdate(def, admitted, old, subresource);
      admitted = this.validate(def, admitted, old, opts, ctx);
      await this.admit('UPDATE', def, subresource, namespace, admitted, old, ctx, opts, false);
      const latest = store.get(currentEntry.key);
      if (!latest) throw notFound(def.plural, def.group, name);
      if (latest.rv !== currentEntry.rv) {
        if (attempt < 10) continue;
        throw conflict(def.plural, def.group, name, STALE_OBJECT_MESSAGE);
      }
      admitted.metadata.resourceVersion = old.metadata.resourceVersion;
      this.bumpGeneration(def, admitted, old);
      if (deepEqual(admitted, old)) return old;
      if (opts.dryRun) return admitted;
      if (def.kind === 'CustomResourceDefinition') admitted.status = establishedStatus(admitted, old.status);
      const stored = this.toStorage(def, admitted);
      if (readyToRemove(stored)) {
        const removed = this.removeNow(def, currentEntry.key);
        return removed ? this.toView(def, parseEntry(removed)) : admitted;
      }
      // put() stamps the resourceVersion on `stored`, which is exactly what was serialized.
      const entry = store.put(stored);
      this.afterWrite(def, entry);
      return this.toView(def, stored);
    }
  }

  private prepareUpdate(def: ResourceDef, obj: KubeObject, old: KubeObject, subresource: '' | 'status'): void {
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const m = obj.metadata;
    const o = old.metadata;
    m.name = o.name;
    if (def.namespaced) m.namespace = o.namespace;
    else delete m.namespace;
    m.uid = o.uid;
    m.creationTimestamp = o.creationTimestamp;
    if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (o.generation !== undefined) m.generation = o.generation;
    else delete m.generation;
    delete m.managedFields;
    if (subresource === 'status') {
      if (def.crd) {
        // Only status changes through /status for custom resources.
        const status = obj.status;
        for (const k of Object.keys(obj)) delete obj[k];
        Object.assign(obj, clone(old));
        if (status === undefined) delete obj.status;
        else obj.status = status;
      } else {
        for (const k of Object.keys(obj)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') delete obj[k];
        for (const k of Object.keys(old)) if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') obj[k] = clone(old[k]);
        if (o.ownerReferences) m.ownerReferences = clone(o.ownerReferences);
        else delete m.ownerReferences;
      }
    } else if (hasStatus(def)) {
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    }
    if (subresource === '' && !def.crd) STRATEGIES[def.kind]?.prepareForUpdate?.(obj, old);
    if (o.deletionTimestamp) {
      const before = new Set(o.finalizers ?? []);
      const added = (m.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length) {
        throw invalid(def.kind, def.crd ? def.group : '', m.name ?? '', [
          fieldCause('FieldValueForbidden', 'metadata.finalizers', `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`),
        ]);
      }
    }
    if (Array.isArray(m.finalizers) && m.finalizers.length === 0) delete m.finalizers;
  }

  /** metadata.generation moves when anything but metadata and status changes (CRs and CRDs). */
  private bumpGeneration(def: ResourceDef, obj: KubeObject, old: KubeObject): void {
    if (!this.hasGeneration(def)) return;
    const strip = (o: KubeObject): JsonObject => {
      const { metadata: _m, status: _s, ...rest } = o;
      return rest;
    };
    const gen = old.metadata.generation ?? 1;
    obj.metadata.generation = deepEqual(strip(obj), strip(old)) ? gen : gen + 1;
  }

  // ------------------------------------------------------------ pods/binding

  async bind(ctx: RequestContext, namespace: string, podName: string, binding: KubeObject, opts: WriteOptions = {}): Promise<void> {
    const def = this.find('', 'v1', 'pods') as ResourceDef;
    const target = isObject(binding.target) ? binding.target : undefined;
    const nodeName = target && typeof target.name === 'string' ? target.name : '';
    if (binding.metadata.name !== undefined && binding.metadata.name !== podName) {
      throw badRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${podName})`);
    }
    if (!nodeName) throw invalid('Binding', '', podName, [fieldCause('FieldValueRequired', 'target.name', 'Required value')]);
    const pod = this.get(def, namespace, podName);
    if (pod.metadata.deletionTimestamp) {
      throw conflict('pods/binding', '', podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
    }
    const current = typeof pod.spec?.nodeName === 'string' ? pod.spec.nodeName : '';
    if (current) throw conflict('pods/binding', '', podName, `pod ${podName} is already assigned to node "${current}"`);
    const bindingDef: ResourceDef = { ...def, kind: 'Binding' };
    await this.admit('CREATE', bindingDef, 'binding', namespace, binding, undefined, ctx, opts, false);
    if (opts.dryRun) return;
    const store = this.storeFor(def);
    const e = store.get(entryKey(namespace, podName));
    if (!e) throw notFound('pods', '', podName);
    const fresh = parseEntry(e);
    if (fresh.spec?.nodeName) throw conflict('pods/binding', '', podName, `pod ${podName} is already assigned to node "${text(fresh.spec.nodeName)}"`);
    fresh.spec = { ...(fresh.spec ?? {}), nodeName };
    const status = (fresh.status ??= {});
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'PodScheduled'));
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRfc3339() });
    status.conditions = conditions;
    store.put(fresh);
  }

  // ------------------------------------------------------------ delete

  async delete(ctx: RequestContext, def: ResourceDef, namespace: string, name: string, opts: DeleteOptions = {}, internal = false): Promise<KubeObject> {
    const store = this.storeFor(def);
    const e = this.entry(def, namespace, name);
    const obj = parseEntry(e);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(def.plural, def.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(def.plural, def.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
    }
    if (opts.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
      throw invalid('DeleteOptions', '', '', [fieldCause('FieldValueNotSupported', 'propagationPolicy', `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`)]);
    }
    if (!internal) await this.admit('DELETE', def, '', namespace, undefined, this.toView(def, clone(obj)), ctx, opts, false);
    if (opts.dryRun) return this.toView(def, obj);

    const m = obj.metadata;
    const now = Date.now();
    let changed = false;
    if (opts.propagationPolicy === 'Orphan' && !(m.finalizers ?? []).includes(ORPHAN_FINALIZER)) {
      m.finalizers = [...(m.finalizers ?? []), ORPHAN_FINALIZER];
      changed = true;
    }
    if (opts.propagationPolicy === 'Foreground' && !(m.finalizers ?? []).includes(FOREGROUND_FINALIZER) && this.storage.dependentsOf(m.uid ?? '').length > 0) {
      m.finalizers = [...(m.finalizers ?? []), FOREGROUND_FINALIZER];
      changed = true;
    }
    if (def.kind === 'Namespace' && def.group === '') {
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowRfc3339();
        m.deletionGracePeriodSeconds = 0;
        obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
        const entry = store.put(obj);
        this.namespaces.start(m.name ?? '');
        return this.toView(def, parseEntry(entry));
      }
      return this.toView(def, obj);
    }
    let grace = 0;
    if (def.kind === 'Pod' && def.group === '') {
      const bound = typeof obj.spec?.nodeName === 'string' && obj.spec.nodeName !== '';
      const phase = obj.status?.phase;
      const terminal = phase === 'Succeeded' || phase === 'Failed';
      const specGrace = typeof obj.spec?.terminationGracePeriodSeconds === 'number' ? obj.spec.terminationGracePeriodSeconds : 30;
      grace = opts.gracePeriodSeconds ?? specGrace;
      if (grace < 0) grace = 1;
      if (!bound || terminal) grace = 0;
    }
    if (grace > 0) {
      const existing = m.deletionGracePeriodSeconds;
      if (m.deletionTimestamp && existing !== undefined && existing <= grace) {
        if (changed) store.put(obj);
        return this.toView(def, obj);
      }
      m.deletionTimestamp = rfc3339(new Date(now + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
      const entry = store.put(obj);
      return this.toView(def, parseEntry(entry));
    }
    if ((m.finalizers ?? []).length > 0) {
      if (!m.deletionTimestamp || (m.deletionGracePeriodSeconds ?? 0) !== 0 || changed) {
        m.deletionTimestamp ??= nowRfc3339();
        m.deletionGracePeriodSeconds = 0;
        const entry = store.put(obj);
        if ((m.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER)) this.gc.schedule(m.uid ?? '');
        return this.toView(def, parseEntry(entry));
      }
      return this.toView(def, obj);
    }
    const removed = this.removeNow(def, e.key);
    return this.toView(def, removed ? parseEntry(removed) : obj);
  }

  /** Deletes every object of a collection that the filter admits. */
  async deleteCollection(ctx: RequestContext, def: ResourceDef, entries: Entry[], opts: DeleteOptions): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const e of entries) {
      try {
        out.push(await this.delete(ctx, def, e.namespace, e.name, opts));
      } catch (err) {
        if (!(err instanceof KubeError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  /** Removes an object whose deletion is complete, and lets the garbage collector see its dependents. */
  removeNow(def: ResourceDef, key: string): Entry | undefined {
    const removed = this.storeFor(def).remove(key);
    if (!removed) return undefined;
    if (removed.uid) this.gc.schedule(removed.uid);
    if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io') this.crdRemoved(parseEntry(removed));
    return removed;
  }

  // ------------------------------------------------------------ after-write hooks

  private afterWrite(def: ResourceDef, entry: Entry): void {
    if (def.kind === 'CustomResourceDefinition' && def.group === 'apiextensions.k8s.io') this.refreshDefs();
    // The service-account controller's job: every namespace gets its `default` ServiceAccount.
    if (def.kind === 'Namespace' && def.group === '' && !this.namespaces.isTerminating(entry.name)) {
      this.ensureDefaultServiceAccount(this.find('', 'v1', 'serviceaccounts') as ResourceDef, entry.name);
    }
    if (entry.ownerUids.length && entry.ownerUids.some((u) => !this.storage.uids.has(u))) this.gc.schedule(entry.ownerUids.find((u) => !this.storage.uids.has(u)) ?? '');
  }

  private crdRemoved(crd: KubeObject): void {
    const defs = crdResourceDefs(crd);
    const first = defs[0];
    if (first) {
      const store = this.storage.existing(first.storageKey);
      for (const e of store?.list() ?? []) store?.remove(e.key);
      this.storage.drop(first.storageKey);
    }
    this.refreshDefs();
  }

  // ------------------------------------------------------------ bootstrap

  /** Objects a fresh cluster has: the usual namespaces, each with its `default` ServiceAccount. */
  bootstrap(): void {
    const nsDef = this.find('', 'v1', 'namespaces') as ResourceDef;
    const saDef = this.find('', 'v1', 'serviceaccounts') as ResourceDef;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
      this.prepareCreate(nsDef, ns);
      this.storeFor(nsDef).put(ns);
      this.ensureDefaultServiceAccount(saDef, name);
    }
  }

  ensureDefaultServiceAccount(saDef: ResourceDef, namespace: string): void {
    const store = this.storeFor(saDef);
    if (store.get(entryKey(namespace, 'default'))) return;
    const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } };
    this.prepareCreate(saDef, sa);
    store.put(sa);
  }
}
