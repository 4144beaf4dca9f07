// Per-kind behaviour of built-in resources, after kube-apiserver's registry strategies:
// defaults and status reset on create, what an update may change, and field validation.
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import type { JsonObject, KubeObject } from './objects.js';
import { deepEqual, isObject, text } from './objects.js';
import type { ResourceDef } from './resources.js';
import { defaultCrd, validateCrd } from './crd-resources.js';
import { DNS_LABEL, defaultPodSpec, validateContainers } from './pod-spec.js';
import { RBAC_STRATEGIES } from './rbac-strategies.js';
import { WORKLOAD_STRATEGIES } from './workload-strategies.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function validQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (!prefix || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

/** Validation every object gets: name format, labels, annotations size. */
export function validateObjectMeta(def: ResourceDef, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  const labelStyleName = def.kind === 'Namespace' || def.kind === 'Node' ? false : true;
  if (!name) causes.push(fieldCause('FieldValueRequired', 'metadata.name', 'Required value: name or generateName is required'));
  else if (def.kind === 'Namespace') {
    if (!DNS_LABEL.test(name) || name.length > 63) {
      causes.push(fieldCause('FieldValueInvalid', 'metadata.name', `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`));
    }
  } else if (labelStyleName && (!DNS_SUBDOMAIN.test(name) || name.length > 253)) {
    causes.push(fieldCause('FieldValueInvalid', 'metadata.name', `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`));
  } else if (!labelStyleName && (!DNS_SUBDOMAIN.test(name) || name.length > 253)) {
    causes.push(fieldCause('FieldValueInvalid', 'metadata.name', `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`));
  }
  const labels = obj.metadata.labels;
  if (labels !== undefined && !isObject(labels)) causes.push(fieldCause('FieldValueTypeInvalid', 'metadata.labels', 'Invalid value: must be a map of strings'));
  for (const [k, v] of Object.entries(isObject(labels) ? labels : {})) {
    if (!validQualifiedName(k)) causes.push(fieldCause('FieldValueInvalid', 'metadata.labels', `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`));
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push(fieldCause('FieldValueInvalid', `metadata.labels`, `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`));
    }
  }
  const annotations = obj.metadata.annotations;
  if (annotations !== undefined && !isObject(annotations)) causes.push(fieldCause('FieldValueTypeInvalid', 'metadata.annotations', 'Invalid value: must be a map of strings'));
  let size = 0;
  for (const [k, v] of Object.entries(isObject(annotations) ? annotations : {})) {
    if (!validQualifiedName(k)) causes.push(fieldCause('FieldValueInvalid', 'metadata.annotations', `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`));
    if (typeof v !== 'string') causes.push(fieldCause('FieldValueTypeInvalid', `metadata.annotations.${k}`, 'Invalid value: must be a string'));
    size += k.length + String(v).length;
  }
  if (size > 256 * 1024) causes.push(fieldCause('FieldValueTooLong', 'metadata.annotations', 'Too long: must have at most 262144 bytes'));
  if (obj.metadata.finalizers !== undefined && (!Array.isArray(obj.metadata.finalizers) || obj.metadata.finalizers.some((f) => typeof f !== 'string'))) {
    causes.push(fieldCause('FieldValueTypeInvalid', 'metadata.finalizers', 'Invalid value: must be a list of strings'));
  }
  if (obj.metadata.ownerReferences !== undefined) {
    if (!Array.isArray(obj.metadata.ownerReferences)) causes.push(fieldCause('FieldValueTypeInvalid', 'metadata.ownerReferences', 'Invalid value: must be a list'));
    else
      obj.metadata.ownerReferences.forEach((r, i) => {
        for (const f of ['apiVersion', 'kind', 'name', 'uid'] as const) {
          if (!isObject(r) || typeof r[f] !== 'string' || r[f] === '') causes.push(fieldCause('FieldValueRequired', `metadata.ownerReferences[${i}].${f}`, 'Required value'));
        }
      });
  }
  return causes;
}

const NOT_READY_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

function qosClass(spec: JsonObject): string {
  const containers = (Array.isArray(spec.containers) ? spec.containers : []).filter(isObject);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = isObject(c.resources) ? c.resources : {};
    const req = isObject(res.requests) ? res.requests : {};
    const lim = isObject(res.limits) ? res.limits : {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

function defaultPod(pod: KubeObject): void {
  const spec = (pod.spec ??= {});
  defaultPodSpec(spec);
  if (spec.serviceAccountName === undefined) spec.serviceAccountName = typeof spec.serviceAccount === 'string' ? spec.serviceAccount : 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  if (spec.priority === undefined) spec.priority = 0;
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const t of NOT_READY_TOLERATIONS) {
    if (!tolerations.some((x) => isObject(x) && x.key === t.key && (x.effect === undefined || x.effect === t.effect))) tolerations.push({ ...t });
  }
  spec.tolerations = tolerations;
}

/** Pod updates may only change images, activeDeadlineSeconds, tolerations (additions) and a few more. */
function podSpecUpdateAllowed(oldSpec: JsonObject, newSpec: JsonObject): boolean {
  // Most updates leave the spec alone: compare serializations before building neutral copies.
  if (JSON.stringify(oldSpec) === JSON.stringify(newSpec)) return true;
  const neutral = (spec: JsonObject): JsonObject => {
    const c = structuredClone(spec);
    for (const list of ['containers', 'initContainers']) {
      if (Array.isArray(c[list])) for (const x of c[list] as unknown[]) if (isObject(x)) delete x.image;
    }
    delete c.activeDeadlineSeconds;
    delete c.tolerations;
    delete c.terminationGracePeriodSeconds;
    delete c.schedulingGates;
    return c;
  };
  return deepEqual(neutral(oldSpec), neutral(newSpec));
}

/** What a strategy may read besides the object: the other objects of its resource (e.g. allocated Service IPs). */
export interface StrategyContext {
  list(): KubeObject[];
}

export interface Strategy {
  /** metadata.generation is 1 on create and moves when anything but metadata and status changes. */
  generation?: boolean;
  /** Defaults and server-owned fields on create. */
  prepareForCreate?(obj: KubeObject, ctx?: StrategyContext): void;
  /** What an update through the main endpoint keeps from the old object. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject, old?: KubeObject, ctx?: StrategyContext): StatusCause[];
}

export const STRATEGIES: Record<string, Strategy> = {
  Pod: {
    prepareForCreate(pod) {
      defaultPod(pod);
      const status: JsonObject = { phase: 'Pending', qosClass: qosClass(pod.spec ?? {}) };
      pod.status = status;
    },
    validate(pod, old) {
      const causes: StatusCause[] = [];
      const spec = pod.spec;
      if (!isObject(spec)) return [fieldCause('FieldValueRequired', 'spec', 'Required value')];
      validateContainers(spec, 'spec', 'containers', true, causes);
      validateContainers(spec, 'spec', 'initContainers', false, causes);
      if (old && isObject(old.spec) && !podSpecUpdateAllowed(old.spec, spec)) {
        causes.push(
          fieldCause(
            'FieldValueForbidden',
            'spec',
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          ),
        );
      }
      return causes;
    },
  },
  Namespace: {
    prepareForCreate(ns) {
      ns.spec = { finalizers: ['kubernetes'], ...(ns.spec ?? {}) };
      ns.status = { phase: 'Active' };
      ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
    },
    prepareForUpdate(ns) {
      ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
    },
  },
  CustomResourceDefinition: {
    prepareForCreate(crd) {
      defaultCrd(crd);
    },
    prepareForUpdate(crd) {
      defaultCrd(crd);
    },
    validate: (crd) => validateCrd(crd),
  },
  MutatingWebhookConfiguration: { prepareForCreate: defaultWebhooks, prepareForUpdate: defaultWebhooks, validate: validateWebhooks },
  ValidatingWebhookConfiguration: { prepareForCreate: defaultWebhooks, prepareForUpdate: defaultWebhooks, validate: validateWebhooks },
  ...WORKLOAD_STRATEGIES,
  ...RBAC_STRATEGIES,
};

function defaultWebhooks(cfg: KubeObject): void {
  const mutating = cfg.kind === 'MutatingWebhookConfiguration';
  for (const w of Array.isArray(cfg.webhooks) ? cfg.webhooks : []) {
    if (!isObject(w)) continue;
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    for (const r of Array.isArray(w.rules) ? w.rules : []) if (isObject(r)) r.scope ??= '*';
    if (isObject(w.clientConfig) && isObject(w.clientConfig.service)) w.clientConfig.service.port ??= 443;
  }
}

function validateWebhooks(cfg: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const hooks = cfg.webhooks;
  if (hooks === undefined) return causes;
  if (!Array.isArray(hooks)) return [fieldCause('FieldValueTypeInvalid', 'webhooks', 'Invalid value: must be a list')];
  const names = new Set<string>();
  hooks.forEach((w, i) => {
    const at = `webhooks[${i}]`;
    if (!isObject(w)) return void causes.push(fieldCause('FieldValueTypeInvalid', at, 'Invalid value: must be an object'));
    if (typeof w.name !== 'string' || !w.name) causes.push(fieldCause('FieldValueRequired', `${at}.name`, 'Required value'));
    else if (names.has(w.name)) causes.push(fieldCause('FieldValueDuplicate', `${at}.name`, `Duplicate value: "${w.name}"`));
    else {
      names.add(w.name);
      if (w.name.split('.').length < 3) causes.push(fieldCause('FieldValueInvalid', `${at}.name`, `Invalid value: "${w.name}": should be a domain with at least three segments separated by dots`));
    }
    const cc = isObject(w.clientConfig) ? w.clientConfig : undefined;
    if (!cc || (cc.url === undefined && cc.service === undefined)) causes.push(fieldCause('FieldValueRequired', `${at}.clientConfig`, 'Required value: exactly one of url or service is required'));
    else if (cc.url !== undefined && cc.service !== undefined) causes.push(fieldCause('FieldValueRequired', `${at}.clientConfig`, 'Required value: exactly one of url or service is required'));
    else if (typeof cc.url === 'string' && !cc.url.startsWith('https://')) causes.push(fieldCause('FieldValueInvalid', `${at}.clientConfig.url`, `Invalid value: "${cc.url}": 'https' is the only allowed URL scheme`));
    const se = w.sideEffects;
    if (se === undefined) causes.push(fieldCause('FieldValueRequired', `${at}.sideEffects`, 'Required value: must specify one of None, NoneOnDryRun'));
    else if (se !== 'None' && se !== 'NoneOnDryRun') causes.push(fieldCause('FieldValueNotSupported', `${at}.sideEffects`, `Unsupported value: "${text(se)}": supported values: "None", "NoneOnDryRun"`));
    if (!Array.isArray(w.admissionReviewVersions) || w.admissionReviewVersions.length === 0) {
      causes.push(fieldCause('FieldValueRequired', `${at}.admissionReviewVersions`, 'Required value: must specify one of v1, v1beta1'));
    } else if (!w.admissionReviewVersions.includes('v1')) {
      causes.push(fieldCause('FieldValueInvalid', `${at}.admissionReviewVersions`, `Invalid value: ${JSON.stringify(w.admissionReviewVersions)}: must include at least one of v1`));
    }
    if (w.failurePolicy !== undefined && w.failurePolicy !== 'Fail' && w.failurePolicy !== 'Ignore') {
      causes.push(fieldCause('FieldValueNotSupported', `${at}.failurePolicy`, `Unsupported value: "${text(w.failurePolicy)}": supported values: "Fail", "Ignore"`));
    }
    if (typeof w.timeoutSeconds === 'number' && (w.timeoutSeconds < 1 || w.timeoutSeconds > 30)) {
      causes.push(fieldCause('FieldValueInvalid', `${at}.timeoutSeconds`, `Invalid value: ${w.timeoutSeconds}: the timeout value must be between 1 and 30 seconds`));
    }
  });
  return causes;
}
