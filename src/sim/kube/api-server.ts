// HTTP front of the local API server: authentication, routing of discovery, OpenAPI and resource
// paths to the registry, list (paged, consistent snapshots) and watch. Every failure is a Status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator, UserInfo } from './auth.js';
import { authorize, requestVerb } from './authorizer.js';
import {
  KubeError,
  badRequest,
  gone,
  invalid,
  fieldCause,
  methodNotAllowed,
  notFound,
  timeoutError,
  toKubeError,
  unauthorized,
  unsupportedMediaType,
} from './errors.js';
import {
  KUBE_VERSION,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Root,
  versionInfo,
} from './discovery.js';
import { decodeBody, mediaType, negotiate, readBody, sendError, sendJson, writeChunks, type Output } from './http-io.js';
import type { KubeObject } from './objects.js';
import { asKubeObject, isObject } from './objects.js';
import { PATCH_CONTENT_TYPES, type DeleteOptions, type Registry, type RequestContext } from './registry.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { fieldEqualities, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Entry } from './store.js';
import { parseEntry } from './store.js';
import { decodeKubeProtobuf } from './protobuf.js';
import { buildTable, type IncludeObject } from './table.js';
import { startWatch, type WatchHandle } from './watch.js';

export interface ApiServerOptions {
  bookmarkIntervalMs: number;
  defaultWatchTimeoutSeconds: number;
  maxWatchBufferBytes: number;
}

interface Snapshot {
  rv: number;
  entries: Entry[];
  created: number;
}

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const UNAUTHENTICATED_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const SNAPSHOT_TTL_MS = 5 * 60_000;
const MAX_SNAPSHOTS = 32;

interface Route {
  def: ResourceDef;
  namespace: string;
  name?: string;
  subresource: string;
  watchPath: boolean;
}

/**
 * Test-only faults. `expireContinue`: the next `times` list requests for a resource that carry a
 * continue token answer 410 Expired, as a real API server does when the list's snapshot was
 * compacted between two pages (etcd keeps about 5 minutes of history).
 */
export class ListFaults {
  private readonly expire = new Map<string, number>();
  private readonly answered = new Map<string, number>();

  expireContinue(resource: string, times: number): void {
    if (!Number.isInteger(times) || times < 0) throw new Error(`expireContinue: times must be a whole number ≥ 0, got ${times}`);
    this.expire.set(resource, times);
  }

  /** How many continue pages of a resource were answered 410 by this fault. */
  expiredAnswered(resource: string): number {
    return this.answered.get(resource) ?? 0;
  }

  /** Consumes one planned 410 for the resource, if any. */
  takeExpire(resource: string): boolean {
    const left = this.expire.get(resource) ?? 0;
    if (left <= 0) return false;
    this.expire.set(resource, left - 1);
    this.answered.set(resource, (this.answered.get(resource) ?? 0) + 1);
    return true;
  }
}

export class ApiServer {
  private readonly snapshots = new Map<string, Snapshot>();
  private snapshotSeq = 0;
  private readonly watches = new Set<ServerResponse>();
  private readonly watchHandles = new Map<ServerResponse, WatchHandle>();
  readonly faults = new ListFaults();

  constructor(
    private readonly registry: Registry,
    private readonly auth: Authenticator,
    private readonly logger: Logger,
    private readonly opts: ApiServerOptions,
  ) {}

  /** Ends every open watch (server shutdown). */
  closeWatches(): void {
    for (const w of this.watches) w.end();
    this.watches.clear();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((err: unknown) => {
      const kerr = toKubeError(err);
      if (kerr.code >= 500) this.logger.error({ err: err instanceof Error ? err.stack : String(err), url: req.url }, 'request failed');
      sendError(res, kerr);
    });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw badRequest(`malformed request URL: ${req.url ?? ''}`);
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    this.logger.debug({ method, url: req.url }, 'request');
    if (UNAUTHENTICATED_PATHS.has(path)) {
      if (path === '/version') return sendJson(res, 200, versionInfo());
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    const user = this.auth.authenticate(req.headers.authorization);
    if (!user) throw unauthorized();
    const q = url.searchParams;
    if (path === '/api') return sendJson(res, 200, apiVersions(req.headers.host ?? '127.0.0.1'));
    if (path === '/apis') return sendJson(res, 200, apiGroupList(this.registry.allDefs()));
    if (path === '/openapi/v3') return sendJson(res, 200, openApiV3Root(this.registry.allDefs(), this.registry.discoveryGeneration));
    if (path.startsWith('/openapi/v3/')) {
      const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      const doc = m ? openApiV3GroupVersion(this.registry.allDefs(), m[2] ?? '', m[1] ?? m[3] ?? '') : undefined;
      if (!doc) throw new KubeError(404, 'NotFound', `the server could not find the requested resource (OpenAPI document ${path})`);
      return sendJson(res, 200, doc);
    }
    if (path === '/openapi/v2') return sendOpenApiV2(req, res);
    let segs: string[];
    try {
      segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed percent-encoding in the request path: ${path}`);
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) {
      group = '';
      version = segs[1] as string;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 3) {
      group = segs[1] as string;
      version = segs[2] as string;
      rest = segs.slice(3);
    } else if (segs[0] === 'apis' && segs.length === 2) {
      const doc = apiGroupDoc(this.registry.allDefs(), segs[1] as string);
      if (!doc || method !== 'GET') throw notFoundPath(path);
      return sendJson(res, 200, doc);
    } else {
      throw notFoundPath(path);
    }
    if (rest.length === 0) {
      const doc = apiResourceList(this.registry.allDefs(), group, version);
      if (!doc || method !== 'GET') throw notFoundPath(path);
      return sendJson(res, 200, doc);
    }
    const route = this.route(group, version, rest, path);
    const ctx: RequestContext = { user, warnings: [] };
    await this.serveResource(req, res, method, route, q, ctx);
  }

  private route(group: string, version: string, rest: string[], path: string): Route {
    let watchPath = false;
    let segs = rest;
    if (segs[0] === 'watch') {
      watchPath = true;
      segs = segs.slice(1);
    }
    let namespace = '';
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      const candidate = this.registry.find(group, version, segs[2] as string);
      if (candidate?.namespaced) {
        namespace = segs[1] as string;
        segs = segs.slice(2);
      }
    }
    const def = this.registry.find(group, version, segs[0] as string);
    if (!def) {
      throw new KubeError(404, 'NotFound', `the server could not find the requested resource`, { ...(segs[0] ? { kind: segs[0] } : {}) });
    }
    if (def.namespaced === false && namespace) throw notFoundPath(path);
    if (segs.length > 3) throw notFoundPath(path);
    const subresource = segs[2] ?? '';
    if (subresource && !def.subresources.includes(subresource)) throw notFoundPath(path);
    return { def, namespace, ...(segs[1] !== undefined ? { name: segs[1] } : {}), subresource, watchPath };
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, method: string, r: Route, q: URLSearchParams, ctx: RequestContext): Promise<void> {
    const { def, namespace, name, subresource } = r;
    if (def.kind === 'SelfSubjectReview') {
      if (method !== 'POST' || name !== undefined) throw methodNotAllowed();
      await readBody(req);
      const userInfo = { username: ctx.user.username, groups: ctx.user.groups };
      return sendJson(res, 201, { apiVersion: apiVersionOf(def), kind: def.kind, metadata: { creationTimestamp: null }, status: { userInfo } });
    }
    const isWatch = r.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    const denied = authorize(ctx.user.username, { verb: requestVerb(method, name !== undefined, isWatch), group: def.group, resource: def.plural, subresource, namespace, ...(name !== undefined ? { name } : {}) });
    if (denied) throw denied;
    const dryRun = q.getAll('dryRun').includes('All');
    if (q.getAll('dryRun').some((d) => d !== 'All')) throw badRequest(`Invalid dryRun value: ${q.getAll('dryRun').join(',')}; must be "All"`);
    const fieldValidation = q.get('fieldValidation') ?? undefined;
    if (fieldValidation !== undefined && !['Ignore', 'Warn', 'Strict'].includes(fieldValidation)) {
      throw badRequest(`fieldValidation parameter unsupported: ${fieldValidation}; must be one of Ignore, Warn, Strict`);
    }
    const wopts = { dryRun, ...(fieldValidation ? { fieldValidation } : {}) };

    // Namespaced resources are written only under /namespaces/<ns>/; the all-namespaces path lists and watches.
    const allNamespaces = def.namespaced && !namespace;
    if (allNamespaces && name !== undefined) throw notFoundPath(`${def.plural}/${name}`);
    if (name === undefined) {
      if (allNamespaces && method !== 'GET') throw methodNotAllowed();
      if (method === 'GET') {
        if (isWatch) return this.watch(req, res, def, namespace, undefined, q);
        return this.list(req, res, def, namespace, q);
      }
      if (method === 'POST') {
        if (r.watchPath) throw methodNotAllowed();
        const body = await this.readObject(req);
        const created = await this.registry.create(ctx, def, namespace, body, wopts);
        return sendJson(res, 201, created, this.output(req, false), ctx.warnings);
      }
      if (method === 'DELETE') {
        const opts = await this.deleteOptions(req, q);
        const entries = this.select(def, namespace, q);
        const deleted = await this.registry.deleteCollection(ctx, def, entries, opts);
        return sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(this.registry.storage.currentRv) }, items: deleted }, this.output(req, false), ctx.warnings);
      }
      throw methodNotAllowed();
    }
    if (isWatch) {
      if (method !== 'GET') throw methodNotAllowed();
      return this.watch(req, res, def, namespace, name, q);
    }
    if (subresource === 'binding') {
      if (method !== 'POST') throw methodNotAllowed();
      const body = await this.readObject(req);
      await this.registry.bind(ctx, namespace, name, body, wopts);
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, { kind: 'json' }, ctx.warnings);
    }
    const sub = subresource as '' | 'status';
    switch (method) {
      case 'GET':
        return sendJson(res, 200, this.present(req, q, def, this.registry.get(def, namespace, name)), this.output(req, true));
      case 'PUT': {
        const body = await this.readObject(req);
        const updated = await this.registry.update(ctx, def, namespace, name, sub, body, wopts);
        return sendJson(res, 200, updated, this.output(req, false), ctx.warnings);
      }
      case 'PATCH': {
        const ct = mediaType(req.headers['content-type']);
        const type = PATCH_CONTENT_TYPES[ct];
        if (!type) throw unsupportedMediaType(ct, PATCH_TYPES.filter((t) => t !== 'application/apply-patch+yaml' && (def.strategicMerge || !t.includes('strategic'))));
        const patch = decodeBody(await readBody(req), 'application/json');
        const patched = await this.registry.patch(ctx, def, namespace, name, sub, type, patch, wopts);
        return sendJson(res, 200, patched, this.output(req, false), ctx.warnings);
      }
      case 'DELETE': {
        if (sub) throw methodNotAllowed();
        const opts = await this.deleteOptions(req, q);
        const deleted = await this.registry.delete(ctx, def, namespace, name, { ...opts, ...wopts });
        return sendJson(res, 200, deleted, this.output(req, false), ctx.warnings);
      }
      default:
        throw methodNotAllowed();
    }
  }

  private output(req: IncomingMessage, allowTransform: boolean): Output {
    const out = negotiate(req.headers.accept, allowTransform);
    return out.kind === 'table' || out.kind === 'metadata' ? (allowTransform ? out : { kind: 'json' }) : out;
  }

  /** A single object in the negotiated form (Table row, PartialObjectMetadata or itself). */
  private present(req: IncomingMessage, q: URLSearchParams, def: ResourceDef, obj: KubeObject): unknown {
    const out = negotiate(req.headers.accept, true);
    if (out.kind === 'table') {
      return buildTable(def, [obj], { include: includeObject(q), listMeta: { resourceVersion: obj.metadata.resourceVersion }, tableVersion: out.version });
    }
    if (out.kind === 'metadata') return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${out.version}`, metadata: obj.metadata };
    return obj;
  }

  private async readObject(req: IncomingMessage): Promise<KubeObject> {
    const ct = mediaType(req.headers['content-type']) || 'application/json';
    if (!BODY_TYPES.includes(ct) && ct !== 'application/x-yaml' && ct !== 'text/yaml') throw unsupportedMediaType(ct, ['application/json', 'application/yaml']);
    const body = await readBody(req);
    const value = ct === 'application/vnd.kubernetes.protobuf' ? decodeKubeProtobuf(body) : decodeBody(body, ct);
    const obj = asKubeObject(value);
    if (!obj) throw badRequest('the request body must be a JSON or YAML object with an object "metadata"');
    return obj;
  }

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
    const opts: DeleteOptions = {};
    const body = await readBody(req);
    if (body.length && body.toString('utf8').trim() !== '') {
      const ct = mediaType(req.headers['content-type']) || 'application/json';
      const v = decodeBody(body, ct === 'application/yaml' ? ct : 'application/json');
      if (!isObject(v)) throw badRequest('DeleteOptions must be an object');
      if (typeof v.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = v.gracePeriodSeconds;
      if (typeof v.propagationPolicy === 'string') opts.propagationPolicy = v.propagationPolicy;
      if (typeof v.orphanDependents === 'boolean') opts.propagationPolicy = v.orphanDependents ? 'Orphan' : 'Background';
      if (isObject(v.preconditions)) {
        opts.preconditions = {
          ...(typeof v.preconditions.uid === 'string' ? { uid: v.preconditions.uid } : {}),
          ...(typeof v.preconditions.resourceVersion === 'string' ? { resourceVersion: v.preconditions.resourceVersion } : {}),
        };
      }
      if (Array.isArray(v.dryRun) && v.dryRun.includes('All')) opts.dryRun = true;
    }
    const g = q.get('gracePeriodSeconds');
    if (g !== null) {
      if (!/^-?\d+$/.test(g)) throw badRequest(`invalid gracePeriodSeconds "${g}": must be an integer`);
      opts.gracePeriodSeconds = Number(g);
    }
    const p = q.get('propagationPolicy');
    if (p !== null) opts.propagationPolicy = p;
    if (q.get('orphanDependents') === 'true') opts.propagationPolicy = 'Orphan';
    return opts;
  }

  // ------------------------------------------------------------ list

  private filter(def: ResourceDef, q: URLSearchParams): (e: Entry) => boolean {
    const labels = parseLabelSelector(q.get('labelSelector'));
    const fields = parseFieldSelector(q.get('fieldSelector'), this.registry.selectableFields(def));
    return (e) => (!labels || labels(e.labels)) && (!fields || fields(e.fields));
  }

  private select(def: ResourceDef, namespace: string, q: URLSearchParams): Entry[] {
    const filter = this.filter(def, q);
    return this.registry
      .storeFor(def)
      .list(namespace || undefined, fieldEqualities(q.get('fieldSelector')))
      .filter(filter);
  }

  private checkListRv(q: URLSearchParams): void {
    const rv = q.get('resourceVersion');
    const match = q.get('resourceVersionMatch');
    checkRvSyntax(rv);
    if (match !== null && match !== '') {
      if (!['Exact', 'NotOlderThan'].includes(match)) {
        throw invalid('ListOptions', '', '', [fieldCause('FieldValueNotSupported', 'resourceVersionMatch', `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`)]);
      }
      if (rv === null || rv === '') {
        throw invalid('ListOptions', '', '', [fieldCause('FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided')]);
      }
      const n = Number(rv);
      if (match === 'Exact' && n !== this.registry.storage.currentRv) {
        if (n > this.registry.storage.currentRv) throw timeoutError(`Too large resource version: ${n}, current: ${this.registry.storage.currentRv}`, 1);
        throw gone(`The resourceVersion for the provided list is too old.`);
      }
    }
    if (rv !== null && rv !== '' && rv !== '0' && Number(rv) > this.registry.storage.currentRv) {
      throw timeoutError(`Too large resource version: ${rv}, current: ${this.registry.storage.currentRv}`, 1);
    }
  }

  private async list(req: IncomingMessage, res: ServerResponse, def: ResourceDef, namespace: string, q: URLSearchParams): Promise<void> {
    const out = negotiate(req.headers.accept, true);
    const limitText = q.get('limit');
    const limit = limitText === null || limitText === '' ? 0 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit "${limitText ?? ''}": must be a non-negative integer`);
    const token = q.get('continue');
    let entries: Entry[];
    let rv: number;
    let offset = 0;
    let snapId: string | undefined;
    if (token) {
      if (q.get('resourceVersion')) throw badRequest('specifying resource version is not allowed when using continue');
      const decoded = decodeContinue(token);
      this.pruneSnapshots();
      const snap = this.snapshots.get(decoded.s);
      if (!snap || snap.rv !== decoded.rv || this.faults.takeExpire(def.plural)) {
        throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      entries = snap.entries;
      rv = snap.rv;
      offset = decoded.o;
      snapId = decoded.s;
    } else {
      this.checkListRv(q);
      entries = this.select(def, namespace, q);
      rv = this.registry.storage.currentRv;
    }
    let page = entries;
    let next: string | undefined;
    let remaining = 0;
    if (limit > 0 && entries.length - offset > limit) {
      page = entries.slice(offset, offset + limit);
      if (!snapId) {
        this.pruneSnapshots();
        snapId = String(++this.snapshotSeq);
        this.snapshots.set(snapId, { rv, entries, created: Date.now() });
      }
      next = encodeContinue({ rv, s: snapId, o: offset + limit });
      remaining = entries.length - offset - limit;
    } else if (offset > 0 || limit > 0) {
      page = entries.slice(offset);
      if (snapId) this.snapshots.delete(snapId);
    }
    const listMeta = { resourceVersion: String(rv), ...(next ? { continue: next, remainingItemCount: remaining } : {}) };
    if (out.kind === 'table') {
      const objs = page.map((e) => this.registry.toView(def, parseEntry(e)));
      return sendJson(res, 200, buildTable(def, objs, { include: includeObject(q), listMeta, tableVersion: out.version }));
    }
    if (out.kind === 'metadata') {
      const items = page.map((e) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${out.version}`, metadata: parseEntry(e).metadata }));
      return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${out.version}`, metadata: listMeta, items });
    }
    if (out.kind === 'yaml') {
      return sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: listMeta, items: page.map((e) => this.registry.toView(def, parseEntry(e))) }, out);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(listMeta)},"items":[`;
    const registry = this.registry;
    function* pieces(): Generator<string> {
      yield head;
      for (let i = 0; i < page.length; i++) {
        const json = registry.viewJson(def, page[i] as Entry);
        yield i === 0 ? json : `,${json}`;
      }
      yield ']}';
    }
    await writeChunks(res, pieces());
    res.end();
  }

  private pruneSnapshots(): void {
    const now = Date.now();
    for (const [id, s] of this.snapshots) if (now - s.created > SNAPSHOT_TTL_MS) this.snapshots.delete(id);
    while (this.snapshots.size >= MAX_SNAPSHOTS) {
      const oldest = this.snapshots.keys().next().value as string;
      this.snapshots.delete(oldest);
    }
  }

  // ------------------------------------------------------------ watch

  private watch(req: IncomingMessage, res: ServerResponse, def: ResourceDef, namespace: string, name: string | undefined, q: URLSearchParams): void {
    const out = negotiate(req.headers.accept, true);
    const filter = this.filter(def, q);
    const rv = q.get('resourceVersion') ?? undefined;
    checkRvSyntax(rv);
    const allowBookmarks = q.get('allowWatchBookmarks') === 'true';
    const sendInitialEvents = q.get('sendInitialEvents') === 'true';
    if (sendInitialEvents && (q.get('resourceVersionMatch') !== 'NotOlderThan' || !allowBookmarks)) {
      throw invalid('ListOptions', '', '', [
        fieldCause('FieldValueForbidden', 'sendInitialEvents', 'Forbidden: sendInitialEvents is forbidden for watch unless the resourceVersionMatch is set to NotOlderThan and allowWatchBookmarks is set to true'),
      ]);
    }
    if (!sendInitialEvents && q.get('resourceVersionMatch')) {
      throw invalid('ListOptions', '', '', [fieldCause('FieldValueForbidden', 'resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided')]);
    }
    const timeoutText = q.get('timeoutSeconds');
    const timeoutSeconds = timeoutText === null ? undefined : Number(timeoutText);
    if (timeoutSeconds !== undefined && (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0)) throw badRequest(`invalid timeoutSeconds "${timeoutText ?? ''}"`);
    if (name !== undefined && !def.namespaced && namespace) throw notFound(def.plural, def.group, name);
    this.watches.add(res);
    const handle = startWatch(
      this.registry,
      res,
      {
        def,
        namespace,
        ...(name !== undefined ? { name } : {}),
        filter,
        fieldEqualities: fieldEqualities(q.get('fieldSelector')),
        ...(rv !== undefined ? { resourceVersion: rv } : {}),
        allowBookmarks,
        sendInitialEvents,
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        ...(out.kind === 'table' ? { table: { include: includeObject(q), version: out.version } } : {}),
        bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
        maxBufferedBytes: this.opts.maxWatchBufferBytes,
        onClose: () => {
          this.watches.delete(res);
          this.watchHandles.delete(res);
        },
      },
      this.opts.defaultWatchTimeoutSeconds,
    );
    if (this.watches.has(res)) this.watchHandles.set(res, handle);
  }

  /** Test-only: every watch open now goes silent, as over a half-open connection; returns how many. */
  freezeWatches(): number {
    for (const h of this.watchHandles.values()) h.freeze();
    const n = this.watchHandles.size;
    this.watchHandles.clear();
    return n;
  }
}

/** The protobuf media type of OpenAPI v2. kubectl asks with `@v1.0`; "@" is not legal in a media type, so
 * kube-openapi answers with the dotted form, which Go's mime parser accepts (the `@` form fails
 * with `mime: unexpected content after media subtype`). */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** A length-delimited protobuf field (wire type 2); lengths here are always < 128. */
function pbField(field: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, value.length]), value]);
}

/**
 * An OpenAPI v2 document without definitions: kubectl's client-side validation then skips kinds it
 * does not know (as it does for unknown CRDs), and apply falls back to its compiled-in patch
 * metadata. kubectl 1.32 validates through /openapi/v3 first; it reads this document for kinds
 * v3 does not describe.
 */
function sendOpenApiV2(req: IncomingMessage, res: ServerResponse): void {
  const headers = { Vary: 'Accept', 'Cache-Control': 'no-cache, private' };
  if ((req.headers.accept ?? '').includes('com.github.proto-openapi.spec.v2')) {
    // gnostic openapi_v2.Document{swagger: "2.0", info: Info{title, version}}.
    const info = Buffer.concat([pbField(1, Buffer.from('Kubernetes')), pbField(2, Buffer.from(KUBE_VERSION.gitVersion))]);
    const body = Buffer.concat([pbField(1, Buffer.from('2.0')), pbField(2, info)]);
    res.writeHead(200, { ...headers, 'Content-Type': OPENAPI_V2_PROTOBUF, 'X-Varied-Accept': req.headers.accept ?? '', 'Content-Length': body.length });
    res.end(body);
    return;
  }
  res.setHeader('Vary', 'Accept');
  sendJson(res, 200, { swagger: '2.0', info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion }, paths: {}, definitions: {} });
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** A list or watch resourceVersion, when given, is a non-negative integer. */
function checkRvSyntax(rv: string | null | undefined): void {
  if (rv !== null && rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) {
    throw invalid('ListOptions', '', '', [fieldCause('FieldValueInvalid', 'resourceVersion', `Invalid value: "${rv}": must be a non-negative integer`)]);
  }
}

function notFoundPath(path: string): KubeError {
  return new KubeError(404, 'NotFound', `the server could not find the requested resource`, { causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }] });
}

interface ContinueToken {
  v: string;
  rv: number;
  s: string;
  o: number;
}

function encodeContinue(t: Omit<ContinueToken, 'v'>): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...t })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.s !== 'string' || typeof t.o !== 'number') throw new Error('bad token');
    return t as ContinueToken;
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

export type { UserInfo };
