// Which fields differ between two JSON objects, as readable paths (`metadata.labels["a/b"]`,
// `spec.taints`), so that a denial can say exactly what an update tried to change.

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Paths at which `before` and `after` differ, in a stable order. Records are compared key by key
 * (down to the changed leaf); arrays and scalars as a whole. Absent, null, `{}` and `[]` are
 * treated alike, since serializers drop empty fields inconsistently (Go's omitempty, for one).
 * `ignore(path)` skips a subtree: it receives the path segments, e.g. ['metadata', 'labels', 'x'].
 */
export function changedPaths(before: unknown, after: unknown, ignore: (segments: readonly string[]) => boolean = () => false): string[] {
  const out: string[] = [];
  walk(before, after, [], ignore, out);
  return out;
}

function walk(a: unknown, b: unknown, segments: string[], ignore: (s: readonly string[]) => boolean, out: string[]): void {
  if (segments.length > 0 && ignore(segments)) return;
  const aEmpty = isEmpty(a);
  const bEmpty = isEmpty(b);
  if (aEmpty && bEmpty) return;
  if ((isRecord(a) || aEmpty) && (isRecord(b) || bEmpty)) {
    const ra = isRecord(a) ? a : {};
    const rb = isRecord(b) ? b : {};
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
    for (const key of keys) walk(ra[key], rb[key], [...segments, key], ignore, out);
    return;
  }
  if (!deepEqual(a, b)) out.push(formatPath(segments));
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.keys(v).length === 0;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Keys of these maps are data (label keys, resource names), shown as `labels["team"]` even when
// they happen to look like field names.
const MAP_FIELDS = new Set(['labels', 'annotations', 'capacity', 'allocatable', 'limits', 'requests']);

/** ['metadata', 'labels', 'a/b'] → `metadata.labels["a/b"]`. */
export function formatPath(segments: readonly string[]): string {
  if (segments.length === 0) return '(the whole object)';
  return segments
    .map((s, i) => {
      const inMap = i > 0 && MAP_FIELDS.has(segments[i - 1] ?? '');
      if (!inMap && IDENTIFIER.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join('');
}
