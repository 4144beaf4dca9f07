// Label and field selectors in their query-string syntax (`a=b,c!=d,e in (x,y),!f,g` and
// `spec.nodeName=n,status.phase!=Running`), parsed once per request into predicates.
import { badRequest } from './errors.js';

export type Labels = Readonly<Record<string, string>>;
export type LabelPredicate = (labels: Labels) => boolean;
export type FieldPredicate = (fields: Labels) => boolean;

interface Requirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** A label key as Kubernetes accepts it: optional DNS-subdomain prefix and `/`, then a name part. */
export const isLabelKey = (k: string): boolean => KEY_RE.test(k) && k.length <= 317;
/** A label value as Kubernetes accepts it: empty, or up to 63 alphanumerics, `-`, `_`, `.`. */
export const isLabelValue = (v: string): boolean => VALUE_RE.test(v) && v.length <= 63;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

function parseRequirement(raw: string): Requirement {
  const s = raw.trim();
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`);
  };
  const checkKey = (k: string): string => {
    if (!KEY_RE.test(k) || k.length > 317) fail(`key: Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`);
    return k;
  };
  const checkValue = (v: string): string => {
    if (!VALUE_RE.test(v) || v.length > 63) fail(`values: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`);
    return v;
  };
  if (s === '') fail('found \'\', expected: identifier');
  if (s.startsWith('!')) return { key: checkKey(s.slice(1).trim()), op: '!exists', values: [] };
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(s);
  if (setMatch) {
    const values = (setMatch[3] ?? '').split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(setMatch[1] ?? ''), op: setMatch[2] as 'in' | 'notin', values };
  }
  const opMatch = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(s);
  if (opMatch) {
    const key = checkKey(opMatch[1] ?? '');
    const value = (opMatch[3] ?? '').trim();
    const op = opMatch[2];
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key, op: op === '>' ? 'gt' : 'lt', values: [value] };
    }
    return { key, op: op === '!=' ? '!=' : '=', values: [checkValue(value)] };
  }
  if (/^\S+$/.test(s)) return { key: checkKey(s), op: 'exists', values: [] };
  return fail(`found '${s}', expected: in, notin, =, ==, !=, gt, lt`);
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && v === r.values[0];
    case '!=':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v as string);
    case 'notin':
      return !has || !r.values.includes(v as string);
    case 'gt':
      return has && /^-?\d+$/.test(v as string) && Number(v) > Number(r.values[0]);
    case 'lt':
      return has && /^-?\d+$/.test(v as string) && Number(v) < Number(r.values[0]);
  }
}

/** Parses a label selector string; undefined when empty (matches everything). Throws 400 on bad syntax. */
export function parseLabelSelector(s: string | undefined | null): LabelPredicate | undefined {
  if (s === undefined || s === null || s.trim() === '') return undefined;
  const reqs = splitTopLevel(s).map(parseRequirement);
  return (labels) => reqs.every((r) => requirementMatches(r, labels));
}

interface FieldRequirement {
  field: string;
  value: string;
  equal: boolean;
}

/** Splits on an unescaped separator, keeping escapes for a later unescape. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + (s[i + 1] as string);
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/**
 * Parses a field selector against the fields a resource supports. Unknown fields get the
 * real server's 400 `field label not supported: <f>`.
 */
export function parseFieldSelector(s: string | undefined | null, supported: ReadonlySet<string>): FieldPredicate | undefined {
  if (s === undefined || s === null || s.trim() === '') return undefined;
  const reqs: FieldRequirement[] = [];
  for (const part of splitUnescaped(s, ',')) {
    const m = /^([^=!]+?)\s*(==|=|!=)(.*)$/s.exec(part.trim());
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = (m[1] ?? '').trim();
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    reqs.push({ field, value: unescapeFieldValue(m[3] ?? ''), equal: m[2] !== '!=' });
  }
  return (fields) => reqs.every((r) => ((fields[r.field] ?? '') === r.value) === r.equal);
}

/** The field/value pairs of a selector that are exact equalities, for index look-ups. */
export function fieldEqualities(s: string | undefined | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!s) return out;
  for (const part of splitUnescaped(s, ',')) {
    const m = /^([^=!]+?)\s*(==|=)(.*)$/s.exec(part.trim());
    if (m && !(m[3] ?? '').startsWith('=')) out.set((m[1] ?? '').trim(), unescapeFieldValue(m[3] ?? ''));
  }
  return out;
}
