// The scheduler's decision for one pod, pure: run kube-scheduler's filters in its order
// (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit) over every node, keep the
// first failure per node, then either pick the least-allocated feasible node or explain why none fits.
import { failedSchedulingMessage, type NodeFailure } from './failed-scheduling-message.js';
import { isTerminal, podRequests, type Requests } from './pod-requests.js';
import { tryParseQuantityMilli } from './quantity.js';
import type { NodeLike, NodeSelectorRequirement, PodLike, Taint, Toleration } from './types.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export const REASON_UNSCHEDULABLE_NODE = 'node(s) were unschedulable';
export const REASON_NODE_SELECTOR = "node(s) didn't match Pod's node affinity/selector";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const reasonUntoleratedTaint = (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
export const reasonInsufficient = (resource: string): string => `Insufficient ${resource}`;

/** A node with what is already placed on it (non-terminal pods, including ones bound but not yet seen by the cache). */
export interface NodeInfo {
  name: string;
  node: NodeLike;
  /** status.allocatable parsed once (milli-units). */
  allocatable: Requests;
  /** effectiveTaints(node), derived once per pass rather than once per pod. */
  taints: Taint[];
  requested: Requests;
  podCount: number;
}

function parseAllocatable(node: NodeLike): Requests {
  const out: Requests = new Map();
  for (const [k, v] of Object.entries(node.status?.allocatable ?? {})) {
    const q = tryParseQuantityMilli(v);
    if (q !== undefined) out.set(k, q);
  }
  return out;
}

export function buildNodeInfos(nodes: readonly NodeLike[], pods: readonly PodLike[]): NodeInfo[] {
  const byName = new Map<string, NodeInfo>();
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (name) byName.set(name, { name, node, allocatable: parseAllocatable(node), taints: effectiveTaints(node), requested: new Map(), podCount: 0 });
  }
  for (const pod of pods) {
    const info = byName.get(pod.spec?.nodeName ?? '');
    if (!info || isTerminal(pod)) continue;
    addPod(info, podRequests(pod));
  }
  return [...byName.values()];
}

/** Accounts a newly placed pod on a node (the scheduler's "assume" step). */
export function addPod(info: NodeInfo, req: Requests): void {
  info.podCount += 1;
  for (const [k, v] of req) info.requested.set(k, (info.requested.get(k) ?? 0) + v);
}

/**
 * Taints the node effectively has. Kubernetes' node lifecycle controller taints a node that is
 * not Ready; the sandbox has no such controller, so the scheduler derives those taints here.
 */
export function effectiveTaints(node: NodeLike): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const derived = ready?.status === 'True' ? undefined : ready?.status === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
  if (derived && !taints.some((t) => t.key === derived)) taints.push({ key: derived, effect: 'NoSchedule' });
  return taints;
}

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    const op = t.operator || 'Equal';
    if (op === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function requirementMatches(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(value as string);
    case 'NotIn':
      return !has || !values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const a = Number(value);
      const b = Number(values[0]);
      if (!has || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function matchesNodeSelection(pod: PodLike, node: NodeLike): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    // Terms are ORed; the requirements within a term are ANDed; an empty term matches nothing.
    return terms.some((t) => (t.matchExpressions ?? []).length > 0 && (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels)));
  }
  return true;
}

function allocatable(info: NodeInfo, resource: string): number {
  return info.allocatable.get(resource) ?? 0;
}

/** NodeResourcesFit: every reason that applies, in kube-scheduler's order (pods, cpu, memory, ephemeral-storage, others by name). */
function insufficientResources(req: Requests, info: NodeInfo): string[] {
  const reasons: string[] = [];
  if (info.podCount + 1 > allocatable(info, 'pods') / 1000) reasons.push(REASON_TOO_MANY_PODS);
  const first = ['cpu', 'memory', 'ephemeral-storage'];
  const names = [...first.filter((r) => req.has(r)), ...[...req.keys()].filter((r) => !first.includes(r)).sort()];
  for (const r of names) {
    const want = req.get(r) ?? 0;
    if (want > 0 && want > allocatable(info, r) - (info.requested.get(r) ?? 0)) reasons.push(reasonInsufficient(r));
  }
  return reasons;
}

export type NodeVerdict = { fits: true } | ({ fits: false } & NodeFailure);

export function filterNode(pod: PodLike, req: Requests, info: NodeInfo): NodeVerdict {
  const node = info.node;
  if (node.spec?.unschedulable && !tolerates(pod.spec?.tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) {
    return { fits: false, reasons: [REASON_UNSCHEDULABLE_NODE], resolvable: false };
  }
  const untolerated = info.taints.find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod.spec?.tolerations, t),
  );
  if (untolerated) return { fits: false, reasons: [reasonUntoleratedTaint(untolerated)], resolvable: false };
  if (!matchesNodeSelection(pod, node)) return { fits: false, reasons: [REASON_NODE_SELECTOR], resolvable: false };
  const insufficient = insufficientResources(req, info);
  if (insufficient.length > 0) return { fits: false, reasons: insufficient, resolvable: true };
  return { fits: true };
}

/** LeastAllocated over cpu and memory after placing the pod: higher is emptier. */
function score(req: Requests, info: NodeInfo): number {
  let total = 0;
  for (const r of ['cpu', 'memory']) {
    const alloc = allocatable(info, r);
    if (alloc <= 0) continue;
    total += (alloc - (info.requested.get(r) ?? 0) - (req.get(r) ?? 0)) / alloc;
  }
  return total;
}

export type ScheduleDecision =
  | { kind: 'bind'; nodeName: string }
  | { kind: 'unschedulable'; message: string; failures: Map<string, NodeFailure> };

/** `req` is the pod's podRequests, when the caller has them already (it accounts the placement with them). */
export function decideSchedule(pod: PodLike, nodes: readonly NodeInfo[], req: Requests = podRequests(pod)): ScheduleDecision {
  const failures = new Map<string, NodeFailure>();
  let best: { info: NodeInfo; score: number } | undefined;
  for (const info of nodes) {
    const verdict = filterNode(pod, req, info);
    if (!verdict.fits) {
      failures.set(info.name, { reasons: verdict.reasons, resolvable: verdict.resolvable });
      continue;
    }
    const s = score(req, info);
    // Ties go to fewer pods, then to the name, so that decisions are reproducible.
    if (
      !best ||
      s > best.score ||
      (s === best.score && (info.podCount < best.info.podCount || (info.podCount === best.info.podCount && info.name < best.info.name)))
    ) {
      best = { info, score: s };
    }
  }
  if (best) return { kind: 'bind', nodeName: best.info.name };
  return { kind: 'unschedulable', message: failedSchedulingMessage(nodes.length, [...failures.values()]), failures };
}
