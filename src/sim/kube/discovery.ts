// Discovery documents (/api, /apis, group and group-version resource lists, /version) and the
// OpenAPI v3 documents kubectl reads: each PATCH operation carries its group-version-kind and the
// `fieldValidation` parameter, so kubectl leaves validation to the server (`fieldValidation=Strict`).
import { createHash } from 'node:crypto';
import { CONTROLLER_VERSION } from '../../version.js';
import type { JsonObject } from './objects.js';
import { apiVersionOf, type ResourceDef } from './resources.js';

export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

export function versionInfo(): JsonObject {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: `${KUBE_VERSION.gitVersion}+vpcrc.${CONTROLLER_VERSION}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0), v];
  };
  const [sa, ma, na, ra] = parse(a);
  const [sb, mb, nb, rb] = parse(b);
  if (sa !== sb) return sb - sa;
  if (sa === 0) return ra.localeCompare(rb);
  if (ma !== mb) return mb - ma;
  return nb - na;
}

export function apiVersions(hostPort: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
}

function groupVersions(defs: readonly ResourceDef[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const d of defs) {
    if (!d.group) continue;
    const versions = groups.get(d.group) ?? [];
    if (!versions.includes(d.version)) versions.push(d.version);
    groups.set(d.group, versions);
  }
  for (const v of groups.values()) v.sort(compareKubeVersions);
  return groups;
}

function apiGroup(name: string, versions: string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(defs: readonly ResourceDef[]): JsonObject {
  const groups = [...groupVersions(defs)].map(([name, versions]) => apiGroup(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(defs: readonly ResourceDef[], group: string): JsonObject | undefined {
  const versions = groupVersions(defs).get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } : undefined;
}

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest('base64').slice(0, 11);
}

export function apiResourceList(defs: readonly ResourceDef[], group: string, version: string): JsonObject | undefined {
  const matching = defs.filter((d) => d.group === group && d.version === version);
  if (matching.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const d of matching) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
      ...(d.categories.length ? { categories: d.categories } : {}),
      storageVersionHash: storageVersionHash(d),
    });
    for (const sub of d.subresources) {
      resources.push(
        sub === 'binding'
          ? { name: `${d.plural}/binding`, singularName: '', namespaced: d.namespaced, kind: 'Binding', verbs: ['create'] }
          : { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] },
      );
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

// ---------------------------------------------------------------- OpenAPI

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function docHash(defs: readonly ResourceDef[], group: string, version: string, generation: number): string {
  const ids = defs
    .filter((d) => d.group === group && d.version === version)
    .map((d) => `${d.plural}:${d.kind}:${JSON.stringify(d.crd?.schema ?? null)}`)
    .join('|');
  return createHash('sha512').update(`${ids}#${generation}`).digest('hex').slice(0, 32).toUpperCase();
}

/** `/openapi/v3`: one entry per group-version, with a hash kubectl uses as a cache key. */
export function openApiV3Root(defs: readonly ResourceDef[], generation: number): JsonObject {
  const paths: JsonObject = {};
  const seen = new Set<string>();
  for (const d of defs) {
    const key = gvPath(d.group, d.version);
    if (seen.has(key)) continue;
    seen.add(key);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${docHash(defs, d.group, d.version, generation)}` };
  }
  return { paths };
}

const QUERY = (name: string, description: string): JsonObject => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });

/** `/openapi/v3/apis/<g>/<v>`: paths with PATCH operations (gvk + fieldValidation) and schemas for CRDs. */
export function openApiV3GroupVersion(defs: readonly ResourceDef[], group: string, version: string): JsonObject | undefined {
  const matching = defs.filter((d) => d.group === group && d.version === version);
  if (matching.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  const prefix = `/${gvPath(group, version)}`;
  for (const d of matching) {
    const gvk = [{ group: d.group, version: d.version, kind: d.kind }];
    const itemPath = d.namespaced ? `${prefix}/namespaces/{namespace}/${d.plural}/{name}` : `${prefix}/${d.plural}/{name}`;
    const params = [QUERY('dryRun', 'When present, indicates that modifications should not be persisted.'), QUERY('fieldManager', 'A name associated with the actor or entity that is making these changes.'), QUERY('fieldValidation', 'Ignore, Warn or Strict: how the server handles unknown or duplicate fields.')];
    const op = (id: string): JsonObject => ({
      operationId: `${id}${d.kind}`,
      'x-kubernetes-action': id === 'patch' ? 'patch' : id === 'replace' ? 'put' : 'get',
      'x-kubernetes-group-version-kind': gvk[0],
      parameters: params,
      responses: { '200': { description: 'OK' } },
    });
    paths[itemPath] = { get: op('read'), put: op('replace'), patch: op('patch') };
    if (d.crd?.schema) {
      const name = `${[...d.group.split('.')].reverse().join('.')}.${d.version}.${d.kind}`;
      schemas[name] = { ...d.crd.schema, 'x-kubernetes-group-version-kind': gvk };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion }, paths, components: { schemas } };
}
