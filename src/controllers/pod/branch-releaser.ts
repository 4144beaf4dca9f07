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
import type { DeleteGuard } from './delete-guard.js';
import type { PodSideMetrics } from './metrics.js';
import { isTerminal } from './rebuild.js';

export interface BranchReleaserDeps {
  ec2: Ec2Api;
  book: BranchBook;
  /** The pod as the API server has it now (not the cache); rejects with a 404 ApiException when gone. */
  readPod(namespace: string, name: string): Promise<V1Pod>;
  /** The cooldown in force, seconds (read at each look: a changed cooldown applies to ENIs already cooling). */
  cooldownSeconds(): number;
  /** How long an ENI whose cooldown is served is kept warm for reuse, seconds; 0 = delete it (reuse off). */
  warmSeconds(): number;
  /** Tag an ENI that turned warm (batched, information only). */
  tagWarm(eniId: string): void;
  /** Tag the start of an ENI's cooldown on it, so a restart goes on from there (cooling-tagger.ts). */
  tagCooling?(eniId: string, since: number): void;
  /** The ENI is gone (the tagger forgets it). */
  forget(eniId: string): void;
  /**
   * A warm ENI's time is up: the warm minimum may still want it (warm-minimum.ts). Returns its new
   * expiry (ms since epoch, already set in the book), or undefined to delete it.
   */
  renewWarm?(eniId: string, nodeName: string, groups: readonly string[] | undefined): number | undefined;
  /** Put an ENI ID on the release queue. */
  enqueue(eniId: string): void;
  /** Put a pod key on the pod queue ahead of others (its release was called off, or capacity came back). */
  enqueuePod(podKey: string): void;
  capacity: CapacityWaiters;
  /** Asked before every disassociate/delete (delete-guard.ts). */
  guard: Pick<DeleteGuard, 'verdict' | 'mayKeepWarm'>;
  metrics: PodSideMetrics;
  logger: Logger;
  now(): number;
}

export class BranchReleaser {
  constructor(private readonly deps: BranchReleaserDeps) {}

  /** Queue ENIs the book already holds for release. */
  handOver(items: readonly ReleaseItem[]): void {
    for (const item of items) {
      if (!item.immediate) this.deps.tagCooling?.(item.eniId, item.since);
      this.deps.enqueue(item.eniId);
    }
  }

  /** Release this ENI (recorded on its node or not): hand it to the book and queue it. */
  releaseEni(item: ReleaseItem): ReleaseItem {
    const held = this.deps.book.releaseEni(item);
    this.handOver([held]);
    return held;
  }

  /** Release a pod incarnation's active ENIs on a node (cooldown from now, or none when `immediate`). */
  releasePod(pod: PodRef, nodeName: string, immediate = false): ReleaseItem[] {
    const items = this.deps.book.releasePod(pod, nodeName, this.deps.now(), immediate);
    this.handOver(items);
    return items;
  }

  /** Reconcile one ENI of the release queue: wait, re-check the owner, keep warm or delete; delete an expired warm ENI. */
  async reconcile(eniId: string): Promise<ReconcileOutcome> {
    const { book, metrics, logger } = this.deps;
    const item = book.release(eniId);
    if (!item) return this.expireWarm(eniId);
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
    // Cooldown served and the pod confirmed gone: keep it warm for a pod with the same groups (issue 14).
    const warmSeconds = this.deps.warmSeconds();
    if (!item.immediate && warmSeconds > 0) {
      // A live pod may name it although its record says otherwise (a reused ENI found after a
      // restart that missed the annotation): then it is that pod's, never warm for another one.
      let keep: { ok: true } | { ok: false; pod: string };
      try {
        keep = await this.deps.guard.mayKeepWarm(eniId, item.nodeName);
      } catch (err) {
        return outcomeOf(err);
      }
      if (!keep.ok) {
        book.cancelRelease(eniId);
        this.deps.enqueuePod(keep.pod);
        return Outcome.done();
      }
      const now = this.deps.now();
      if (book.makeWarm(eniId, now + warmSeconds * 1000, now)) {
        this.deps.tagWarm(eniId);
        metrics.warm(book.warmByNode());
        logger.info({ eniId, node: item.nodeName, warmSeconds }, 'branch ENI kept warm for reuse');
        // A pod waiting for a slot on this node may take it now (or evict it for another group set).
        for (const k of this.deps.capacity.take(item.nodeName)) this.deps.enqueuePod(k);
        return Outcome.requeueAfter(warmSeconds * 1000);
      }
    }
    try {
      // Last word before destroying anything: EC2 says it is ours, the API server says no live pod names it.
      const verdict = await this.deps.guard.verdict(eniId, item.pod, item.orphan ? 'orphan' : item.immediate ? 'immediate' : 'cooldown', item.nodeName);
      if (verdict.kind === 'keep') {
        book.cancelRelease(eniId);
        if (verdict.pod) this.deps.enqueuePod(verdict.pod);
        return Outcome.done();
      }
      if (verdict.kind === 'delete') await releaseBranch(this.deps.ec2, { eniId, associationId: item.associationId });
    } catch (err) {
      if (!isEc2NotFound(err)) {
        metrics.releaseFailure();
        return outcomeOf(err);
      }
    }
    book.gone(eniId, item.nodeName);
    this.deps.forget(eniId);
    metrics.released(1, 'deleted');
    metrics.warm(book.warmByNode());
    const totals = book.totals();
    metrics.branches(totals.active, totals.cooling);
    logger.info({ eniId, node: item.nodeName }, 'branch ENI deleted');
    // Capacity came back on this node: pods waiting for it go first.
    for (const k of this.deps.capacity.take(item.nodeName)) this.deps.enqueuePod(k);
    return Outcome.done();
  }

  /** A warm ENI (no release item): delete it when its time is up, else look again then. */
  private async expireWarm(eniId: string): Promise<ReconcileOutcome> {
    const warm = this.deps.book.warm(eniId);
    if (!warm) return Outcome.done();
    const left = (warm.record.warmUntil ?? 0) - this.deps.now();
    if (left > 0) return Outcome.requeueAfter(left);
    const { record, nodeName } = warm;
    const renewed = this.deps.renewWarm?.(eniId, nodeName, record.groups);
    if (renewed !== undefined) return Outcome.requeueAfter(Math.max(1, renewed - this.deps.now()));
    this.deps.book.releaseEni({ eniId, nodeName, pod: record.pod, since: this.deps.now(), immediate: true, orphan: false, ...(record.associationId ? { associationId: record.associationId } : {}) });
    this.deps.metrics.warmExpired();
    this.deps.logger.info({ eniId, node: nodeName }, 'warm branch ENI expired');
    return this.reconcile(eniId);
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
