// Strategies of the workload kinds an install uses (deploy/): apps/v1 Deployment, policy/v1
// PodDisruptionBudget, core Service and Secret. Defaults and validation after kube-apiserver's
// registry strategies and validation (pkg/apis/{apps,policy,core}/validation); nothing runs them
// (no Deployment controller, no endpoints): they are stored as a real server would store them.
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import type { JsonObject, KubeObject } from './objects.js';
import { deepEqual, isObject, text } from './objects.js';
import { DNS_LABEL, defaultPodSpec, validateContainers } from './pod-spec.js';
import type { Strategy, StrategyContext } from './strategies.js';

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** int or "N%" (0–100), non-negative; returns the problem or undefined. */
function intOrPercentProblem(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? undefined : 'must be greater than or equal to 0';
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v);
    if (!m) return "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
    return Number(m[1]) > 100 ? 'must not be greater than 100%' : undefined;
  }
  return 'must be an integer or percentage (e.g. 5 or 5%)';
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '0%';
}

/** A LabelSelector: matchLabels values and matchExpressions operators. */
function validateSelector(sel: unknown, path: string, causes: StatusCause[]): void {
  if (!isObject(sel)) return;
  for (const [k, v] of Object.entries(isObject(sel.matchLabels) ? sel.matchLabels : {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) causes.push(fieldCause('FieldValueInvalid', `${path}.matchLabels`, `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (key ${k})`));
  }
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((e, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!isObject(e)) return;
    const op = e.operator;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(text(op))) causes.push(fieldCause('FieldValueNotSupported', `${at}.operator`, `Unsupported value: "${text(op)}": supported values: "In", "NotIn", "Exists", "DoesNotExist"`));
    const values = Array.isArray(e.values) ? e.values : [];
    if ((op === 'In' || op === 'NotIn') && values.length === 0) causes.push(fieldCause('FieldValueRequired', `${at}.values`, 'Required value: must be specified when `operator` is \'In\' or \'NotIn\''));
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) causes.push(fieldCause('FieldValueForbidden', `${at}.values`, 'Forbidden: may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
  });
}

/** Whether the labels satisfy the selector (matchLabels and matchExpressions). */
function selectorMatches(sel: JsonObject, labels: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(isObject(sel.matchLabels) ? sel.matchLabels : {})) if (labels[k] !== v) return false;
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    if (!isObject(e)) continue;
    const key = text(e.key);
    const values = (Array.isArray(e.values) ? e.values : []).map(text);
    const has = key in labels;
    const ok =
      e.operator === 'In' ? has && values.includes(text(labels[key])) : e.operator === 'NotIn' ? !has || !values.includes(text(labels[key])) : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------- Deployment

function defaultDeployment(d: KubeObject): void {
  const spec = (d.spec ??= {});
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const strategy = isObject(spec.strategy) ? spec.strategy : (spec.strategy = {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  const template = isObject(spec.template) ? spec.template : undefined;
  if (template) {
    template.metadata ??= {};
    if (isObject(template.spec)) defaultPodSpec(template.spec);
  }
}

function validateDeployment(d: KubeObject, old?: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = d.spec;
  if (!isObject(spec)) return [fieldCause('FieldValueRequired', 'spec', 'Required value')];
  if (typeof spec.replicas !== 'number' || !Number.isInteger(spec.replicas) || spec.replicas < 0) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.replicas', `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`));
  }
  const sel = spec.selector;
  if (!isObject(sel) || (Object.keys(isObject(sel.matchLabels) ? sel.matchLabels : {}).length === 0 && !(Array.isArray(sel.matchExpressions) && sel.matchExpressions.length))) {
    causes.push(fieldCause('FieldValueRequired', 'spec.selector', 'Required value'));
    causes.push(fieldCause('FieldValueInvalid', 'spec.selector', 'Invalid value: "null": empty selector is invalid for deployment'));
  } else validateSelector(sel, 'spec.selector', causes);
  const template = isObject(spec.template) ? spec.template : undefined;
  const tmeta = template && isObject(template.metadata) ? template.metadata : {};
  const labels = isObject(tmeta.labels) ? tmeta.labels : {};
  if (isObject(sel) && !selectorMatches(sel, labels)) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.template.metadata.labels', `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``));
  }
  const podSpec = template && isObject(template.spec) ? template.spec : undefined;
  if (!podSpec) causes.push(fieldCause('FieldValueRequired', 'spec.template.spec', 'Required value'));
  else {
    validateContainers(podSpec, 'spec.template.spec', 'containers', true, causes);
    validateContainers(podSpec, 'spec.template.spec', 'initContainers', false, causes);
    if (podSpec.restartPolicy !== 'Always') causes.push(fieldCause('FieldValueNotSupported', 'spec.template.spec.restartPolicy', `Unsupported value: "${text(podSpec.restartPolicy)}": supported values: "Always"`));
  }
  const strategy = isObject(spec.strategy) ? spec.strategy : {};
  if (strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') {
    causes.push(fieldCause('FieldValueNotSupported', 'spec.strategy.type', `Unsupported value: "${text(strategy.type)}": supported values: "Recreate", "RollingUpdate"`));
  } else if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
    causes.push(fieldCause('FieldValueForbidden', 'spec.strategy.rollingUpdate', "Forbidden: may not be specified when strategy `type` is 'Recreate'"));
  } else if (isObject(strategy.rollingUpdate)) {
    const ru = strategy.rollingUpdate;
    for (const f of ['maxUnavailable', 'maxSurge']) {
      const p = intOrPercentProblem(ru[f]);
      if (p) causes.push(fieldCause('FieldValueInvalid', `spec.strategy.rollingUpdate.${f}`, `Invalid value: ${JSON.stringify(ru[f])}: ${p}`));
    }
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      causes.push(fieldCause('FieldValueInvalid', 'spec.strategy.rollingUpdate.maxUnavailable', `Invalid value: ${JSON.stringify(ru.maxUnavailable)}: may not be 0 when \`maxSurge\` is 0`));
    }
  }
  if (old && isObject(old.spec) && !deepEqual(old.spec.selector, spec.selector)) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.selector', `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`));
  }
  return causes;
}

// ---------------------------------------------------------------- PodDisruptionBudget

function validatePdb(pdb: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isObject(pdb.spec) ? pdb.spec : {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.push(fieldCause('FieldValueInvalid', 'spec', 'Invalid value: minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (spec[f] === undefined) continue;
    const p = intOrPercentProblem(spec[f]);
    if (p) causes.push(fieldCause('FieldValueInvalid', `spec.${f}`, `Invalid value: ${JSON.stringify(spec[f])}: ${p}`));
  }
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    causes.push(fieldCause('FieldValueNotSupported', 'spec.unhealthyPodEvictionPolicy', `Unsupported value: "${text(policy)}": supported values: "AlwaysAllow", "IfHealthyBudget"`));
  }
  validateSelector(spec.selector, 'spec.selector', causes);
  return causes;
}

// ---------------------------------------------------------------- Service

/** The Service CIDR: 10.96.0.0/12, as kubeadm and most distributions default it. */
const SERVICE_NET = { base: (10 << 24) | (96 << 16), size: 1 << 20 };

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function inServiceNet(ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n - SERVICE_NET.base >= 0 && n - SERVICE_NET.base < SERVICE_NET.size;
}

/** A free address of the Service CIDR, drawn at random like the real allocator (never .0, .1 or broadcast). */
function allocateClusterIp(taken: Set<string>): string {
  for (;;) {
    const offset = 2 + Math.floor(Math.random() * (SERVICE_NET.size - 3));
    const ip = intToIp(SERVICE_NET.base + offset);
    if (!taken.has(ip)) return ip;
  }
}

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function validTargetPort(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 65535;
  return typeof v === 'string' && IANA_SVC_NAME.test(v) && /[a-z]/.test(v) && !v.includes('--');
}

function defaultService(svc: KubeObject, taken: Set<string>): void {
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateClusterIp(taken);
    spec.clusterIPs ??= [spec.clusterIP];
    if (spec.clusterIP !== 'None' || spec.ipFamilies === undefined) spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isObject(p)) continue;
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  svc.status = { loadBalancer: {} };
}

function validateService(svc: KubeObject, old?: KubeObject, taken?: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isObject(svc.spec) ? svc.spec : {};
  const type = spec.type;
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(text(type))) {
    causes.push(fieldCause('FieldValueNotSupported', 'spec.type', `Unsupported value: "${text(type)}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`));
  }
  const headless = spec.clusterIP === 'None';
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && type !== 'ExternalName' && !headless) causes.push(fieldCause('FieldValueRequired', 'spec.ports', 'Required value'));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (!isObject(p)) return;
    if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) causes.push(fieldCause('FieldValueRequired', `${at}.name`, 'Required value'));
    if (typeof p.name === 'string' && p.name !== '') {
      if (!DNS_LABEL.test(p.name)) causes.push(fieldCause('FieldValueInvalid', `${at}.name`, `Invalid value: "${p.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`));
      else if (names.has(p.name)) causes.push(fieldCause('FieldValueDuplicate', `${at}.name`, `Duplicate value: "${p.name}"`));
      names.add(p.name);
    }
    if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      causes.push(fieldCause('FieldValueInvalid', `${at}.port`, `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive`));
    }
    if (!['TCP', 'UDP', 'SCTP'].includes(text(p.protocol))) causes.push(fieldCause('FieldValueNotSupported', `${at}.protocol`, `Unsupported value: "${text(p.protocol)}": supported values: "SCTP", "TCP", "UDP"`));
    if (!validTargetPort(p.targetPort)) causes.push(fieldCause('FieldValueInvalid', `${at}.targetPort`, `Invalid value: ${JSON.stringify(p.targetPort)}: must be a port number (1-65535) or an IANA service name`));
    const key = `${text(p.port)}/${text(p.protocol)}`;
    if (keys.has(key)) causes.push(fieldCause('FieldValueDuplicate', at, `Duplicate value: {"port":${text(p.port)},"protocol":"${text(p.protocol)}"}`));
    keys.add(key);
  });
  const ip = spec.clusterIP;
  if (typeof ip === 'string' && ip !== 'None' && type !== 'ExternalName') {
    if (!inServiceNet(ip)) causes.push(fieldCause('FieldValueInvalid', 'spec.clusterIPs', `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12`));
    else if (!old && taken?.has(ip)) causes.push(fieldCause('FieldValueInvalid', 'spec.clusterIPs', `Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`));
  }
  if (old && isObject(old.spec) && old.spec.clusterIP !== spec.clusterIP) {
    causes.push(fieldCause('FieldValueInvalid', 'spec.clusterIPs[0]', `Invalid value: ${JSON.stringify(spec.clusterIP ?? '')}: may not change once set`));
  }
  return causes;
}

function takenClusterIps(ctx: StrategyContext): Set<string> {
  const taken = new Set<string>();
  for (const s of ctx.list()) if (isObject(s.spec) && typeof s.spec.clusterIP === 'string') taken.add(s.spec.clusterIP);
  return taken;
}

// ---------------------------------------------------------------- Secret

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

/** stringData is write-only: merged into data (base64) and dropped, as on the real server. */
function defaultSecret(secret: KubeObject): void {
  secret.type ??= 'Opaque';
  // Stored as bytes and read back in canonical base64 (generators wrap lines; the decoder skips newlines).
  if (isObject(secret.data)) {
    for (const [k, v] of Object.entries(secret.data)) if (typeof v === 'string' && BASE64.test(v)) secret.data[k] = Buffer.from(v, 'base64').toString('base64');
  }
  if (isObject(secret.stringData)) {
    const data = isObject(secret.data) ? secret.data : (secret.data = {});
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(text(v), 'utf8').toString('base64');
  }
  delete secret.stringData;
}

function validateSecret(secret: KubeObject, old?: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const data = isObject(secret.data) ? secret.data : {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!SECRET_KEY.test(k)) causes.push(fieldCause('FieldValueInvalid', 'data', `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`));
    if (typeof v !== 'string' || !BASE64.test(v)) causes.push(fieldCause('FieldValueInvalid', `data[${k}]`, 'Invalid value: illegal base64 data'));
    else size += Buffer.from(v, 'base64').length;
  }
  if (size > 1024 * 1024) causes.push(fieldCause('FieldValueTooLong', 'data', 'Too long: may not be more than 1048576 bytes'));
  if (secret.type === 'kubernetes.io/tls') {
    for (const k of ['tls.crt', 'tls.key']) if (data[k] === undefined) causes.push(fieldCause('FieldValueRequired', `data[${k}]`, 'Required value'));
  }
  if (old) {
    if (old.type !== secret.type) causes.push(fieldCause('FieldValueInvalid', 'type', `Invalid value: "${text(secret.type)}": field is immutable`));
    if (old.immutable === true && (!deepEqual(old.data, secret.data) || secret.immutable !== true)) {
      causes.push(fieldCause('FieldValueForbidden', 'data', 'Forbidden: field is immutable when `immutable` is set'));
    }
  }
  return causes;
}

export const WORKLOAD_STRATEGIES: Record<string, Strategy> = {
  Deployment: {
    generation: true,
    prepareForCreate(d) {
      defaultDeployment(d);
      d.status = {};
    },
    prepareForUpdate: defaultDeployment,
    validate: validateDeployment,
  },
  PodDisruptionBudget: {
    generation: true,
    prepareForCreate(pdb) {
      pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
    validate: validatePdb,
  },
  Service: {
    prepareForCreate(svc, ctx) {
      defaultService(svc, ctx ? takenClusterIps(ctx) : new Set());
    },
    // Allocated values the update leaves out are kept (what `kubectl apply` relies on).
    prepareForUpdate(svc, old) {
      const spec = (svc.spec ??= {});
      const oldSpec = isObject(old.spec) ? old.spec : {};
      if ((spec.clusterIP === undefined || spec.clusterIP === '') && oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
      if (spec.clusterIPs === undefined && oldSpec.clusterIPs !== undefined) spec.clusterIPs = oldSpec.clusterIPs;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        spec.internalTrafficPolicy ??= 'Cluster';
        spec.ipFamilies ??= oldSpec.ipFamilies;
        spec.ipFamilyPolicy ??= oldSpec.ipFamilyPolicy;
      }
      for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
        if (!isObject(p)) continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
    },
    validate: (svc, old, ctx) => validateService(svc, old, ctx ? takenClusterIps(ctx) : undefined),
  },
  Secret: { prepareForCreate: defaultSecret, prepareForUpdate: defaultSecret, validate: validateSecret },
};
