// Pods (keys) kept waiting because their node's trunk had no free branch ENI. The pod reconciler
// adds them; the branch releaser wakes them when an ENI on that node is deleted, so they do not wait
// for their periodic re-check.

export class CapacityWaiters {
  private readonly byNode = new Map<string, Set<string>>();

  wait(nodeName: string, podKey: string): void {
    let waiting = this.byNode.get(nodeName);
    if (!waiting) this.byNode.set(nodeName, (waiting = new Set()));
    waiting.add(podKey);
  }

  /** Whether a pod waits for a slot on the node (warm top-ups leave such a node alone). */
  has(nodeName: string): boolean {
    return (this.byNode.get(nodeName)?.size ?? 0) > 0;
  }

  /** The pods waiting on a node, forgotten here (the caller enqueues them). */
  take(nodeName: string): string[] {
    const waiting = this.byNode.get(nodeName);
    if (!waiting) return [];
    this.byNode.delete(nodeName);
    return [...waiting];
  }
}
