// What the local API server serves: one ResourceDef per group/version/resource. Built-ins are
// listed here; CustomResourceDefinitions add theirs at run time (crd-resources.ts).
import type { JsonObject, KubeObject } from './objects.js';
import { getPath, isObject } from './objects.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources besides the object itself: `status`, `binding` (pods). */
  subresources: string[];
  verbs: string[];
  /** Objects of resources sharing a storage key live in one store (core and events.k8s.io events). */
  storageKey: string;
  /** Fields usable in field selectors, with how to read them. */
  selectableFields: Record<string, (obj: KubeObject) => string | undefined>;
  /** Fields kept in an index for selector look-ups (besides the namespace). */
  indexedFields: string[];
  /** Whether strategic merge patch is accepted (built-ins only, as on the real server). */
  strategicMerge: boolean;
  /** Set for CRD-backed resources. */
  crd?: {
    crdName: string;
    /** The version objects are stored in; others are converted by rewriting apiVersion. */
    storageVersion: string;
    schema?: JsonObject;
    printerColumns: PrinterColumn[];
    preserveUnknownFields: boolean;
  };
  /** Converts stored objects to this resource's wire form and back (events.k8s.io/v1 over core events). */
  view?: { fromStorage(obj: KubeObject): KubeObject; toStorage(obj: KubeObject): KubeObject };
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function hasStatus(def: ResourceDef): boolean {
  return def.subresources.includes('status');
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const metaFields: Record<string, (obj: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

function builtin(
  partial: Partial<ResourceDef> & Pick<ResourceDef, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'>,
): ResourceDef {
  return {
    listKind: `${partial.kind}List`,
    singular: partial.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ALL_VERBS,
    storageKey: `${partial.group}/${partial.plural}`,
    selectableFields: metaFields,
    indexedFields: [],
    strategicMerge: true,
    ...partial,
  };
}

function eventSource(o: KubeObject): JsonObject | undefined {
  const s = o.source;
  return isObject(s) ? s : undefined;
}

/** core/v1 events, stored form. */
const coreEventFields: Record<string, (obj: KubeObject) => string | undefined> = {
  ...metaFields,
  'involvedObject.kind': (o) => str(getPath(o, ['involvedObject', 'kind'])),
  'involvedObject.namespace': (o) => str(getPath(o, ['involvedObject', 'namespace'])),
  'involvedObject.name': (o) => str(getPath(o, ['involvedObject', 'name'])),
  'involvedObject.uid': (o) => str(getPath(o, ['involvedObject', 'uid'])),
  'involvedObject.apiVersion': (o) => str(getPath(o, ['involvedObject', 'apiVersion'])),
  'involvedObject.resourceVersion': (o) => str(getPath(o, ['involvedObject', 'resourceVersion'])),
  'involvedObject.fieldPath': (o) => str(getPath(o, ['involvedObject', 'fieldPath'])),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(eventSource(o)?.component),
  type: (o) => str(o.type),
};

/** events.k8s.io/v1 names for the same fields (the object is read in stored, core form). */
const eventsV1Fields: Record<string, (obj: KubeObject) => string | undefined> = {
  ...metaFields,
  'regarding.kind': coreEventFields['involvedObject.kind']!,
  'regarding.namespace': coreEventFields['involvedObject.namespace']!,
  'regarding.name': coreEventFields['involvedObject.name']!,
  'regarding.uid': coreEventFields['involvedObject.uid']!,
  'regarding.apiVersion': coreEventFields['involvedObject.apiVersion']!,
  'regarding.resourceVersion': coreEventFields['involvedObject.resourceVersion']!,
  'regarding.fieldPath': coreEventFields['involvedObject.fieldPath']!,
  reason: coreEventFields.reason!,
  reportingController: coreEventFields.reportingComponent!,
  'deprecatedSource.component': coreEventFields.source!,
  type: coreEventFields.type!,
};

const RENAMES: [core: string, v1: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function renameKeys(obj: KubeObject, pairs: [string, string][], apiVersion: string): KubeObject {
  const out: KubeObject = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

export const eventsV1View = {
  fromStorage: (obj: KubeObject): KubeObject => renameKeys(obj, RENAMES, 'events.k8s.io/v1'),
  toStorage: (obj: KubeObject): KubeObject =>
    renameKeys(
      obj,
      RENAMES.map(([a, b]) => [b, a]),
      'v1',
    ),
};

export function builtinResources(): ResourceDef[] {
  return [
    builtin({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status'], selectableFields: { ...metaFields, 'status.phase': (o) => str(o.status?.phase) } }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Node',
      plural: 'nodes',
      namespaced: false,
      shortNames: ['no'],
      subresources: ['status'],
      selectableFields: { ...metaFields, 'spec.unschedulable': (o) => String(o.spec?.unschedulable === true) },
    }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Pod',
      plural: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: ['status', 'binding'],
      indexedFields: ['spec.nodeName'],
      selectableFields: {
        ...metaFields,
        'spec.nodeName': (o) => str(o.spec?.nodeName) ?? '',
        'spec.restartPolicy': (o) => str(o.spec?.restartPolicy),
        'spec.schedulerName': (o) => str(o.spec?.schedulerName),
        'spec.serviceAccountName': (o) => str(o.spec?.serviceAccountName),
        'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
        'status.phase': (o) => str(o.status?.phase),
        'status.podIP': (o) => str(o.status?.podIP),
        'status.nominatedNodeName': (o) => str(o.status?.nominatedNodeName),
      },
    }),
    builtin({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
    builtin({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
    builtin({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'], storageKey: 'events', selectableFields: coreEventFields }),
    builtin({
      group: 'events.k8s.io',
      version: 'v1',
      kind: 'Event',
      plural: 'events',
      namespaced: true,
      shortNames: ['ev'],
      storageKey: 'events',
      selectableFields: eventsV1Fields,
      view: eventsV1View,
    }),
    builtin({ group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
    builtin({
      group: '',
      version: 'v1',
      kind: 'Secret',
      plural: 'secrets',
      namespaced: true,
      selectableFields: { ...metaFields, type: (o) => str(o.type) },
    }),
    builtin({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true }),
    // What an install uses (deploy/): workloads, their disruption budget and RBAC. There is no
    // Deployment controller: objects are stored and validated as the real server does, not run.
    builtin({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status'] }),
    builtin({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'] }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true }),
    builtin({ group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false }),
    builtin({ group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false }),
    // `kubectl auth whoami`: create-only, answered from the request's identity, never stored.
    builtin({ group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] }),
    builtin({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: ['status'],
    }),
  ];
}
