// Sandbox settings: from flags, from a YAML file, or both (flags win). Validation names the bad
// field and value; nothing is guessed.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface NodeGroupSpec {
  instanceType: string;
  count: number;
}

import type { CniMode, FeatureOrder } from '../kube/node-agent/cni-features.js';
export type { CniMode, FeatureOrder };

export interface SandboxSettings {
  nodes: NodeGroupSpec[];
  customNetworking: boolean;
  cniMode: CniMode;
  featureOrder: FeatureOrder;
  featureDelayMs: number;
  controller: boolean;
  kubeconfig?: string;
  throttle: 'aws' | 'off';
  timeScale: number;
  clusterName: string;
  /**
   * Security groups of the user's real account to make exist in the sandbox's EC2 under the same
   * IDs, so policies written for that account apply unchanged. By default the groups the
   * examples in docs/examples use.
   */
  securityGroups: string[];
}

/** The group IDs that docs/examples' SecurityGroupPolicies name. */
export const EXAMPLE_SECURITY_GROUPS: readonly string[] = ['sg-0a1b2c3d4e5f60718', 'sg-0123456789abcdef0', 'sg-0fedcba9876543210'];
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** "sg-a,sg-b" → IDs; each must look like an EC2 security group ID. */
export function parseSecurityGroupList(text: string): string[] {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) if (!SECURITY_GROUP_ID.test(id)) throw new Error(`invalid security group ID "${id}": expected sg- and 8 or 17 hex digits`);
  return [...new Set(ids)];
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  nodes: [{ instanceType: 'm5.large', count: 3 }],
  customNetworking: false,
  cniMode: 'cninode',
  featureOrder: 'cn-first',
  featureDelayMs: 0,
  controller: true,
  throttle: 'aws',
  timeScale: 1,
  clusterName: 'sandbox',
  securityGroups: [...EXAMPLE_SECURITY_GROUPS],
};

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** "m5.large=3,c5.xlarge=2" (a bare type means one node). */
export function parseNodesSpec(spec: string): NodeGroupSpec[] {
  const groups: NodeGroupSpec[] = [];
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (part === '') continue;
    const [type = '', countText, extra] = part.split('=');
    if (extra !== undefined || !INSTANCE_TYPE.test(type.trim())) {
      throw new Error(`invalid node group "${part}": expected <instance-type>=<count>, e.g. m5.large=3`);
    }
    const count = countText === undefined ? 1 : Number(countText);
    if (!Number.isInteger(count) || count < 0 || count > 5000) throw new Error(`invalid node count "${countText ?? ''}" for ${type}: expected an integer 0..5000`);
    groups.push({ instanceType: type.trim(), count });
  }
  return groups;
}

const nodesField = z.union([
  z.string().transform((s, ctx) => {
    try {
      return parseNodesSpec(s);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      return z.NEVER;
    }
  }),
  z.record(z.string().regex(INSTANCE_TYPE, 'must be an instance type like m5.large'), z.number().int().min(0).max(5000)).transform((r) =>
    Object.entries(r).map(([instanceType, count]) => ({ instanceType, count })),
  ),
  z.array(z.object({ instanceType: z.string().regex(INSTANCE_TYPE, 'must be an instance type like m5.large'), count: z.number().int().min(0).max(5000) }).strict()),
]);

export const sandboxFileSchema = z
  .object({
    nodes: nodesField.optional(),
    customNetworking: z.boolean().optional(),
    cniMode: z.enum(['cninode', 'label']).optional(),
    featureOrder: z.enum(['sgp-first', 'cn-first']).optional(),
    featureDelayMs: z.number().int().min(0).optional(),
    controller: z.boolean().optional(),
    kubeconfig: z.string().min(1).optional(),
    throttle: z.enum(['aws', 'off']).optional(),
    timeScale: z.number().positive().optional(),
    clusterName: z.string().regex(/^[a-zA-Z][-a-zA-Z0-9]{0,99}$/, 'must start with a letter; letters, digits and dashes').optional(),
    securityGroups: z.array(z.string().regex(SECURITY_GROUP_ID, 'must be a security group ID like sg-0123456789abcdef0')).optional(),
  })
  .strict();

export type SandboxFileSettings = z.infer<typeof sandboxFileSchema>;

/** Parses a sandbox YAML document; errors name the file and the field. */
export function parseSandboxConfig(text: string, source = 'config'): SandboxFileSettings {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`${source}: invalid YAML: ${(err as Error).message}`);
  }
  const result = sandboxFileSchema.safeParse(doc ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source}: ${issues.join('; ')}`);
  }
  return result.data;
}

export function loadSandboxConfigFile(path: string): SandboxFileSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read sandbox config ${path}: ${(err as Error).message}`);
  }
  return parseSandboxConfig(text, path);
}

/** Defaults, then the file, then the flags that were actually given. */
export function resolveSettings(file: SandboxFileSettings, flags: Partial<SandboxSettings>): SandboxSettings {
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return { ...DEFAULT_SETTINGS, ...defined(file), ...defined(flags) };
}
