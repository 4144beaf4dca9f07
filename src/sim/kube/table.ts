// Server-side printing: `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and
// prints the cells it gets. Columns follow kube-apiserver's printers for built-ins and the CRD's
// additionalPrinterColumns for custom resources.
import type { KubeObject, JsonObject } from './objects.js';
import { getPath, isObject, text } from './objects.js';
import type { PrinterColumn, ResourceDef } from './resources.js';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const col = (name: string, type = 'string', priority = 0, format = '', description = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});

const NAME = col('Name', 'string', 0, 'name', 'Name must be unique within a namespace.');
const AGE = col('Age', 'string', 0, '', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** k8s.io/apimachinery duration.HumanDuration: `45s`, `3m20s`, `2d5h`, `3y12d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const s = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : '<none>');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function podRow(o: KubeObject, now: number): unknown[] {
  const containers = arr(o.spec?.containers);
  const statuses = arr(o.status?.containerStatuses).filter(isObject);
  const ready = statuses.filter((c) => c.ready === true).length;
  const restarts = statuses.reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0);
  let reason = typeof o.status?.reason === 'string' ? o.status.reason : typeof o.status?.phase === 'string' ? o.status.phase : 'Unknown';
  for (const c of statuses) {
    const waiting = getPath(c, ['state', 'waiting', 'reason']);
    const terminated = getPath(c, ['state', 'terminated', 'reason']);
    if (typeof waiting === 'string' && waiting) reason = waiting;
    else if (typeof terminated === 'string' && terminated) reason = terminated;
  }
  if (o.metadata.deletionTimestamp) reason = o.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const gates = arr(o.spec?.readinessGates);
  return [
    o.metadata.name,
    `${ready}/${containers.length}`,
    reason,
    restarts,
    age(o.metadata.creationTimestamp, now),
    s(o.status?.podIP),
    s(o.spec?.nodeName),
    s(o.status?.nominatedNodeName),
    gates.length ? `0/${gates.length}` : '<none>',
  ];
}

function nodeRow(o: KubeObject, now: number): unknown[] {
  const conditions = arr(o.status?.conditions).filter(isObject);
  const readyCond = conditions.find((c) => c.type === 'Ready');
  const states = [readyCond ? (readyCond.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (o.spec?.unschedulable === true) states.push('SchedulingDisabled');
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  const addresses = arr(o.status?.addresses).filter(isObject);
  const addr = (t: string): string => s(addresses.find((a) => a.type === t)?.address);
  const info = isObject(o.status?.nodeInfo) ? o.status.nodeInfo : {};
  return [
    o.metadata.name,
    states.join(','),
    roles.length ? roles.sort().join(',') : '<none>',
    age(o.metadata.creationTimestamp, now),
    typeof info.kubeletVersion === 'string' ? info.kubeletVersion : '',
    addr('InternalIP'),
    addr('ExternalIP'),
    s(info.osImage),
    s(info.kernelVersion),
    s(info.containerRuntimeVersion),
  ];
}

function eventRow(o: KubeObject, now: number): unknown[] {
  const involved = isObject(o.involvedObject) ? o.involvedObject : {};
  const last = o.lastTimestamp ?? o.eventTime ?? o.firstTimestamp ?? o.metadata.creationTimestamp;
  return [
    age(last, now),
    o.type ?? '',
    o.reason ?? '',
    `${text(involved.kind ?? '').toLowerCase()}/${text(involved.name ?? '')}`,
    o.message ?? '',
  ];
}

interface Printer {
  columns: TableColumn[];
  row(o: KubeObject, now: number): unknown[];
}

const BUILTIN_PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 'string'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: podRow,
  },
  Node: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: nodeRow,
  },
  Namespace: { columns: [NAME, col('Status'), AGE], row: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp, now)] },
  ConfigMap: {
    columns: [NAME, col('Data', 'integer'), AGE],
    row: (o, now) => [o.metadata.name, Object.keys(isObject(o.data) ? o.data : {}).length + Object.keys(isObject(o.binaryData) ? o.binaryData : {}).length, age(o.metadata.creationTimestamp, now)],
  },
  ServiceAccount: { columns: [NAME, col('Secrets', 'integer'), AGE], row: (o, now) => [o.metadata.name, arr(o.secrets).length, age(o.metadata.creationTimestamp, now)] },
  Event: { columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')], row: eventRow },
  Lease: { columns: [NAME, col('Holder'), AGE], row: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)] },
  MutatingWebhookConfiguration: { columns: [NAME, col('Webhooks', 'integer'), AGE], row: (o, now) => [o.metadata.name, arr(o.webhooks).length, age(o.metadata.creationTimestamp, now)] },
  ValidatingWebhookConfiguration: { columns: [NAME, col('Webhooks', 'integer'), AGE], row: (o, now) => [o.metadata.name, arr(o.webhooks).length, age(o.metadata.creationTimestamp, now)] },
  CustomResourceDefinition: { columns: [NAME, col('Created At', 'date')], row: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''] },
  Service: { columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)], row: serviceRow },
  Secret: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    row: (o, now) => [o.metadata.name, o.type ?? '', Object.keys(isObject(o.data) ? o.data : {}).length, age(o.metadata.creationTimestamp, now)],
  },
  Deployment: {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: deploymentRow,
  },
  PodDisruptionBudget: {
    columns: [NAME, col('Min Available'), col('Max Unavailable'), col('Allowed Disruptions', 'integer'), AGE],
    row: (o, now) => [o.metadata.name, text(o.spec?.minAvailable ?? 'N/A'), text(o.spec?.maxUnavailable ?? 'N/A'), Number(o.status?.disruptionsAllowed ?? 0), age(o.metadata.creationTimestamp, now)],
  },
};

function selectorText(sel: unknown): string {
  const labels = isObject(sel) ? sel : {};
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${text(v)}`);
  return pairs.length ? pairs.join(',') : '<none>';
}

function serviceRow(o: KubeObject, now: number): unknown[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const ports = arr(spec.ports)
    .filter(isObject)
    .map((p) => `${text(p.port)}${p.nodePort !== undefined ? `:${text(p.nodePort)}` : ''}/${text(p.protocol ?? 'TCP')}`);
  const external = arr(spec.externalIPs).map(text);
  return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', external.length ? external.join(',') : '<none>', ports.length ? ports.join(',') : '<none>', age(o.metadata.creationTimestamp, now), selectorText(spec.selector)];
}

function deploymentRow(o: KubeObject, now: number): unknown[] {
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  const template = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {};
  const containers = arr(template.containers).filter(isObject);
  const selector = isObject(spec.selector) ? spec.selector.matchLabels : undefined;
  return [
    o.metadata.name,
    `${text(status.readyReplicas ?? 0)}/${text(spec.replicas ?? 0)}`,
    Number(status.updatedReplicas ?? 0),
    Number(status.availableReplicas ?? 0),
    age(o.metadata.creationTimestamp, now),
    containers.map((c) => text(c.name)).join(','),
    containers.map((c) => text(c.image)).join(','),
    selectorText(selector),
  ];
}

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };

/** Evaluates the simple JSONPath CRDs use (`.spec.a.b`, `.items[0].x`, `{.spec.a}`). */
export function evalJsonPath(obj: unknown, path: string): unknown {
  const p = path.trim().replace(/^\{/, '').replace(/\}$/, '');
  // Steps: `.field`, `[0]`, `['key']`, and the filter `[?(@.field=="value")]` (conditions by type),
  // which keeps the matching elements; the next step applies to the first of them, the one the
  // real server's table convertor prints.
  type Token = { filter: { key: string; value: string } } | { step: string };
  const tokens: Token[] = [...p.matchAll(/\.([^.[\]]+)|\[\?\(@\.([^=!<> ]+)\s*==\s*(?:"([^"]*)"|'([^']*)')\)\]|\[(\d+|'[^']*'|"[^"]*")\]/g)].map((m) =>
    m[2] !== undefined ? { filter: { key: m[2], value: m[3] ?? m[4] ?? '' } } : { step: m[1] ?? (m[5] ?? '').replace(/^['"]|['"]$/g, '') },
  );
  let cur: unknown = obj;
  for (const t of tokens) {
    if ('filter' in t) {
      if (!Array.isArray(cur)) return undefined;
      const { key, value } = t.filter;
      cur = cur.find((el) => isObject(el) && el[key] === value);
    } else if (Array.isArray(cur) && /^\d+$/.test(t.step)) cur = cur[Number(t.step)];
    else if (isObject(cur)) cur = cur[t.step];
    else return undefined;
  }
  return cur;
}

/** Cell for a CRD printer column, as apiextensions-apiserver's table convertor renders it. */
function crdCell(column: PrinterColumn, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case 'date':
      return typeof value === 'string' ? age(value, now) : null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function printerFor(def: ResourceDef): Printer {
  if (def.crd) {
    const extra = def.crd.printerColumns;
    const columns = [NAME, ...extra.map((c) => col(c.name, c.type === 'date' ? 'date' : c.type, c.priority ?? 0, c.format ?? '', c.description ?? ''))];
    return {
      columns,
      row: (o, now) => [o.metadata.name, ...extra.map((c) => crdCell(c, evalJsonPath(o, c.jsonPath), now))],
    };
  }
  return BUILTIN_PRINTERS[def.kind] ?? DEFAULT_PRINTER;
}

/** CRDs without printer columns get an Age column, as the real server defaults. */
export function defaultCrdPrinterColumns(columns: PrinterColumn[] | undefined): PrinterColumn[] {
  return columns && columns.length ? columns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
}

function rowObject(o: KubeObject, include: IncludeObject): JsonObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function buildTable(
  def: ResourceDef,
  objects: KubeObject[],
  opts: { include: IncludeObject; listMeta: JsonObject; noHeaders?: boolean; tableVersion?: string },
): JsonObject {
  const printer = printerFor(def);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.tableVersion ?? 'v1'}`,
    metadata: opts.listMeta,
    ...(opts.noHeaders ? {} : { columnDefinitions: printer.columns }),
    rows: objects.map((o) => {
      const obj = rowObject(o, opts.include);
      return { cells: printer.row(o, now), ...(obj ? { object: obj } : {}) };
    }),
  };
}
