// What a pod asks the scheduler for, computed as kube-scheduler does: the sum over containers,
// raised to the largest init container (init containers run one at a time, before the others),
// plus pod overhead. A container that sets only a limit requests that limit (API defaulting).
import { tryParseQuantityMilli } from './quantity.js';
import type { ContainerLike, PodLike } from './types.js';

/** Resource name → amount in milli-units. Absent means zero. */
export type Requests = Map<string, number>;

function containerRequests(c: ContainerLike): Requests {
  const out: Requests = new Map();
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    const raw = requests[name] ?? limits[name];
    const v = tryParseQuantityMilli(raw);
    if (v !== undefined && v > 0) out.set(name, v);
  }
  return out;
}

export function podRequests(pod: PodLike): Requests {
  const total: Requests = new Map();
  for (const c of pod.spec?.containers ?? []) {
    for (const [k, v] of containerRequests(c)) total.set(k, (total.get(k) ?? 0) + v);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of containerRequests(c)) if (v > (total.get(k) ?? 0)) total.set(k, v);
  }
  for (const [k, raw] of Object.entries(pod.spec?.overhead ?? {})) {
    const v = tryParseQuantityMilli(raw);
    if (v !== undefined && v > 0) total.set(k, (total.get(k) ?? 0) + v);
  }
  return total;
}

/** Pods in a terminal phase hold nothing on their node; all others (incl. terminating ones) still do. */
export function isTerminal(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
