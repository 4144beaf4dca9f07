// kube-scheduler's FailedScheduling message (FitError.Error() in 1.32), in one pure function:
//   0/<N> nodes are available: <count reason, ...>. preemption: 0/<N> nodes are available: <count reason, ...>.
// Each node contributes its failure reasons; identical reasons are counted; the "<count> <reason>"
// strings are sorted as strings (so "1 node(s)..." sorts before "2 Insufficient cpu") and joined by ", ".
// The preemption part says, per node, whether evicting lower-priority pods could ever help: not for
// unresolvable failures (taints, selectors, cordons), and with no lower-priority pods to evict (the
// sandbox never preempts) "No preemption victims found" for the resolvable ones (resources).

export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

export interface NodeFailure {
  /** Reasons reported by the first failing filter, e.g. ["Insufficient cpu", "Insufficient memory"]. */
  reasons: readonly string[];
  /** True when freeing resources on the node could make the pod fit (Unschedulable vs UnschedulableAndUnresolvable). */
  resolvable: boolean;
}

function histogram(reasons: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
}

export function failedSchedulingMessage(numAllNodes: number, failures: readonly NodeFailure[]): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE_MESSAGE;
  const head = `0/${numAllNodes} nodes are available`;
  let msg = `${head}:`;
  const filter = histogram(failures.flatMap((f) => f.reasons));
  if (filter) msg += ` ${filter}.`;
  const preemption = histogram(failures.map((f) => (f.resolvable ? NO_PREEMPTION_VICTIMS : PREEMPTION_NOT_HELPFUL)));
  if (preemption) msg += ` preemption: ${head}: ${preemption}.`;
  return msg;
}
