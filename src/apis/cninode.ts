// CNINode (vpcresources.k8s.aws/v1alpha1): one per Node, same name. The VPC CNI writes the
// features it wants; the controller creates the object when missing and owns tags and status.
import { z } from 'zod';
import {
  CNINODE_GROUP,
  CNINODE_KIND,
  CNINODE_VERSION,
  FEATURE_CUSTOM_NETWORKING,
  FEATURE_SECURITY_GROUPS_FOR_PODS,
} from './constants.js';
import { objectMetaSchema, optional, type ObjectMeta } from './object-meta.js';
import { typeMetaErrors, zodErrors, type ParseResult } from './parse-result.js';

export const CNINODE_API_VERSION = `${CNINODE_GROUP}/${CNINODE_VERSION}`;

export type KnownFeatureName = typeof FEATURE_SECURITY_GROUPS_FOR_PODS | typeof FEATURE_CUSTOM_NETWORKING;

export interface CNINodeFeature {
  /** SecurityGroupsForPods or CustomNetworking; other names are kept but ignored (newer CNIs). */
  name: string;
  /** For CustomNetworking, the ENIConfig name; empty otherwise. */
  value?: string;
}

export interface CNINodeTrunkStatus {
  id: string;
  subnetID?: string;
  securityGroups?: string[];
  deviceIndex?: number;
  macAddress?: string;
}

export interface CNINode {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { features?: CNINodeFeature[]; tags?: Record<string, string> };
  status?: { trunkInterface?: CNINodeTrunkStatus };
}

const cniNodeSchema = z.object({
  apiVersion: optional(z.string()),
  kind: optional(z.string()),
  metadata: objectMetaSchema,
  spec: optional(
    z.object({
      features: optional(
        z.array(z.object({ name: z.string().min(1, 'must be a non-empty string'), value: optional(z.string()) })),
      ),
      tags: optional(z.record(z.string(), z.string({ invalid_type_error: 'values must be strings' }))),
    }),
  ),
  status: optional(
    z
      .object({
        trunkInterface: optional(
          z.object({
            id: z.string().min(1, 'must be a non-empty string'),
            subnetID: optional(z.string()),
            securityGroups: optional(z.array(z.string())),
            deviceIndex: optional(z.number().int()),
            macAddress: optional(z.string()),
          }),
        ),
      })
      .passthrough(),
  ),
});

/**
 * Validate an object claimed to be a CNINode. Only structure is checked: feature names the
 * contract does not know are kept (a newer CNI may add some), and what a feature's value means
 * is judged by ENIConfig resolution, which can say what to fix.
 */
export function parseCNINode(obj: unknown): ParseResult<CNINode> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: ['(root): a CNINode must be an object'] };
  }
  const parsed = cniNodeSchema.safeParse(obj);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
  const value: CNINode = parsed.data;
  const errors = typeMetaErrors(value, CNINODE_KIND, CNINODE_API_VERSION);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

/** The CNINode's features as the domain wants them; tolerant of a missing spec. */
export function cniNodeFeatures(node: Pick<CNINode, 'spec'> | undefined | null): CNINodeFeature[] {
  return node?.spec?.features ?? [];
}

export function hasFeature(features: readonly CNINodeFeature[], name: KnownFeatureName): boolean {
  return features.some((f) => f.name === name);
}
