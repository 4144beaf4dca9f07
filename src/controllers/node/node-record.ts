// What the node reconciler remembers about a node between runs, and the two ways a step reports
// on it (the node's state metric, a Warning event once per message). The record is rebuilt from
// EC2 after a restart; nothing here is the only copy of anything that must survive one.
import type { V1Node } from '@kubernetes/client-node';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import type { TrunkInfo } from '../trunk-registry.js';
import type { NodeMetrics, NodeState } from './node-metrics.js';
import type { TrunkTarget } from './trunk-target.js';

export interface NodeRecord {
  instanceId: string;
  /** When the node was first seen eligible with a settled ENIConfig (for the init-duration metric). */
  since: number;
  state: NodeState;
  /** The trunk as last seen attached, and the target it was checked against. */
  trunk?: TrunkInfo & { targetKey: string; instanceSubnetId: string; primaryGroups: string[] };
  /** This process created the node's trunk (metric label). */
  createdHere?: boolean;
  /** A trunk created by this process that describes may not show yet (eventual consistency). */
  pendingCreate?: { eniId: string; at: number; polls: number };
  /** A half-made trunk still to be removed before anything else is tried. */
  rollback?: { eniId: string; attachmentId?: string };
  /** Bumped after each rollback: a fresh ClientToken for the next create. */
  generation: number;
  /** Looks at an attachment still `attaching` (the poll interval doubles). */
  attachPolls: number;
  announced: boolean;
  /** Last warning per reason, so a repeating reconcile does not repeat its event. */
  warned: Map<string, string>;
  /** `failed` was set by markFailed (repeated failures), not by a step: cleared when one gets through. */
  failedByRetries?: boolean;
}

export function newNodeRecord(instanceId: string, now: number): NodeRecord {
  return { instanceId, since: now, state: 'initializing', generation: 0, attachPolls: 0, announced: false, warned: new Map() };
}

/** A target as one comparable string (group order does not matter). */
export const targetKey = (t: TrunkTarget): string => `${t.subnetId}|${[...t.groups].sort().join(',')}`;

/** The n-th look at an attachment waits base × 2^n, at most 8× base. */
export function pollDelay(baseMs: number, n: number): number {
  return baseMs * 2 ** Math.min(Math.max(0, n), 3);
}

/** Where the steps report on a node: its state gauge and its Warning events (once per message). */
export class NodeNotes {
  constructor(private readonly d: { metrics: Pick<NodeMetrics, 'setState'>; events: Pick<EventRecorder, 'warning'> }) {}

  setState(name: string, rec: NodeRecord, state: NodeState): void {
    rec.state = state;
    rec.failedByRetries = false;
    this.d.metrics.setState(name, state);
  }

  warnOnce(node: V1Node, rec: NodeRecord, reason: string, message: string): void {
    if (rec.warned.get(reason) === message) return;
    rec.warned.set(reason, message);
    this.d.events.warning(eventTarget('Node', node), reason, message);
  }
}
