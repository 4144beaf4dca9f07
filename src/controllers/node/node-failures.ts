// Node-side failures made visible where users look. A node reconcile that keeps failing — EC2
// unreachable, no or rejected credentials, IAM, throttling, a Kubernetes API refusal — becomes,
// after a bounded number of attempts, a NodeTrunkFailedInit Warning on the Node naming the cause
// and the fix, and the node counts as `failed` in vpcrc_nodes until a reconcile gets through.
// Retries continue with the queue's backoff; each further failure repeats the event, which the
// event recorder aggregates (count, lastTimestamp) instead of creating new ones, so a node failing
// for an hour has one Event per cause, not hundreds.
//
// A wrapper around the reconcile function, so the reconciler's steps stay about nodes and trunks.
import type { V1Node } from '@kubernetes/client-node';
import { REASON_NODE_TRUNK_FAILED_INIT } from '../../apis/constants.js';
import { eventTarget, type EventRecorder } from '../../kube/events.js';
import type { ReconcileContext, ReconcileOutcome } from '../../kube/work-queue.js';
import { explainFailure, type ExplainedFailure } from '../failure-causes.js';

/** Failed attempts in a row before the Node gets an event: the first retries are often a blip. */
export const NODE_FAILURE_EVENT_AFTER = 3;

export interface NodeFailureDeps {
  events: Pick<EventRecorder, 'warning'>;
  node: (name: string) => V1Node | undefined;
  /** vpcrc_nodes: count the node as failed, and stop counting it so once a reconcile gets through. */
  markFailed: (name: string) => void;
  clearFailed: (name: string) => void;
  /** Default NODE_FAILURE_EVENT_AFTER. */
  after?: number;
}

export type Reconcile = (key: string, rc: ReconcileContext) => Promise<ReconcileOutcome>;

/** The event message: stable for a given cause, so repeats aggregate. */
export const nodeFailureMessage = (f: ExplainedFailure): string => `Failed to set up the node's trunk interface: ${f.message}`;

export function reportingNodeFailures(reconcile: Reconcile, deps: NodeFailureDeps): Reconcile {
  const after = Math.max(1, deps.after ?? NODE_FAILURE_EVENT_AFTER);
  const failing = new Set<string>();
  return async (key, rc) => {
    try {
      const outcome = await reconcile(key, rc);
      if (failing.delete(key)) deps.clearFailed(key);
      return outcome;
    } catch (err) {
      // rc.failures counts the failures before this one.
      if (rc.failures + 1 >= after) {
        const explained = explainFailure(err);
        failing.add(key);
        deps.markFailed(key);
        const node = deps.node(key);
        if (node) deps.events.warning(eventTarget('Node', node), REASON_NODE_TRUNK_FAILED_INIT, nodeFailureMessage(explained));
        rc.logger.warn({ cause: explained.cause, failures: rc.failures + 1, err }, explained.message);
      }
      throw err;
    }
  };
}
