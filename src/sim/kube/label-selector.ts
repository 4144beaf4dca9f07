// metav1.LabelSelector as kube-apiserver evaluates it (apimachinery's LabelSelectorAsSelector and
// the labels package): used for webhook namespaceSelector/objectSelector. The API server's own
// code, not the controller's matcher (src/domain/label-selector.ts): the local API server must
// behave like the real one so that a mistake in the controller's matcher is not hidden by
// agreement. test/unit/sim-facts/ compares the two on the same cases.
import { isLabelKey, isLabelValue } from './selectors.js';

export interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

type Labels = Readonly<Record<string, string>>;

/** A parsed selector: a predicate, or the error LabelSelectorAsSelector would return. */
export type ParsedSelector = { ok: true; matches: (labels: Labels) => boolean } | { ok: false; error: string };

const NOTHING: ParsedSelector = { ok: true, matches: () => false };
const EVERYTHING: ParsedSelector = { ok: true, matches: () => true };

/**
 * Convert a selector the way apimachinery does: nil selects nothing, an empty selector selects
 * everything, matchLabels are `=` requirements, and an unknown operator, `In`/`NotIn` without
 * values, `Exists`/`DoesNotExist` with values or a malformed key or value is an error.
 */
export function parseLabelSelector(selector: LabelSelector | null | undefined): ParsedSelector {
  if (selector === null || selector === undefined) return NOTHING;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const exprs = selector.matchExpressions ?? [];
  if (matchLabels.length === 0 && exprs.length === 0) return EVERYTHING;
  const preds: ((l: Labels) => boolean)[] = [];
  const has = (l: Labels, k: string): boolean => Object.prototype.hasOwnProperty.call(l, k);
  for (const [k, v] of matchLabels) {
    if (!isLabelKey(k)) return { ok: false, error: `key: Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'` };
    if (!isLabelValue(v)) return { ok: false, error: `values[0][${k}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'` };
    preds.push((l) => has(l, k) && l[k] === v);
  }
  for (const e of exprs) {
    const key = String(e?.key ?? '');
    const values = e?.values ?? [];
    if (!isLabelKey(key)) return { ok: false, error: `key: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'` };
    const bad = values.find((v) => !isLabelValue(v));
    if (bad !== undefined) return { ok: false, error: `values: Invalid value: "${bad}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'` };
    const set = new Set(values);
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return { ok: false, error: "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty" };
        preds.push(e.operator === 'In' ? (l) => has(l, key) && set.has(l[key] as string) : (l) => !has(l, key) || !set.has(l[key] as string));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) return { ok: false, error: 'values: Invalid value: values set must be empty for exists and does not exist' };
        preds.push(e.operator === 'Exists' ? (l) => has(l, key) : (l) => !has(l, key));
        break;
      default:
        return { ok: false, error: `"${String(e?.operator)}" is not a valid label selector operator` };
    }
  }
  return { ok: true, matches: (l) => preds.every((p) => p(l)) };
}
