// The three patch formats kube-apiserver accepts for updates: JSON patch (RFC 6902), JSON merge
// patch (RFC 7386) and strategic merge patch (built-in types only; lists merged by their
// patchMergeKey, with the `$patch`, `$retainKeys`, `$setElementOrder/` and
// `$deleteFromPrimitiveList/` directives kubectl sends).
import { KubeError, badRequest } from './errors.js';
import { clone, deepEqual, isObject, text, type JsonObject } from './objects.js';

const invalidPatch = (message: string): KubeError => new KubeError(422, 'Invalid', message);

// ---------------------------------------------------------------- JSON patch

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw invalidPatch(`invalid JSON pointer "${path}": must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parent(doc: unknown, tokens: string[], path: string): { container: unknown; last: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length - 1, path)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw invalidPatch(`doc is missing path: "${path}": missing value`);
  }
  return { container: cur, last: tokens[tokens.length - 1] ?? '' };
}

function arrayIndex(t: string, max: number, path: string): number {
  if (!/^(0|[1-9]\d*)$/.test(t)) throw invalidPatch(`invalid array index "${t}" in "${path}"`);
  const i = Number(t);
  if (i > max) throw invalidPatch(`doc is missing path: "${path}": index out of range`);
  return i;
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of decodePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length - 1, path)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw invalidPatch(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) throw invalidPatch('cannot remove the document root');
  const { container, last } = parent(doc, tokens, path);
  if (Array.isArray(container)) {
    const i = arrayIndex(last, container.length - 1, path);
    return container.splice(i, 1)[0];
  }
  if (isObject(container) && Object.prototype.hasOwnProperty.call(container, last)) {
    const v = container[last];
    delete container[last];
    return v;
  }
  throw invalidPatch(`Unable to remove nonexistent key: ${last}: missing value`);
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const { container, last } = parent(doc, tokens, path);
  if (Array.isArray(container)) {
    if (replace) container[arrayIndex(last, container.length - 1, path)] = value;
    else if (last === '-') container.push(value);
    else container.splice(arrayIndex(last, container.length, path), 0, value);
  } else if (isObject(container)) {
    if (replace && !Object.prototype.hasOwnProperty.call(container, last)) {
      throw invalidPatch(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    container[last] = value;
  } else {
    throw invalidPatch(`doc is missing path: "${path}": missing value`);
  }
  return doc;
}

/** Applies an RFC 6902 patch to a copy of `doc`. Malformed patches are 400, failing operations 422. */
export function applyJsonPatch(doc: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let out: unknown = clone(doc);
  for (const raw of patch as unknown[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('invalid JSON patch operation: each needs "op" and "path"');
    }
    const op = raw as unknown as Op;
    const needValue = (): unknown => {
      if (!Object.prototype.hasOwnProperty.call(raw, 'value')) throw badRequest(`invalid JSON patch: "${op.op}" operation has no "value"`);
      return clone(op.value);
    };
    switch (op.op) {
      case 'add':
        out = addAt(out, op.path, needValue(), false);
        break;
      case 'remove':
        removeAt(out, op.path);
        break;
      case 'replace': {
        const v = needValue();
        if (op.path === '') out = v;
        else {
          getAt(out, op.path);
          out = addAt(out, op.path, v, true);
        }
        break;
      }
      case 'move': {
        if (typeof op.from !== 'string') throw badRequest('invalid JSON patch: "move" needs "from"');
        const v = removeAt(out, op.from);
        out = addAt(out, op.path, v, false);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw badRequest('invalid JSON patch: "copy" needs "from"');
        out = addAt(out, op.path, clone(getAt(out, op.from)), false);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(out, op.path), needValue())) throw invalidPatch(`testing value ${op.path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  if (!isObject(out)) throw invalidPatch('the patch replaced the object with a non-object');
  return out;
}

// ---------------------------------------------------------------- JSON merge patch

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const base: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = mergeValue(base[k], v);
  }
  return base;
}

/** RFC 7386: objects merge recursively, null deletes, everything else (lists too) replaces. */
export function applyMergePatch(doc: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw badRequest('merge patch must be a JSON object');
  return mergeValue(doc, patch) as JsonObject;
}

// ---------------------------------------------------------------- strategic merge patch

/** How a list field merges: by a key field, as a set of primitives, or (absent) replaced whole. */
export interface ListMeta {
  mergeKey?: string;
}

const META_LISTS: Record<string, ListMeta> = {
  'metadata.ownerReferences': { mergeKey: 'uid' },
  'metadata.finalizers': {},
};

const CONTAINER_LISTS = (prefix: string): Record<string, ListMeta> => ({
  [prefix]: { mergeKey: 'name' },
  [`${prefix}.ports`]: { mergeKey: 'containerPort' },
  [`${prefix}.env`]: { mergeKey: 'name' },
  [`${prefix}.volumeMounts`]: { mergeKey: 'mountPath' },
  [`${prefix}.volumeDevices`]: { mergeKey: 'devicePath' },
});

const POD_SPEC_LISTS = (prefix: string): Record<string, ListMeta> => ({
  ...CONTAINER_LISTS(`${prefix}.containers`),
  ...CONTAINER_LISTS(`${prefix}.initContainers`),
  ...CONTAINER_LISTS(`${prefix}.ephemeralContainers`),
  [`${prefix}.volumes`]: { mergeKey: 'name' },
  [`${prefix}.imagePullSecrets`]: { mergeKey: 'name' },
  [`${prefix}.hostAliases`]: { mergeKey: 'ip' },
  [`${prefix}.topologySpreadConstraints`]: { mergeKey: 'topologyKey' },
  [`${prefix}.resourceClaims`]: { mergeKey: 'name' },
  [`${prefix}.schedulingGates`]: { mergeKey: 'name' },
});

/** patchStrategy=merge lists of the built-in kinds, by kind and field path (list indices dropped). */
const STRATEGIC_LISTS: Record<string, Record<string, ListMeta>> = {
  Pod: {
    ...POD_SPEC_LISTS('spec'),
    'status.conditions': { mergeKey: 'type' },
    'status.podIPs': { mergeKey: 'ip' },
    'status.hostIPs': { mergeKey: 'ip' },
  },
  Node: {
    'spec.podCIDRs': {},
    'status.conditions': { mergeKey: 'type' },
    'status.addresses': { mergeKey: 'type' },
  },
  ServiceAccount: { secrets: { mergeKey: 'name' } },
  Deployment: { ...POD_SPEC_LISTS('spec.template.spec'), 'status.conditions': { mergeKey: 'type' } },
  Service: { 'spec.ports': { mergeKey: 'port' } },
  PodDisruptionBudget: { 'status.conditions': { mergeKey: 'type' } },
  MutatingWebhookConfiguration: { webhooks: { mergeKey: 'name' } },
  ValidatingWebhookConfiguration: { webhooks: { mergeKey: 'name' } },
};

/** Object fields with patchStrategy=replace: a patch replaces them whole (policy/v1 PodDisruptionBudget's selector). */
const REPLACED_MAPS: Record<string, ReadonlySet<string>> = {
  PodDisruptionBudget: new Set(['spec.selector']),
};

export function listMetaFor(kind: string, path: string): ListMeta | undefined {
  return META_LISTS[path] ?? STRATEGIC_LISTS[kind]?.[path];
}

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch for an object of built-in `kind`. */
export function applyStrategicMergePatch(kind: string, doc: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const out = mergeMap(kind, '', doc, patch);
  if (out === undefined) throw invalidPatch('the patch deleted the whole object');
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObject(x) && '$patch' in x)).map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function mergeMap(kind: string, path: string, original: JsonObject | undefined, patch: JsonObject): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${text(directive)}`);
  const out: JsonObject = { ...(original ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER)) continue;
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const p = join(path, k);
    if (v === null) {
      delete out[k];
    } else if (isObject(v) && REPLACED_MAPS[kind]?.has(p)) {
      out[k] = stripDirectives(v);
    } else if (isObject(v)) {
      const merged = mergeMap(kind, p, isObject(out[k]) ? (out[k]) : undefined, v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      const meta = listMetaFor(kind, p);
      out[k] = meta ? mergeList(kind, p, Array.isArray(out[k]) ? out[k] : [], v, meta) : stripDirectives(v);
    } else {
      out[k] = v;
    }
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(SET_ORDER.length);
    const list = out[field];
    if (Array.isArray(list)) out[field] = reorder(list, order, listMetaFor(kind, join(path, field))?.mergeKey);
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}

function mergeList(kind: string, path: string, original: unknown[], patch: unknown[], meta: ListMeta): unknown[] {
  if (patch.some((x) => isObject(x) && x.$patch === 'replace')) {
    return stripDirectives(patch.filter((x) => !(isObject(x) && x.$patch === 'replace'))) as unknown[];
  }
  const key = meta.mergeKey;
  if (!key) {
    const out = [...original];
    for (const x of patch) if (!out.some((o) => deepEqual(o, x))) out.push(x);
    return out;
  }
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`${path}: list items must be objects with merge key "${key}"`);
    const k = item[key];
    const idx = out.findIndex((o) => isObject(o) && deepEqual(o[key], k));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(kind, path, out[idx] as JsonObject, item);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (x: unknown): unknown => (mergeKey && isObject(x) ? x[mergeKey] : x);
  const rest = [...list];
  const ordered: unknown[] = [];
  for (const o of order) {
    const idx = rest.findIndex((x) => deepEqual(keyOf(x), keyOf(o)));
    if (idx >= 0) ordered.push(...rest.splice(idx, 1));
  }
  return [...ordered, ...rest];
}
