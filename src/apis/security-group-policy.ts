// SecurityGroupPolicy (vpcresources.k8s.aws/v1beta1): the type and its runtime validation.
// The CRD schema rejects most bad input at apply time, but policies also reach us from caches
// of clusters whose CRD is older or looser, so every consumer parses before trusting one.
import { z } from 'zod';
import { MAX_SECURITY_GROUPS_PER_INTERFACE, SGP_GROUP, SGP_KIND, SGP_VERSION } from './constants.js';
import { isSecurityGroupId, securityGroupIdProblem } from './ids.js';
import { labelSelectorErrors, labelSelectorSchema, type LabelSelector } from './label-selector-schema.js';
import { objectMetaSchema, optional, type ObjectMeta } from './object-meta.js';
import { typeMetaErrors, zodErrors, type ParseResult } from './parse-result.js';

/** EC2's hard maximum of security groups on one network interface (the default quota is 5). */
export const MAX_GROUPS_PER_POLICY = MAX_SECURITY_GROUPS_PER_INTERFACE;

export const SGP_API_VERSION = `${SGP_GROUP}/${SGP_VERSION}`;

/** Which groups a policy gives: by ID, and (ours) by name or by tags in the cluster's VPC. */
export interface PolicySecurityGroups {
  groupIds?: string[];
  /** Group names, each resolved to the one group of that name in the cluster's VPC. */
  groupNames?: string[];
  /** Every group of the cluster's VPC carrying all of these tags (key: value). */
  groupTags?: Record<string, string>;
}

export interface SecurityGroupPolicySpec {
  podSelector?: LabelSelector;
  serviceAccountSelector?: LabelSelector;
  securityGroups?: PolicySecurityGroups;
}

/** One entry of status.conditions (the metav1.Condition shape). */
export interface PolicyCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Written by the controller through the status subresource. */
export interface SecurityGroupPolicyStatus {
  observedGeneration?: number;
  conditions?: PolicyCondition[];
  resolvedGroupIds?: string[];
  matchedPods?: number;
}

export interface SecurityGroupPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: SecurityGroupPolicySpec;
  status?: SecurityGroupPolicyStatus;
}

/** EC2's limits on a group name and on tag keys and values. */
const MAX_GROUP_NAME = 255;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

const specSchema = z.object({
  podSelector: optional(labelSelectorSchema),
  serviceAccountSelector: optional(labelSelectorSchema),
  securityGroups: z
    .object(
      {
        groupIds: optional(
          z
            .array(z.string())
            .min(1, 'must list at least one security group ID')
            .max(MAX_GROUPS_PER_POLICY, `must list at most ${MAX_GROUPS_PER_POLICY} security group IDs (EC2's hard maximum per network interface)`)
            .superRefine((ids, ctx) => {
              ids.forEach((id, i) => {
                if (!isSecurityGroupId(id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: securityGroupIdProblem(id) });
              });
            }),
        ),
        groupNames: optional(
          z
            .array(z.string().min(1, 'must not be empty').max(MAX_GROUP_NAME, `must be at most ${MAX_GROUP_NAME} characters (EC2's limit on a group name)`))
            .min(1, 'must list at least one security group name')
            .max(MAX_GROUPS_PER_POLICY, `must list at most ${MAX_GROUPS_PER_POLICY} security group names (EC2's hard maximum per network interface)`),
        ),
        groupTags: optional(
          z
            .record(z.string().max(MAX_TAG_VALUE, `must be at most ${MAX_TAG_VALUE} characters (EC2's limit on a tag value)`))
            .superRefine((tags, ctx) => {
              const keys = Object.keys(tags);
              if (keys.length === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must name at least one tag key when present' });
              for (const k of keys) {
                if (k === '' || k.length > MAX_TAG_KEY) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: `tag key must be 1 to ${MAX_TAG_KEY} characters` });
              }
            }),
        ),
      },
      { required_error: 'is required: the policy must give security groups in securityGroups.groupIds, groupNames or groupTags' },
    )
    .superRefine((sg, ctx) => {
      if (!sg.groupIds && !sg.groupNames && !sg.groupTags) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must give at least one of groupIds, groupNames or groupTags' });
        return;
      }
      // Each list alone is checked above; this is only about the two together.
      const named = (sg.groupIds?.length ?? 0) + (sg.groupNames?.length ?? 0);
      if (sg.groupIds && sg.groupNames && named > MAX_GROUPS_PER_POLICY) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `groupIds and groupNames together list ${named} groups, more than ${MAX_GROUPS_PER_POLICY} (EC2's hard maximum per network interface)`,
        });
      }
    }),
});

const policySchema = z.object({
  apiVersion: optional(z.string()),
  kind: optional(z.string()),
  metadata: objectMetaSchema,
  spec: specSchema,
  // The controller's own output: carried through as is, never validated against the spec rules.
  status: optional(z.record(z.unknown())),
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
