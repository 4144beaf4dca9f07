// The branch releaser: every branch ENI leaves through here. ENIs are handed over (a pod gone or
// finished, a rollback that could not delete, a rebuild or GC finding one nobody holds), wait out
// the cooldown unless never used, have their owner re-checked with the API server when they were
// found rather than seen going away, and are then disassociated and deleted. Its work queue's key is
// the ENI ID; the wiring (pod-side.ts) owns the queue and hands it `enqueue`.
import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound as isEc2NotFound } from '../../aws/error-classes.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { BranchBook, ReleaseItem } from '../../domain/branch-book.js';
import type { PodRef } from '../../domain/branch-state.js';
import { isNotFound } from '../../kube/errors.js';
import { Outcome, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { Logger } from '../../observability/logger.js';
import { outcomeOf } from '../error-map.js';
import { releaseBranch } from './branch-eni-ops.js';
import type { CapacityWaiters } from './capacity-waiters.js';
import type { PodSideMetrics } from './metrics.js';
import { isTerminal } from './rebuild.js';

export interface BranchReleaserDeps {
  ec2: Ec2Api;
  book: BranchBook;
  /** The pod as the API server has it now (not the cache); rejects with a 404 ApiException when gone. */
  readPod(namespace: string, name: string): Promise<V1Pod>;
  /** The cooldown in force, seconds (read at each look: a changed cooldown applies to ENIs already cooling). */
  cooldownSeconds(): number;
  /** Put an ENI ID on the release queue. */
  enqueue(eniId: string): void;
  /** Put a pod key on the pod queue ahead of others (its release was called off, or capacity came back). */
  enqueuePod(podKey: string): void;
  capacity: CapacityWaiters;
  metrics: PodSideMetrics;
  logger: Logger;
  now(): number;
}

export class BranchReleaser {
  constructor(private readonly deps: BranchReleaserDeps) {}

  /** Queue ENIs the book already holds for release. */
  handOver(items: readonly ReleaseItem[]): void {
    for (const item of items) this.deps.enqueue(item.eniId);
  }

  /** Release this ENI (recorded on its node or not): hand it to the book and queue it. */
  releaseEni(item: ReleaseItem): ReleaseItem {
    const held = this.deps.book.releaseEni(item);
    this.deps.enqueue(held.eniId);
    return held;
  }

  /** Release a pod incarnation's active ENIs on a node (cooldown from now, or none when `immediate`). */
  releasePod(pod: PodRef, nodeName: string, immediate = false): ReleaseItem[] {
    const items = this.deps.book.releasePod(pod, nodeName, this.deps.now(), immediate);
    this.handOver(items);
    return items;
  }

  /** Reconcile one ENI of the release queue: wait, re-check the owner, delete. */
  async reconcile(eniId: string): Promise<ReconcileOutcome> {
    const { book, metrics, logger } = this.deps;
    const item = book.release(eniId);
    if (!item) return Outcome.done();
    const due = item.immediate ? item.since : item.since + this.deps.cooldownSeconds() * 1000;
    const wait = due - this.deps.now();
    if (wait > 0) return Outcome.requeueAfter(wait);
    // Before destroying anything found rather than seen going away, ask the API server (not the cache).
    if (item.pod?.name && item.pod.namespace && !item.immediate) {
      const alive = await this.ownerAlive(item.pod.namespace, item.pod.name, item.pod.uid);
      if (alive) {
        logger.info({ eniId, pod: `${item.pod.namespace}/${item.pod.name}` }, 'release called off: the owning pod is alive');
        book.cancelRelease(eniId);
        this.deps.enqueuePod(`${item.pod.namespace}/${item.pod.name}`);
        return Outcome.done();
      }
    }
    try {
      await releaseBranch(this.deps.ec2, { eniId, associationId: item.associationId });
    } catch (err) {
      if (!isEc2NotFound(err)) {
        metrics.releaseFailure();
        return outcomeOf(err);
      }
    }
    book.gone(eniId, item.nodeName);
    metrics.released(1, 'deleted');
    const totals = book.totals();
    metrics.branches(totals.active, totals.cooling);
    logger.info({ eniId, node: item.nodeName }, 'branch ENI deleted');
    // Capacity came back on this node: pods waiting for it go first.
    for (const k of this.deps.capacity.take(item.nodeName)) this.deps.enqueuePod(k);
    return Outcome.done();
  }

  /** Whether the pod exists on the API server with this UID and is still running or about to. */
  private async ownerAlive(namespace: string, name: string, uid: string): Promise<boolean> {
    try {
      const pod = await this.deps.readPod(namespace, name);
      if (uid && pod.metadata?.uid !== uid) return false;
      return !isTerminal(pod);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
