// Watch streams: newline-delimited `{"type":...,"object":...}` events over a chunked response.
// Starts from a resourceVersion (history replay, or 410 as an ERROR event when too old), from
// "now" with synthetic ADDED events, or with sendInitialEvents; sends BOOKMARKs when asked, ends
// at timeoutSeconds, and drops watchers that stop reading. A watch can be frozen (test-only): it
// then behaves like a half-open TCP connection, where nothing more reaches the client, not even
// the end of the response.
import type { ServerResponse } from 'node:http';
import { KubeError } from './errors.js';
import type { KubeObject } from './objects.js';
import type { Registry } from './registry.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import type { Entry, StoreEvent, WatchEventType } from './store.js';
import { parseEntry } from './store.js';
import { buildTable, type IncludeObject } from './table.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace: string;
  name?: string;
  filter: (e: Entry) => boolean;
  fieldEqualities: ReadonlyMap<string, string>;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  table?: { include: IncludeObject; version: string };
  bookmarkIntervalMs: number;
  /** Bytes a slow watcher may have queued before it is dropped. */
  maxBufferedBytes: number;
  onClose?: () => void;
}

export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export interface WatchHandle {
  /** From now on nothing more is written: no events, no bookmarks, no end of the response. */
  freeze(): void;
}

/** Starts a watch on an already-validated request. Throws KubeError before anything is written. */
export function startWatch(registry: Registry, res: ServerResponse, w: WatchRequest, defaultTimeoutSeconds: number): WatchHandle {
  const store = registry.storeFor(w.def);
  const matches = (e: Entry): boolean => (!w.namespace || e.namespace === w.namespace) && (!w.name || e.name === w.name) && w.filter(e);

  const initial: { type: WatchEventType; entry: Entry }[] = [];
  let expired: KubeError | undefined;
  const rvText = w.resourceVersion ?? '';
  if (w.sendInitialEvents || rvText === '' || rvText === '0') {
    for (const e of store.list(w.namespace || undefined, w.fieldEqualities)) if (matches(e)) initial.push({ type: 'ADDED', entry: e });
  } else {
    try {
      for (const ev of store.since(Number(rvText))) {
        const t = translate(ev, matches);
        if (t) initial.push(t);
      }
    } catch (err) {
      if (err instanceof KubeError && err.code === 410) expired = err;
      else throw err;
    }
  }

  let headersSentFor = false;
  let closed = false;
  let frozen = false;
  // Events of one event-loop turn go out in one write: one syscall per watcher, not per event.
  let pending: string[] = [];
  const flush = (): void => {
    const lines = pending;
    pending = [];
    if (closed || frozen || res.writableEnded || lines.length === 0) return;
    res.write(lines.join(''));
    if (res.writableLength > w.maxBufferedBytes) finish();
  };
  const writeLine = (line: string): void => {
    if (closed || frozen || res.writableEnded) return;
    if (pending.push(line) === 1) setImmediate(flush);
  };
  const kindMeta = JSON.stringify({ kind: w.def.kind, apiVersion: apiVersionOf(w.def) }).slice(0, -1);
  const objectJson = (entry: Entry): string => {
    if (!w.table) return registry.viewJson(w.def, entry);
    const obj: KubeObject = registry.toView(w.def, parseEntry(entry));
    const table = buildTable(w.def, [obj], { include: w.table.include, listMeta: { resourceVersion: String(entry.rv) }, noHeaders: headersSentFor, tableVersion: w.table.version });
    headersSentFor = true;
    return JSON.stringify(table);
  };
  const send = (type: WatchEventType, entry: Entry): void => writeLine(`{"type":"${type}","object":${objectJson(entry)}}\n`);
  const bookmark = (initialEnd = false): void => {
    const meta = { resourceVersion: String(registry.storage.currentRv), ...(initialEnd ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } : {}) };
    writeLine(`{"type":"BOOKMARK","object":${kindMeta},"metadata":${JSON.stringify(meta)}}}\n`);
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  if (expired) {
    res.end(`{"type":"ERROR","object":${JSON.stringify(expired.toStatus())}}\n`);
    w.onClose?.();
    return { freeze: () => undefined };
  }

  const unsubscribe = store.subscribe({
    onEvent: (ev: StoreEvent) => {
      const t = translate(ev, matches);
      if (t) send(t.type, t.entry);
    },
  });
  const timers: NodeJS.Timeout[] = [];
  function finish(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    // A frozen watch's end never reaches the client either; the client's abort closes it.
    if (!frozen) {
      if (pending.length && !res.writableEnded) res.write(pending.join(''));
      res.end();
    }
    pending = [];
    w.onClose?.();
  }
  res.on('close', finish);
  for (const i of initial) send(i.type, i.entry);
  if (w.sendInitialEvents) bookmark(true);
  const timeout = w.timeoutSeconds !== undefined && w.timeoutSeconds > 0 ? w.timeoutSeconds : defaultTimeoutSeconds;
  timers.push(
    setTimeout(() => {
      if (w.allowBookmarks) bookmark();
      finish();
    }, timeout * 1000),
  );
  if (w.allowBookmarks) {
    const interval = setInterval(() => bookmark(), w.bookmarkIntervalMs);
    timers.push(interval);
  }
  return {
    freeze: () => {
      frozen = true;
      pending = [];
    },
  };
}

/** What one watcher sees of a store event, given its filter (selector transitions become ADDED/DELETED). */
export function translate(ev: StoreEvent, matches: (e: Entry) => boolean): { type: WatchEventType; entry: Entry } | undefined {
  if (ev.type !== 'MODIFIED') return matches(ev.entry) ? { type: ev.type, entry: ev.entry } : undefined;
  const now = matches(ev.entry);
  const before = ev.prev ? matches(ev.prev) : false;
  if (now && before) return { type: 'MODIFIED', entry: ev.entry };
  if (now) return { type: 'ADDED', entry: ev.entry };
  if (before && ev.prev) {
    // The old content, with the new resourceVersion, as the real watch cache sends it.
    const obj = parseEntry(ev.prev);
    obj.metadata.resourceVersion = String(ev.rv);
    return { type: 'DELETED', entry: { ...ev.prev, rv: ev.rv, json: JSON.stringify(obj) } };
  }
  return undefined;
}
