// The part of Kubernetes ObjectMeta the controller reads from custom objects. Custom objects
// arrive as plain JSON (client-node does not deserialize them), so timestamps stay strings.
import { z } from 'zod';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** `null` as Kubernetes JSON sometimes carries it means "absent". */
export const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const stringMap = z.record(z.string(), z.string({ invalid_type_error: 'values must be strings' }));

/** Validates the fields we rely on and keeps every other metadata field as it came. */
export const objectMetaSchema = z
  .object({
    name: z.string().min(1, 'must be a non-empty string'),
    namespace: optional(z.string()),
    labels: optional(stringMap),
    annotations: optional(stringMap),
  })
  .passthrough() as unknown as z.ZodType<ObjectMeta>;
