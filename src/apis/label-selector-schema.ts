// metav1.LabelSelector: its type, a zod schema for its structure, and the semantic rules
// (operator names, values present or absent per operator) checked afterwards with
// labelSelectorErrors, so policy matching, admission and the API server agree on what "invalid"
// means. Matching is domain logic (src/domain/label-selector.ts).
import { z } from 'zod';
import { optional } from './object-meta.js';

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

export const labelSelectorSchema = z.object({
  matchLabels: optional(z.record(z.string(), z.string({ invalid_type_error: 'values must be strings' }))),
  matchExpressions: optional(
    z.array(
      z.object({
        key: z.string(),
        operator: z.string(),
        values: optional(z.array(z.string())),
      }),
    ),
  ),
}) as unknown as z.ZodType<LabelSelector>;
