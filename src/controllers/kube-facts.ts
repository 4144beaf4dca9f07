// Adapters from @kubernetes/client-node objects to the small fact shapes the pure domain
// functions take, so the domain never depends on the client library.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeFacts } from '../domain/node-eligibility.js';
import type { PodFacts } from '../domain/sgp-matching.js';

export function podFacts(pod: V1Pod): PodFacts {
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    labels: pod.metadata?.labels ?? {},
    serviceAccountName: pod.spec?.serviceAccountName ?? null,
    hostNetwork: pod.spec?.hostNetwork ?? false,
  };
}

export function nodeFacts(node: V1Node): NodeFacts & { annotations: Record<string, string> } {
  return {
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
    providerID: node.spec?.providerID ?? null,
  };
}
