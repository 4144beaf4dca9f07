// SecurityGroupPolicy (vpcresources.k8s.aws/v1beta1): the type and its runtime validation.
// The CRD schema rejects most bad input at apply time, but policies also reach us from caches
// of clusters whose CRD is older or looser, so every consumer parses before trusting one.
import { z } from 'zod';
import { labelSelectorErrors, type LabelSelector } from '../domain/label-selector.js';
import { MAX_SECURITY_GROUPS_PER_INTERFACE, SGP_GROUP, SGP_KIND, SGP_VERSION } from './constants.js';
import { isSecurityGroupId, securityGroupIdProblem } from './ids.js';
import { labelSelectorSchema } from './label-selector-schema.js';
import { objectMetaSchema, optional, type ObjectMeta } from './object-meta.js';
import { typeMetaErrors, zodErrors, type ParseResult } from './parse-result.js';

/** EC2's hard maximum of security groups on one network interface (the default quota is 5). */
export const MAX_GROUPS_PER_POLICY = MAX_SECURITY_GROUPS_PER_INTERFACE;

export const SGP_API_VERSION = `${SGP_GROUP}/${SGP_VERSION}`;

export interface SecurityGroupPolicySpec {
  podSelector?: LabelSelector;
  serviceAccountSelector?: LabelSelector;
  securityGroups?: { groupIds?: string[] };
}

export interface SecurityGroupPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: SecurityGroupPolicySpec;
}

const specSchema = z.object({
  podSelector: optional(labelSelectorSchema),
  serviceAccountSelector: optional(labelSelectorSchema),
  securityGroups: z.object(
    {
      groupIds: z
        .array(z.string(), { required_error: 'is required: list at least one security group ID' })
        .min(1, 'must list at least one security group ID')
        .max(MAX_GROUPS_PER_POLICY, `must list at most ${MAX_GROUPS_PER_POLICY} security group IDs (EC2's hard maximum per network interface)`)
        .superRefine((ids, ctx) => {
          ids.forEach((id, i) => {
            if (!isSecurityGroupId(id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: securityGroupIdProblem(id) });
          });
        }),
    },
    { required_error: 'is required: the policy must list security groups in securityGroups.groupIds' },
  ),
});

const policySchema = z.object({
  apiVersion: optional(z.string()),
  kind: optional(z.string()),
  metadata: objectMetaSchema,
  spec: specSchema,
});

/**
 * Validate an object claimed to be a SecurityGroupPolicy. Errors name the field. A policy with
 * neither selector is valid (it matches nothing, as upstream); kind/apiVersion are checked only
 * when present, so informer objects without them still parse.
 */
export function parseSecurityGroupPolicy(obj: unknown): ParseResult<SecurityGroupPolicy> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: ['(root): a SecurityGroupPolicy must be an object'] };
  }
  const parsed = policySchema.safeParse(obj);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
  const value = parsed.data as SecurityGroupPolicy;
  const errors = typeMetaErrors(value, SGP_KIND, SGP_API_VERSION);
  if (value.spec.podSelector) errors.push(...labelSelectorErrors(value.spec.podSelector, 'spec.podSelector'));
  if (value.spec.serviceAccountSelector) {
    errors.push(...labelSelectorErrors(value.spec.serviceAccountSelector, 'spec.serviceAccountSelector'));
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
