// Kubernetes LabelSelector semantics (metav1.LabelSelector), pure. Used by policy matching. The
// local API server has its own (src/sim/kube/label-selector.ts); test/unit/sim-facts/ compares them.

import type { LabelSelector, LabelSelectorRequirement } from '../apis/label-selector-schema.js';

// The selector's shape and its validation are API facts (src/apis); matching is decided here.
export type { LabelSelector, LabelSelectorOperator, LabelSelectorRequirement } from '../apis/label-selector-schema.js';
export { labelSelectorErrors } from '../apis/label-selector-schema.js';

export type Labels = Readonly<Record<string, string>> | undefined | null;

/**
 * Whether `labels` satisfy `selector`. An empty selector `{}` matches everything; a missing
 * (undefined/null) selector matches nothing, as for Kubernetes objects where "no selector"
 * means "select nothing". An invalid requirement never matches.
 */
export function matchesLabelSelector(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    if (!requirementMatches(req, have)) return false;
  }
  return true;
}

function requirementMatches(req: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.prototype.hasOwnProperty.call(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return values.length > 0 && present && values.includes(labels[req.key] as string);
    case 'NotIn':
      return values.length > 0 && (!present || !values.includes(labels[req.key] as string));
    case 'Exists':
      return values.length === 0 && present;
    case 'DoesNotExist':
      return values.length === 0 && !present;
    default:
      return false;
  }
}
