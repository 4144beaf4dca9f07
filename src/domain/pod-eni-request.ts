// How many branch ENIs a pod asks for: its effective request of the extended resource
// vpc.amazonaws.com/pod-eni, computed as the scheduler does (the larger of the sum over
// containers and the largest init container). For extended resources a limit without a
// request means a request equal to the limit.
import { RESOURCE_POD_ENI } from '../apis/constants.js';
import type { ParseResult } from '../apis/parse-result.js';

interface ContainerResources {
  name?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | null;
}

export interface PodResourceFacts {
  containers?: readonly ContainerResources[] | null;
  initContainers?: readonly ContainerResources[] | null;
}

function amount(c: ContainerResources, where: string, errors: string[]): number {
  const raw = c.resources?.requests?.[RESOURCE_POD_ENI] ?? c.resources?.limits?.[RESOURCE_POD_ENI];
  if (raw === undefined || raw === null) return 0;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d+$/.test(text.trim())) {
    errors.push(`${where}.resources ${RESOURCE_POD_ENI}: ${JSON.stringify(raw)} is not a whole number`);
    return 0;
  }
  return Number(text.trim());
}

/** Branch ENIs the pod spec asks for (0 when it does not ask), or why the request is unreadable. */
export function podEniRequest(spec: PodResourceFacts | undefined | null): ParseResult<number> {
  const errors: string[] = [];
  const sum = (spec?.containers ?? []).reduce((n, c, i) => n + amount(c, `spec.containers[${i}]`, errors), 0);
  const init = (spec?.initContainers ?? []).reduce((m, c, i) => Math.max(m, amount(c, `spec.initContainers[${i}]`, errors)), 0);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: Math.max(sum, init) };
}
