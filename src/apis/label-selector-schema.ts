// zod schema for the structure of metav1.LabelSelector. The semantic rules (operator names,
// values present or absent per operator) are checked afterwards with labelSelectorErrors, so
// policy matching, admission and the API server agree on what "invalid" means.
import { z } from 'zod';
import type { LabelSelector } from '../domain/label-selector.js';
import { optional } from './object-meta.js';

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
