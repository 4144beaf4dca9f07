// ENIConfig (crd.k8s.amazonaws.com/v1alpha1): owned by the VPC CNI, read only here. Its IDs
// go straight into EC2 calls for the trunk ENI, so they are checked before any call is made.
import { z } from 'zod';
import { ENICONFIG_GROUP, ENICONFIG_KIND, ENICONFIG_VERSION } from './constants.js';
import { isSecurityGroupId, isSubnetId, securityGroupIdProblem, subnetIdProblem } from './ids.js';
import { objectMetaSchema, optional, type ObjectMeta } from './object-meta.js';
import { typeMetaErrors, zodErrors, type ParseResult } from './parse-result.js';

export const ENICONFIG_API_VERSION = `${ENICONFIG_GROUP}/${ENICONFIG_VERSION}`;

export interface ENIConfigSpec {
  subnet: string;
  securityGroups?: string[];
}

export interface ENIConfig {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: ENIConfigSpec;
}

const eniConfigSchema = z.object({
  apiVersion: optional(z.string()),
  kind: optional(z.string()),
  metadata: objectMetaSchema,
  spec: z.object(
    {
      subnet: z.string({ required_error: 'is required: the ENIConfig must name the subnet for pod ENIs' }),
      securityGroups: optional(z.array(z.string())),
    },
    { required_error: 'is required: the ENIConfig must have spec.subnet' },
  ),
});

/**
 * Validate an object claimed to be an ENIConfig, including the subnet and security group ID
 * formats (the CRD deliberately stores malformed ones so they can be reported on the node).
 */
export function parseENIConfig(obj: unknown): ParseResult<ENIConfig> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: ['(root): an ENIConfig must be an object'] };
  }
  const parsed = eniConfigSchema.safeParse(obj);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
  const value: ENIConfig = parsed.data;
  const errors = typeMetaErrors(value, ENICONFIG_KIND, ENICONFIG_API_VERSION);
  if (!isSubnetId(value.spec.subnet)) {
    errors.push(
      value.spec.subnet === '' ? 'spec.subnet: must not be empty' : `spec.subnet: ${subnetIdProblem(value.spec.subnet)}`,
    );
  }
  (value.spec.securityGroups ?? []).forEach((id, i) => {
    if (!isSecurityGroupId(id)) errors.push(`spec.securityGroups[${i}]: ${securityGroupIdProblem(id)}`);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
