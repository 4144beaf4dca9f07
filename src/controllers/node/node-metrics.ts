// Node-side metrics: nodes by state, trunk initialisation time, drift. Reconcile outcomes are the
// work queue's (vpcrc_workqueue_reconcile_duration_seconds{name="node",outcome}).
import { counter, gauge, histogram, type Registry } from '../../observability/metrics.js';

/** Where a node stands, as the node reconciler last saw it. */
export type NodeState =
  | 'ineligible'
  | 'waiting-eniconfig'
  | 'invalid-eniconfig'
  | 'unsupported'
  | 'refused'
  | 'initializing'
  | 'failed'
  | 'ready'
  | 'instance-missing';

export const NODE_STATES: readonly NodeState[] = [
  'ineligible',
  'waiting-eniconfig',
  'invalid-eniconfig',
  'unsupported',
  'refused',
  'initializing',
  'failed',
  'ready',
  'instance-missing',
];

export interface NodeMetrics {
  setState(node: string, state: NodeState | undefined): void;
  trunkInit(seconds: number, result: 'created' | 'reused'): void;
  drift(kind: 'subnet' | 'groups', node: string, drifting: boolean): void;
  driftFixed(): void;
}

export function nodeMetrics(registry: Registry | undefined): NodeMetrics {
  const states = new Map<string, NodeState>();
  const drifting = { subnet: new Set<string>(), groups: new Set<string>() };
  if (!registry) {
    return { setState: () => {}, trunkInit: () => {}, drift: () => {}, driftFixed: () => {} };
  }
  const byState = gauge(registry, { name: 'vpcrc_nodes', help: 'Nodes by trunk state, as last reconciled', labelNames: ['state'] });
  for (const s of NODE_STATES) byState.set({ state: s }, 0);
  const init = histogram(registry, {
    name: 'vpcrc_trunk_init_duration_seconds',
    help: 'From first seeing a node eligible (with its ENIConfig settled) to its trunk advertised',
    labelNames: ['result'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
  });
  const driftGauge = gauge(registry, { name: 'vpcrc_trunk_drift_nodes', help: "Nodes whose trunk differs from their ENIConfig's subnet or groups", labelNames: ['kind'] });
  driftGauge.set({ kind: 'subnet' }, 0);
  driftGauge.set({ kind: 'groups' }, 0);
  const driftFixed = counter(registry, { name: 'vpcrc_trunk_drift_fixed_total', help: 'Trunk security groups updated in place (--fix-trunk-security-groups)' });
  return {
    setState(node, state) {
      const before = states.get(node);
      if (before === state) return;
      if (before) byState.dec({ state: before });
      if (state) {
        states.set(node, state);
        byState.inc({ state });
      } else states.delete(node);
    },
    trunkInit: (s, result) => init.observe({ result }, s),
    drift(kind, node, isDrifting) {
      const set = drifting[kind];
      if (isDrifting) set.add(node);
      else set.delete(node);
      driftGauge.set({ kind }, set.size);
    },
    driftFixed: () => driftFixed.inc(),
  };
}
