// A V8 heap snapshot (.heapsnapshot, as written by `node --heapsnapshot-signal`) summarised by what
// holds the memory: self size and count per (node type, constructor/name), largest first. Enough to
// see whether a cache's objects, its strings or a library's buffers dominate, without DevTools.
import { readFileSync } from 'node:fs';

export interface HeapEntry {
  type: string;
  name: string;
  count: number;
  selfMiB: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** The `top` heaviest (type, name) groups by self size; strings are grouped by type only. */
export function summariseHeapSnapshot(file: string, top = 20): { totalMiB: number; entries: HeapEntry[] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const typeNames = snap.snapshot.meta.node_types[0];
  const groups = new Map<string, { type: string; name: string; count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = typeNames[snap.nodes[i + typeAt] as number] ?? 'unknown';
    const size = snap.nodes[i + sizeAt] as number;
    total += size;
    // Strings and numbers by kind only: their "name" is their content.
    const name = type === 'object' || type === 'closure' || type === 'native' ? (snap.strings[snap.nodes[i + nameAt] as number] ?? '') : '';
    const key = `${type}\u0000${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
  }
  const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
  const entries = [...groups.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top)
    .map((g) => ({ type: g.type, name: g.name, count: g.count, selfMiB: mib(g.bytes) }));
  return { totalMiB: mib(total), entries };
}
