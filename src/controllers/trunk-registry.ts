// What the node side knows about each node's trunk, shared with the pod side. The node
// reconciler publishes a node's trunk once it is attached and its capacity advertised; the pod
// reconciler allocates branch ENIs only on published trunks, and is told when one appears so
// that pods bound before their node's trunk was ready are handled at once.

export interface TrunkInfo {
  nodeName: string;
  instanceId: string;
  trunkEniId: string;
  /** Subnet of the trunk, where every branch ENI of this node goes (the ENIConfig's with custom networking). */
  subnetId: string;
  subnetCidr: string;
  subnetV6Cidr?: string;
  /** Groups a pod gets when no policy matches it: the trunk's groups. */
  defaultSecurityGroups: string[];
  /** Branch ENIs the trunk may hold (instance type's limit), counting those cooling down. */
  branchLimit: number;
}

export type TrunkListener = (info: TrunkInfo, event: 'ready' | 'removed') => void;

export class TrunkRegistry {
  private readonly trunks = new Map<string, TrunkInfo>();
  private readonly listeners: TrunkListener[] = [];

  /** Publish (or update) a node's ready trunk. Listeners hear 'ready' when it is new or changed. */
  publish(info: TrunkInfo): void {
    const before = this.trunks.get(info.nodeName);
    this.trunks.set(info.nodeName, info);
    if (!before || before.trunkEniId !== info.trunkEniId || before.branchLimit !== info.branchLimit) {
      this.emit(info, 'ready');
    }
  }

  /** Forget a node's trunk (node gone, or trunk no longer usable). */
  remove(nodeName: string): void {
    const before = this.trunks.get(nodeName);
    if (!before) return;
    this.trunks.delete(nodeName);
    this.emit(before, 'removed');
  }

  get(nodeName: string): TrunkInfo | undefined {
    return this.trunks.get(nodeName);
  }

  list(): TrunkInfo[] {
    return [...this.trunks.values()];
  }

  onChange(listener: TrunkListener): void {
    this.listeners.push(listener);
  }

  private emit(info: TrunkInfo, event: 'ready' | 'removed'): void {
    for (const l of this.listeners) l(info, event);
  }
}
