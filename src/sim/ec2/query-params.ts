// Reading EC2 Query-protocol parameters. The SDK flattens every list as `Name.N` (1-based) and
// every nested structure as `Name.Member`, e.g. `Filter.1.Value.2`, `TagSpecification.1.Tag.1.Key`.
import { Ec2ErrorResponse, invalidParameterValue, missingParameter } from './errors.js';
import type { TagInputs } from './world-errors.js';

export type Params = ReadonlyMap<string, string>;

const MAX_BODY_PARAMS = 10_000;

/** Parses a form-encoded body or query string; duplicate keys keep the last value, as EC2 does. */
export function parseQuery(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text.length === 0) return out;
  const sp = new URLSearchParams(text);
  let n = 0;
  for (const [k, v] of sp) {
    if (++n > MAX_BODY_PARAMS) throw new Ec2ErrorResponse('InvalidParameterValue', 'Too many request parameters');
    out.set(k, v);
  }
  return out;
}

export function optString(p: Params, name: string): string | undefined {
  return p.get(name);
}

export function reqString(p: Params, name: string): string {
  const v = p.get(name);
  if (v === undefined || v === '') throw missingParameter(name);
  return v;
}

export function optInt(p: Params, name: string, min?: number, max?: number): number | undefined {
  const raw = p.get(name);
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(raw)) throw invalidParameterValue(`Invalid value '${raw}' for ${name}. It must be an integer.`);
  const n = Number(raw);
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw invalidParameterValue(
      `Value (${n}) for parameter ${name} is invalid. Expected a value between ${min ?? '-inf'} and ${max ?? 'inf'}.`,
    );
  }
  return n;
}

export function reqInt(p: Params, name: string, min?: number, max?: number): number {
  const v = optInt(p, name, min, max);
  if (v === undefined) throw missingParameter(name);
  return v;
}

export function optBool(p: Params, name: string): boolean | undefined {
  const raw = p.get(name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParameterValue(`Invalid value '${raw}' for ${name}. It must be true or false.`);
}

/** `Name.1`, `Name.2`, … in index order (gaps tolerated, as the wire allows any positive index). */
export function listOf(p: Params, prefix: string): string[] {
  const found: [number, string][] = [];
  const head = prefix + '.';
  for (const [k, v] of p) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    if (!/^\d+$/.test(rest)) continue;
    found.push([Number(rest), v]);
  }
  found.sort((a, b) => a[0] - b[0]);
  return found.map(([, v]) => v);
}

/**
 * Structures in a list: `Prefix.N.Member[.more]` grouped by N, each group keyed by the remainder
 * (`Member`, `Value.1`, …), returned in index order.
 */
export function structList(p: Params, prefix: string): Map<string, string>[] {
  const groups = new Map<number, Map<string, string>>();
  const head = prefix + '.';
  for (const [k, v] of p) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf('.');
    if (dot <= 0) continue;
    const idxText = rest.slice(0, dot);
    if (!/^\d+$/.test(idxText)) continue;
    const idx = Number(idxText);
    let g = groups.get(idx);
    if (!g) {
      g = new Map();
      groups.set(idx, g);
    }
    g.set(rest.slice(dot + 1), v);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

export interface Filter {
  name: string;
  values: string[];
}

export function filters(p: Params): Filter[] {
  return structList(p, 'Filter').map((g) => {
    const name = g.get('Name');
    if (name === undefined || name === '') throw missingParameter('Filter.N.Name');
    return { name, values: listOf(g, 'Value') };
  });
}

export function tagsOf(g: Params, prefix = 'Tag'): TagInputs[] {
  return structList(g, prefix).map((t) => {
    const key = t.get('Key');
    if (key === undefined) throw missingParameter(`${prefix}.N.Key`);
    return { key, value: t.get('Value') };
  });
}

/** Tags from `TagSpecification.N` whose ResourceType matches (or has none). */
export function tagSpecifications(p: Params, resourceType: string): TagInputs[] {
  const out: TagInputs[] = [];
  for (const spec of structList(p, 'TagSpecification')) {
    const rt = spec.get('ResourceType');
    if (rt === undefined) throw missingParameter('TagSpecification.N.ResourceType');
    if (rt !== resourceType) {
      throw invalidParameterValue(`'${rt}' is not a valid taggable resource type for this operation.`);
    }
    out.push(...tagsOf(spec));
  }
  return out;
}
