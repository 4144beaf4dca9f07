// The pod side's metrics, registered on the controller's one registry.
import { counter, gauge, histogram, type Registry } from '../../observability/metrics.js';

export interface PodSideMetrics {
  /** Scheduled → annotated, seconds. */
  timeToAnnotation(seconds: number): void;
  allocated(count: number): void;
  allocationFailure(step: string): void;
  released(count: number, result: 'deleted' | 'not-found'): void;
  releaseFailure(): void;
  /** A pod matching a policy without the pod-eni request (the backstop). */
  missingResource(namespace: string): void;
  quotaExceeded(): void;
  /** Branch ENIs per phase across nodes. */
  branches(active: number, cooling: number): void;
  gcOrphans(count: number): void;
  /** Nodes whose branch state is rebuilt and ready for allocations. */
  stateNodes(count: number): void;
  /** A pod's branch ENI came from the warm pool ('hit') or had to be created with reuse on ('miss'). */
  reuse(result: 'hit' | 'miss'): void;
  /** A warm ENI deleted to free its slot for a pod of another group set. */
  warmEvicted(): void;
  /** A warm ENI deleted because its warm time was up (or its node went). */
  warmExpired(): void;
  /** A warm top-up (warm minimum) created, or failed and rolled back. */
  warmTopUp(result: 'created' | 'failed'): void;
  /** Warm ENIs per node (nodes not listed are set to 0 when they were listed before). */
  warm(byNode: ReadonlyMap<string, number>): void;
  /** A running pod's branch ENI got a new group set in place (live policies). */
  groupsUpdated(result: 'ok' | 'error'): void;
  /** A branch ENI not deleted: a live pod names it, or its tags do not say we own it (delete-guard.ts). */
  deleteRefused(reason: string, path: string): void;
  /** The repair pass fixed an annotated pod's branch ENI (repair.ts). */
  repaired(problem: string): void;
}

export function podSideMetrics(registry: Registry): PodSideMetrics {
  const tta = histogram(registry, {
    name: 'vpcrc_pod_time_to_annotation_seconds',
    help: 'Time from a pod being scheduled to its pod-eni annotation being written',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
  });
  const allocated = counter(registry, { name: 'vpcrc_branch_enis_allocated_total', help: 'Branch ENIs created and associated for pods' });
  const allocFail = counter(registry, {
    name: 'vpcrc_branch_allocation_failures_total',
    help: 'Failed branch ENI allocations by step (create, associate, permission, annotate, capacity)',
    labelNames: ['step'],
  });
  const released = counter(registry, { name: 'vpcrc_branch_enis_released_total', help: 'Branch ENIs deleted after cooldown', labelNames: ['result'] });
  const releaseFail = counter(registry, { name: 'vpcrc_branch_release_failures_total', help: 'Branch ENI releases that failed and will be retried' });
  const missing = counter(registry, {
    name: 'vpcrc_pods_missing_pod_eni_resource_total',
    help: 'Pods that match a SecurityGroupPolicy but do not request vpc.amazonaws.com/pod-eni (webhook down or bypassed)',
    labelNames: ['namespace'],
  });
  const quota = counter(registry, { name: 'vpcrc_security_group_quota_exceeded_total', help: 'Pods whose matching policies give more groups than the per-interface quota' });
  const branches = gauge(registry, { name: 'vpcrc_branch_enis', help: 'Branch ENIs known to the controller by phase', labelNames: ['phase'] });
  const orphans = counter(registry, { name: 'vpcrc_branch_gc_orphans_total', help: 'Branch ENIs without a live pod found by the periodic GC pass' });
  const stateNodes = gauge(registry, {
    name: 'vpcrc_branch_state_nodes',
    help: 'Nodes whose branch ENI state is rebuilt (from EC2 and pod annotations) and ready for allocations',
  });
  const reuse = counter(registry, { name: 'vpcrc_branch_eni_reuse_total', help: 'Branch ENIs for pods taken from the warm pool (hit) or created with reuse on (miss)', labelNames: ['result'] });
  const evicted = counter(registry, { name: 'vpcrc_branch_eni_warm_evictions_total', help: 'Warm branch ENIs deleted to free their slot for a pod of another group set' });
  const expired = counter(registry, { name: 'vpcrc_branch_eni_warm_expired_total', help: 'Warm branch ENIs deleted when their warm time was up' });
  const topUps = counter(registry, {
    name: 'vpcrc_branch_eni_warm_topups_total',
    help: 'Branch ENIs created (background pool) to keep the warm minimum per node and recently used group set, by result (created, failed)',
    labelNames: ['result'],
  });
  const warm = gauge(registry, { name: 'vpcrc_branch_enis_warm', help: 'Warm branch ENIs (kept for reuse) by node', labelNames: ['node'] });
  const updated = counter(registry, { name: 'vpcrc_branch_eni_group_updates_total', help: 'In-place security group updates of running pods branch ENIs (live policies)', labelNames: ['result'] });
  const refused = counter(registry, {
    name: 'vpcrc_branch_delete_refused_total',
    help: 'Branch ENI deletions called off at the last check: a live pod names the ENI (API server read) or its tags do not say this cluster owns it',
    labelNames: ['reason', 'path'],
  });
  const repaired = counter(registry, {
    name: 'vpcrc_branch_repairs_total',
    help: 'Annotated pods branch ENIs the repair pass fixed, by problem (wrong-groups, unassociated, missing, misassociated)',
    labelNames: ['problem'],
  });
  const warmNodes = new Set<string>();
  return {
    timeToAnnotation: (s) => tta.observe(Math.max(0, s)),
    allocated: (n) => allocated.inc(n),
    allocationFailure: (step) => allocFail.inc({ step }),
    released: (n, result) => released.inc({ result }, n),
    releaseFailure: () => releaseFail.inc(),
    missingResource: (namespace) => missing.inc({ namespace }),
    quotaExceeded: () => quota.inc(),
    branches: (active, cooling) => {
      branches.set({ phase: 'active' }, active);
      branches.set({ phase: 'cooling' }, cooling);
    },
    gcOrphans: (n) => orphans.inc(n),
    stateNodes: (n) => stateNodes.set(n),
    reuse: (result) => reuse.inc({ result }),
    warmEvicted: () => evicted.inc(),
    warmExpired: () => expired.inc(),
    warmTopUp: (result) => topUps.inc({ result }),
    warm: (byNode) => {
      for (const n of warmNodes) if (!byNode.has(n)) warm.set({ node: n }, 0);
      for (const [node, count] of byNode) {
        warm.set({ node }, count);
        warmNodes.add(node);
      }
    },
    groupsUpdated: (result) => updated.inc({ result }),
    deleteRefused: (reason, path) => refused.inc({ reason, path }),
    repaired: (problem) => repaired.inc({ problem }),
  };
}
