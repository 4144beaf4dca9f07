// CustomResourceDefinitions: validating the CRD object, filling in its status (Established,
// acceptedNames) and turning each served version into a ResourceDef the server routes to.
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import type { JsonObject, KubeObject } from './objects.js';
import { isObject, nowRfc3339 } from './objects.js';
import type { PrinterColumn, ResourceDef } from './resources.js';
import { defaultCrdPrinterColumns } from './table.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface CrdNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonObject };
  subresources?: { status?: JsonObject; scale?: JsonObject };
  additionalPrinterColumns?: PrinterColumn[];
}

function specOf(crd: KubeObject): { group: string; names: CrdNames; scope: string; versions: CrdVersion[]; preserveUnknownFields: boolean } {
  const spec = crd.spec ?? {};
  return {
    group: typeof spec.group === 'string' ? spec.group : '',
    names: isObject(spec.names) ? (spec.names) : {},
    scope: typeof spec.scope === 'string' ? spec.scope : '',
    versions: Array.isArray(spec.versions) ? (spec.versions.filter(isObject)) : [],
    preserveUnknownFields: spec.preserveUnknownFields === true,
  };
}

/** Defaults applied on create/update: listKind, singular, served flags... as the real server does. */
export function defaultCrd(crd: KubeObject): void {
  const spec = crd.spec;
  if (!spec) return;
  const names = isObject(spec.names) ? spec.names : undefined;
  if (names) {
    if (typeof names.kind === 'string' && names.listKind === undefined) names.listKind = `${names.kind}List`;
    if (typeof names.kind === 'string' && names.singular === undefined) names.singular = names.kind.toLowerCase();
  }
  if (spec.conversion === undefined) spec.conversion = { strategy: 'None' };
}

/** Field errors in a CRD, named like the real server (`spec.names.plural: Required value`). */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const { group, names, scope, versions } = specOf(crd);
  if (!group) causes.push(fieldCause('FieldValueRequired', 'spec.group', 'Required value'));
  else if (!DNS_SUBDOMAIN.test(group) || !group.includes('.')) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.group', `Invalid value: "${group}": should be a domain with at least one dot`));
  }
  if (!names.plural) causes.push(fieldCause('FieldValueRequired', 'spec.names.plural', 'Required value'));
  else if (!DNS_LABEL.test(names.plural)) causes.push(fieldCause('FieldValueInvalid', 'spec.names.plural', `Invalid value: "${names.plural}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`));
  if (!names.kind) causes.push(fieldCause('FieldValueRequired', 'spec.names.kind', 'Required value'));
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    causes.push(fieldCause('FieldValueNotSupported', 'spec.scope', `Unsupported value: "${scope}": supported values: "Cluster", "Namespaced"`));
  }
  if (versions.length === 0) causes.push(fieldCause('FieldValueRequired', 'spec.versions', 'Required value'));
  if (versions.filter((v) => v.storage === true).length !== 1 && versions.length > 0) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.versions', 'Invalid value: must have exactly one version marked as storage version'));
  }
  versions.forEach((v, i) => {
    if (!v.name) causes.push(fieldCause('FieldValueRequired', `spec.versions[${i}].name`, 'Required value'));
    if (!v.schema?.openAPIV3Schema) causes.push(fieldCause('FieldValueRequired', `spec.versions[${i}].schema.openAPIV3Schema`, 'Required value: schemas are required'));
  });
  if (names.plural && group && crd.metadata.name !== `${names.plural}.${group}`) {
    causes.push(fieldCause('FieldValueInvalid', 'metadata.name', `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`));
  }
  return causes;
}

/** The status a freshly accepted CRD gets: names accepted, established, storedVersions. */
export function establishedStatus(crd: KubeObject, previous?: JsonObject): JsonObject {
  const { names, versions } = specOf(crd);
  const now = nowRfc3339();
  const stored = new Set<string>(Array.isArray(previous?.storedVersions) ? previous.storedVersions.map(String) : []);
  for (const v of versions) if (v.storage && v.name) stored.add(v.name);
  const condition = (type: string, reason: string, message: string): JsonObject => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? names.kind?.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind ?? ''}List`,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
    },
    conditions: [condition('NamesAccepted', 'NoConflicts', 'no conflicts found'), condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    storedVersions: [...stored],
  };
}

/** One ResourceDef per served version of the CRD. */
export function crdResourceDefs(crd: KubeObject): ResourceDef[] {
  const { group, names, scope, versions, preserveUnknownFields } = specOf(crd);
  if (!group || !names.plural || !names.kind) return [];
  return versions
    .filter((v) => v.served !== false && v.name)
    .map((v) => ({
      group,
      version: v.name as string,
      kind: names.kind as string,
      listKind: names.listKind ?? `${names.kind}List`,
      plural: names.plural as string,
      singular: names.singular ?? (names.kind as string).toLowerCase(),
      namespaced: scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      subresources: v.subresources?.status !== undefined ? ['status'] : [],
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      storageKey: `${group}/${names.plural}`,
      selectableFields: {
        'metadata.name': (o: KubeObject) => o.metadata.name,
        'metadata.namespace': (o: KubeObject) => o.metadata.namespace ?? '',
      },
      indexedFields: [],
      strategicMerge: false,
      crd: {
        crdName: crd.metadata.name ?? '',
        storageVersion: versions.find((x) => x.storage === true)?.name ?? (v.name as string),
        ...(v.schema?.openAPIV3Schema ? { schema: v.schema.openAPIV3Schema } : {}),
        printerColumns: defaultCrdPrinterColumns(v.additionalPrinterColumns),
        preserveUnknownFields,
      },
    }));
}
