// Each node's branch state, rebuilt once per trunk from EC2 and the pod annotations (rebuild.ts)
// before anything is allocated on it; the EC2 side comes from one cluster-wide snapshot the first
// time (branch-snapshot.ts), so a restart costs O(branch ENIs / page) describes. Concurrent callers share one rebuild; a failed rebuild is
// tried again by the next caller; a new trunk ID on the node starts over, handing the old trunk's
// ENIs to the releaser.
import type { BranchBook, ReleaseItem } from '../../domain/branch-book.js';
import type { NodeBranchState } from '../../domain/branch-state.js';
import type { TrunkInfo } from '../trunk-registry.js';
import type { TrunkBranchSource } from './branch-snapshot.js';
import { rebuildNode, type RebuildDeps } from './rebuild.js';

export interface NodeStatesDeps extends RebuildDeps {
  book: BranchBook;
  /** Where each trunk's branch ENIs come from (the start-up snapshot, then per-trunk describes). */
  branches: Pick<TrunkBranchSource, 'branchesOf'>;
  /** ENIs the rebuild (or a replaced trunk) handed over for release. */
  handOver(items: readonly ReleaseItem[]): void;
  /** Told how many nodes have their state rebuilt (a restart is over when all have). */
  rebuiltNodes?(count: number): void;
}

export class NodeStates {
  /** Per node: the rebuild in progress or done for its current trunk. */
  private readonly rebuilds = new Map<string, { trunkEniId: string; done: Promise<void> }>();
  private readonly rebuilt = new Set<string>();

  constructor(private readonly deps: NodeStatesDeps) {}

  /** The node's state for its current trunk, rebuilt from EC2 and annotations the first time. */
  async stateFor(trunk: TrunkInfo): Promise<NodeBranchState> {
    const { book } = this.deps;
    const cur = this.rebuilds.get(trunk.nodeName);
    if (!cur || cur.trunkEniId !== trunk.trunkEniId) {
      const dropped = book.node(trunk.nodeName) && book.node(trunk.nodeName)?.trunkEniId !== trunk.trunkEniId;
      if (dropped) this.deps.handOver(book.dropNode(trunk.nodeName, this.deps.now()));
      book.ensureNode(trunk.nodeName, trunk);
      this.rebuilt.delete(trunk.nodeName);
      const done = this.deps.branches.branchesOf(trunk.trunkEniId).then((found) => {
        const r = rebuildNode(this.deps, trunk, found);
        this.deps.handOver(r.released);
        this.rebuilt.add(trunk.nodeName);
        this.deps.rebuiltNodes?.(this.rebuilt.size);
      });
      const entry = { trunkEniId: trunk.trunkEniId, done };
      this.rebuilds.set(trunk.nodeName, entry);
      // A failed rebuild is tried again by the next reconcile.
      done.catch(() => {
        if (this.rebuilds.get(trunk.nodeName) === entry) this.rebuilds.delete(trunk.nodeName);
      });
    }
    await this.rebuilds.get(trunk.nodeName)?.done;
    const state = book.node(trunk.nodeName);
    if (!state) throw new Error(`branch state of node ${trunk.nodeName} vanished during its rebuild`);
    return state;
  }

  /** Whether the node's state is rebuilt for its current trunk (nothing may be created on it before). */
  isRebuilt(nodeName: string): boolean {
    return this.rebuilt.has(nodeName);
  }

  /** The node (or its trunk) is gone: its ENIs go to release; their pods are gone with the node. */
  dropNode(nodeName: string): void {
    const items = this.deps.book.dropNode(nodeName, this.deps.now());
    this.rebuilds.delete(nodeName);
    this.rebuilt.delete(nodeName);
    this.deps.rebuiltNodes?.(this.rebuilt.size);
    this.deps.handOver(items);
  }
}
