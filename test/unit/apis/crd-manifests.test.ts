import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CNINODE_GROUP,
  CNINODE_KIND,
  CNINODE_PLURAL,
  CNINODE_SHORT_NAME,
  CNINODE_VERSION,
  ENICONFIG_GROUP,
  ENICONFIG_KIND,
  ENICONFIG_PLURAL,
  ENICONFIG_VERSION,
  FEATURE_CUSTOM_NETWORKING,
  FEATURE_SECURITY_GROUPS_FOR_PODS,
  SECURITY_GROUP_ID_PATTERN,
  SGP_GROUP,
  SGP_KIND,
  SGP_PLURAL,
  SGP_SHORT_NAME,
  SGP_VERSION,
} from '../../../src/apis/constants.js';
import { defaultCrdDir, loadCrdManifests } from '../../../src/apis/crd-manifests.js';

type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
};
interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; listKind: string; shortNames?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: Record<string, unknown>;
      additionalPrinterColumns?: { name: string; jsonPath: string; type: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

const crds = loadCrdManifests() as unknown as Crd[];
const byKind = (kind: string): Crd => {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd;
};
const at = (schema: Schema, path: string): Schema =>
  path.split('.').reduce<Schema>((s, key) => {
    const next = key === '[]' ? s.items : s.properties?.[key];
    if (!next) throw new Error(`schema has no ${path} (stopped at ${key})`);
    return next;
  }, schema);

/** Structural schema rule: every node specifies a type (or explicitly preserves unknown fields). */
function untypedNodes(schema: Schema, path = ''): string[] {
  const out: string[] = [];
  if (typeof schema.type !== 'string' && schema['x-kubernetes-preserve-unknown-fields'] !== true) out.push(path || '(root)');
  for (const [key, child] of Object.entries(schema.properties ?? {})) out.push(...untypedNodes(child, `${path}.${key}`));
  if (schema.items) out.push(...untypedNodes(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') out.push(...untypedNodes(schema.additionalProperties, `${path}{}`));
  return out;
}

describe('loadCrdManifests', () => {
  it('finds the repo crds/ directory from the module location', () => {
    expect(defaultCrdDir()).toMatch(/[/\\]crds$/);
  });

  it.each<[string, string, string, string, string, 'Namespaced' | 'Cluster']>([
    [SGP_KIND, SGP_GROUP, SGP_VERSION, SGP_PLURAL, 'securitygrouppolicy', 'Namespaced'],
    [CNINODE_KIND, CNINODE_GROUP, CNINODE_VERSION, CNINODE_PLURAL, 'cninode', 'Cluster'],
    [ENICONFIG_KIND, ENICONFIG_GROUP, ENICONFIG_VERSION, ENICONFIG_PLURAL, 'eniconfig', 'Cluster'],
  ])('%s: names, group, version and scope as upstream', (kind, group, version, plural, singular, scope) => {
    const crd = byKind(kind);
    expect(crd.metadata.name).toBe(`${plural}.${group}`);
    expect(crd.spec.group).toBe(group);
    expect(crd.spec.scope).toBe(scope);
    expect(crd.spec.names).toMatchObject({ kind, plural, singular, listKind: `${kind}List` });
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([[version, true, true]]);
  });

  it('loads exactly the three CRDs', () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual([CNINODE_KIND, ENICONFIG_KIND, SGP_KIND].sort());
  });

  it.each([SGP_KIND, CNINODE_KIND, ENICONFIG_KIND])('%s schema is structural (every level typed)', (kind) => {
    expect(untypedNodes(byKind(kind).spec.versions[0]!.schema.openAPIV3Schema)).toEqual([]);
  });

  it('SecurityGroupPolicy: short name, printer columns, status subresource, group ID rules, names and tags, selector operators', () => {
    const crd = byKind(SGP_KIND);
    const v = crd.spec.versions[0]!;
    expect(crd.spec.names.shortNames).toEqual([SGP_SHORT_NAME]);
    // The upstream column first, then ours from the status.
    expect(v.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath, c.type])).toEqual([
      ['Security-Group-Ids', '.spec.securityGroups.groupIds', 'string'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status', 'string'],
      ['Reason', '.status.conditions[?(@.type=="Ready")].reason', 'string'],
      ['Pods', '.status.matchedPods', 'integer'],
      ['Resolved-Groups', '.status.resolvedGroupIds', 'string'],
      ['Age', '.metadata.creationTimestamp', 'date'],
    ]);
    expect(v.subresources).toEqual({ status: {} });
    expect(at(v.schema.openAPIV3Schema, 'spec.securityGroups.groupNames')).toMatchObject({ type: 'array', minItems: 1, maxItems: 16 });
    expect(at(v.schema.openAPIV3Schema, 'spec.securityGroups.groupTags')).toMatchObject({ type: 'object', minProperties: 1, additionalProperties: { type: 'string' } });
    expect(Object.keys(at(v.schema.openAPIV3Schema, 'status').properties ?? {}).sort()).toEqual(['conditions', 'matchedPods', 'observedGeneration', 'resolvedGroupIds']);
    const ids = at(v.schema.openAPIV3Schema, 'spec.securityGroups.groupIds');
    expect(ids).toMatchObject({ type: 'array', minItems: 1, maxItems: 16 });
    expect(ids.items).toMatchObject({ type: 'string', pattern: SECURITY_GROUP_ID_PATTERN });
    for (const sel of ['podSelector', 'serviceAccountSelector']) {
      expect(at(v.schema.openAPIV3Schema, `spec.${sel}.matchExpressions.[].operator`).enum).toEqual([
        'In',
        'NotIn',
        'Exists',
        'DoesNotExist',
      ]);
      expect(at(v.schema.openAPIV3Schema, `spec.${sel}.matchLabels`).additionalProperties).toEqual({ type: 'string' });
    }
  });

  it('CNINode: short name, status subresource, feature enum, tags map, Features column', () => {
    const crd = byKind(CNINODE_KIND);
    const v = crd.spec.versions[0]!;
    expect(crd.spec.names.shortNames).toEqual([CNINODE_SHORT_NAME]);
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath])).toEqual([['Features', '.spec.features']]);
    expect(at(v.schema.openAPIV3Schema, 'spec.features.[].name').enum).toEqual([
      FEATURE_SECURITY_GROUPS_FOR_PODS,
      FEATURE_CUSTOM_NETWORKING,
    ]);
    expect(at(v.schema.openAPIV3Schema, 'spec.tags').additionalProperties).toEqual({ type: 'string' });
  });

  it('ENIConfig: subnet required, security groups a string list', () => {
    const spec = at(byKind(ENICONFIG_KIND).spec.versions[0]!.schema.openAPIV3Schema, 'spec');
    expect(spec.required).toEqual(['subnet']);
    expect(at(spec, 'securityGroups')).toEqual(expect.objectContaining({ type: 'array', items: { type: 'string' } }));
  });

  it('reads multi-document files from another directory and skips empty documents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crds-'));
    writeFileSync(join(dir, 'a.yaml'), 'kind: CustomResourceDefinition\nmetadata: {name: a}\n---\nkind: CustomResourceDefinition\nmetadata: {name: b}\n---\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(loadCrdManifests(dir).map((c) => (c.metadata as { name: string }).name)).toEqual(['a', 'b']);
  });

  it.each([
    ['bad.yaml', 'kind: [unclosed', /bad\.yaml: invalid YAML/],
    ['pod.yaml', 'kind: Pod\n', /pod\.yaml: expected a CustomResourceDefinition/],
  ])('names the file when %s is not a CRD', (file, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'crds-'));
    writeFileSync(join(dir, file), text);
    expect(() => loadCrdManifests(dir)).toThrow(message);
  });
});
