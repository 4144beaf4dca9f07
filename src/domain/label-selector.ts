// Kubernetes LabelSelector semantics (metav1.LabelSelector), pure. Used by policy matching. The
// local API server has its own (src/sim/kube/label-selector.ts); test/unit/sim-facts/ compares them.

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  /** One of LabelSelectorOperator; typed as string because manifests may carry anything. */
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

/**
 * Problems that make a selector invalid, as Kubernetes validates them: an unknown operator,
 * `In`/`NotIn` without values, `Exists`/`DoesNotExist` with values. Empty when valid.
 */
export function labelSelectorErrors(selector: LabelSelector, path = 'selector'): string[] {
  const errors: string[] = [];
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!req || typeof req.key !== 'string' || req.key === '') errors.push(`${at}.key: must be a non-empty string`);
    const values = req?.values ?? [];
    switch (req?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errors.push(`${at}.values: must be non-empty for operator ${req.operator}`);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errors.push(`${at}.values: must be empty for operator ${req.operator}`);
        break;
      default:
        errors.push(`${at}.operator: "${String(req?.operator)}" is not one of In, NotIn, Exists, DoesNotExist`);
    }
  });
  return errors;
}

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
