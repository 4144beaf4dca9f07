// Pod spec defaulting and container validation shared by pods and the pod templates of workloads
// (after kube-apiserver's SetDefaults_PodSpec / SetDefaults_Container and ValidatePodSpec).
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import type { JsonObject } from './objects.js';
import { isObject, text } from './objects.js';

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function defaultContainer(c: unknown): void {
  if (!isObject(c)) return;
  if (c.terminationMessagePath === undefined) c.terminationMessagePath = '/dev/termination-log';
  if (c.terminationMessagePolicy === undefined) c.terminationMessagePolicy = 'File';
  if (c.resources === undefined) c.resources = {};
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const tag = /:([^/:]+)$/.exec(c.image.split('@')[0] ?? '')?.[1];
    c.imagePullPolicy = c.image.includes('@') || (tag && tag !== 'latest') ? 'IfNotPresent' : 'Always';
  }
  const res = isObject(c.resources) ? c.resources : undefined;
  // Requests default to limits when only limits are given, as the real defaulting does.
  if (res && isObject(res.limits)) {
    const requests = isObject(res.requests) ? res.requests : {};
    for (const [k, v] of Object.entries(res.limits)) if (requests[k] === undefined) requests[k] = v;
    res.requests = requests;
  }
}

/** Defaults of a pod spec, as for a pod and for a workload's pod template. */
export function defaultPodSpec(spec: JsonObject): void {
  if (spec.restartPolicy === undefined) spec.restartPolicy = 'Always';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (spec.dnsPolicy === undefined) spec.dnsPolicy = 'ClusterFirst';
  if (spec.schedulerName === undefined) spec.schedulerName = 'default-scheduler';
  if (spec.securityContext === undefined) spec.securityContext = {};
  for (const list of ['containers', 'initContainers']) {
    if (Array.isArray(spec[list])) (spec[list] as unknown[]).forEach(defaultContainer);
  }
}

/** Containers of a pod spec found at `path` (`spec`, `spec.template.spec`): names, images, extended resources. */
export function validateContainers(spec: JsonObject, path: string, list: string, required: boolean, causes: StatusCause[]): void {
  const containers = spec[list];
  if (containers === undefined) {
    if (required) causes.push(fieldCause('FieldValueRequired', `${path}.${list}`, 'Required value'));
    return;
  }
  if (!Array.isArray(containers)) {
    causes.push(fieldCause('FieldValueTypeInvalid', `${path}.${list}`, 'Invalid value: must be a list'));
    return;
  }
  if (required && containers.length === 0) causes.push(fieldCause('FieldValueRequired', `${path}.${list}`, 'Required value'));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${path}.${list}[${i}]`;
    if (!isObject(c)) {
      causes.push(fieldCause('FieldValueTypeInvalid', at, 'Invalid value: must be an object'));
      return;
    }
    if (typeof c.name !== 'string' || c.name === '') causes.push(fieldCause('FieldValueRequired', `${at}.name`, 'Required value'));
    else if (!DNS_LABEL.test(c.name)) causes.push(fieldCause('FieldValueInvalid', `${at}.name`, `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`));
    else if (seen.has(c.name)) causes.push(fieldCause('FieldValueDuplicate', `${at}.name`, `Duplicate value: "${c.name}"`));
    else seen.add(c.name);
    if (typeof c.image !== 'string' || c.image.trim() === '') causes.push(fieldCause('FieldValueRequired', `${at}.image`, 'Required value'));
    const res = isObject(c.resources) ? c.resources : {};
    const req = isObject(res.requests) ? res.requests : {};
    const lim = isObject(res.limits) ? res.limits : {};
    for (const [k, v] of Object.entries(req)) {
      // Extended resources (domain-qualified names) must have requests equal to limits.
      if (k.includes('/') && !k.startsWith('kubernetes.io/') && lim[k] !== undefined && text(lim[k]) !== String(v)) {
        causes.push(fieldCause('FieldValueInvalid', `${at}.resources.requests`, `Invalid value: "${String(v)}": must be equal to ${k} limit of ${text(lim[k])}`));
      }
    }
  });
}
