// The warm minimum's I/O step (issue 14, optional item): each pass asks the planner
// (domain/warm-minimum.ts) which nodes need warm ENIs of which group set, and creates them with the
// same create + associate as a pod's ENI (branch-eni-ops.ts), in the `background` pool so that pod
// starts always take EC2's tokens first.
//
// A top-up is an ENI made for no pod:
// - its ClientToken subject is a fresh ID per attempt (`warm-<process epoch>-<n>`, tagged as the
//   pod UID), so no token is ever sent again after its ENI was rolled back, by this process or the
//   next;
// - it is tagged warm (vpcresources.k8s.aws/warm) at create, with the owner/cluster/trunk/VLAN tags
//   of every branch ENI, in the trunk's subnet (the node's or its ENIConfig's, as a pod's ENI);
// - its VLAN comes from the node's allocator like any other (reserved before the create, given
//   back only when no ENI holds it);
// - a failed create is rolled back by createBranch; an ENI it could not delete, or one whose node
//   went meanwhile, is handed to the releaser (deleted at once, after the delete guard): none leaks.
//   A crash mid-create leaves an unassociated ENI that the rebuild or GC releases; a crash after it
//   leaves an associated warm ENI that the rebuild keeps warm again (rebuild.ts).
import { TAG_WARM } from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { BranchBook } from '../../domain/branch-book.js';
import { groupSetKey, type PodRef } from '../../domain/branch-state.js';
import type { NodeView, TopUp, WarmMinimumPlanner, WarmMinimumSettings } from '../../domain/warm-minimum.js';
import type { Logger } from '../../observability/logger.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { BranchCreateError, createBranch } from './branch-eni-ops.js';
import type { BranchReleaser } from './branch-releaser.js';
import type { DeleteGuard } from './delete-guard.js';
import type { PodSideMetrics } from './metrics.js';

export interface WarmTopUpDeps {
  ec2: Ec2Api;
  clusterName: string;
  permissionAccountId?: string | undefined;
  book: BranchBook;
  planner: WarmMinimumPlanner;
  /** The settings in force (minWarm 0 when reuse is off). */
  settings(): WarmMinimumSettings;
  /** How long a new warm ENI is kept (renewed at expiry while the minimum wants it). */
  warmSeconds(): number;
  trunk(nodeName: string): TrunkInfo | undefined;
  /** Whether the node's state is rebuilt (nothing is created on a node before). */
  rebuilt(nodeName: string): boolean;
  /** Whether a pod waits for a slot on the node. */
  waitingForSlot(nodeName: string): boolean;
  releaser: Pick<BranchReleaser, 'releaseEni'>;
  /** Put a new warm ENI on the release queue, which deletes it at expiry. */
  watchExpiry(eniId: string): void;
  /** The ENI carries the warm tag already. */
  tagged(eniId: string): void;
  /** Asked before a rollback destroys an ENI. */
  guard?: Pick<DeleteGuard, 'verdict'>;
  /** This process's token epoch (attempts.ts). */
  tokenEpoch: string;
  metrics: Pick<PodSideMetrics, 'warmTopUp' | 'warm'>;
  logger: Logger;
  now(): number;
  /** Top-ups in flight at once across nodes. Default 8 (the background pool's size). */
  maxInFlight?: number;
}

export class WarmTopUps {
  private readonly inFlight = new Map<string, Map<string, number>>();
  private running = 0;
  private seq = 0;
  private readonly pending = new Set<Promise<void>>();
  /** UIDs of the top-ups being created (the GC pass leaves their ENIs alone until recorded). */
  readonly creating = new Set<string>();

  constructor(private readonly deps: WarmTopUpDeps) {}

  /** One pass: remember the group sets in use, plan, and start the top-ups (not awaited). */
  pass(): TopUp[] {
    const { deps } = this;
    const now = deps.now();
    const views: NodeView[] = [];
    for (const nodeName of deps.book.nodeNames()) {
      const state = deps.book.node(nodeName);
      const trunk = deps.trunk(nodeName);
      if (!state || !trunk || trunk.trunkEniId !== state.trunkEniId || !deps.rebuilt(nodeName)) continue;
      const records = state.all();
      deps.planner.observe(nodeName, records, now);
      views.push({ nodeName, free: state.free, records, inFlight: this.inFlight.get(nodeName) ?? new Map<string, number>(), podsWaitingForSlot: deps.waitingForSlot(nodeName) });
    }
    const settings = deps.settings();
    if (settings.minWarm <= 0 || deps.warmSeconds() <= 0) return [];
    const plan = deps.planner.plan(views, settings, now);
    const max = deps.maxInFlight ?? 8;
    for (const t of plan) {
      const trunk = deps.trunk(t.nodeName);
      if (!trunk) continue;
      for (let i = 0; i < t.count && this.running < max; i++) this.start(trunk, t.groups);
    }
    return plan;
  }

  /** Resolves when the top-ups started so far are done. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** The node is gone. */
  forgetNode(nodeName: string): void {
    this.deps.planner.forgetNode(nodeName);
  }

  private start(trunk: TrunkInfo, groups: readonly string[]): void {
    const key = groupSetKey(groups);
    const node = trunk.nodeName;
    let m = this.inFlight.get(node);
    if (!m) this.inFlight.set(node, (m = new Map<string, number>()));
    m.set(key, (m.get(key) ?? 0) + 1);
    this.running++;
    const p = this.createOne(trunk, groups).finally(() => {
      this.running--;
      const cur = this.inFlight.get(node);
      const n = (cur?.get(key) ?? 1) - 1;
      if (n > 0) cur?.set(key, n);
      else cur?.delete(key);
      if (cur?.size === 0) this.inFlight.delete(node);
      this.pending.delete(p);
    });
    this.pending.add(p);
  }

  private async createOne(trunk: TrunkInfo, groups: readonly string[]): Promise<void> {
    const { deps } = this;
    const nodeName = trunk.nodeName;
    const state = deps.book.node(nodeName);
    const vlanId = state?.reserveVlan();
    if (!state || vlanId === undefined) return;
    // A subject of its own per attempt: the ClientToken of a rolled-back top-up is never sent again.
    const pod: PodRef = { uid: `warm-${deps.tokenEpoch}-${++this.seq}`, namespace: '', name: '' };
    this.creating.add(pod.uid);
    const release = (eniId: string, associationId?: string): void => {
      deps.releaser.releaseEni({ eniId, nodeName, pod, since: deps.now(), immediate: true, orphan: false, ...(associationId ? { associationId } : {}) });
    };
    try {
      const created = await createBranch(deps.ec2, {
        clusterName: deps.clusterName,
        trunk,
        pod,
        index: 0,
        generation: 0,
        vlanId,
        groups,
        isKnown: (eniId) => deps.book.knows(eniId),
        associateAttempt: deps.tokenEpoch,
        priority: 'background',
        extraTags: [{ Key: TAG_WARM, Value: 'true' }],
        ...(deps.guard ? { mayDelete: mayDeleteOn(deps.guard, nodeName) } : {}),
        ...(deps.permissionAccountId ? { permissionAccountId: deps.permissionAccountId } : {}),
      });
      const now = deps.now();
      const rec = { eniId: created.eniId, vlanId, associationId: created.associationId, pod, index: 0, macAddress: created.macAddress, privateIp: created.privateIp, groups: [...groups] };
      if (deps.book.node(nodeName) !== state) {
        // The node (or its trunk) went while the create ran: the ENI goes too.
        release(created.eniId, created.associationId);
        deps.logger.info({ eniId: created.eniId, node: nodeName }, 'warm top-up made for a node that went meanwhile; deleting it');
        return;
      }
      if (!deps.book.addWarm(nodeName, rec, now + deps.warmSeconds() * 1000, now)) {
        // Cannot happen with a reserved VLAN; never leave the ENI behind if it does.
        deps.book.record(nodeName, { ...rec, phase: 'active' });
        release(created.eniId, created.associationId);
        deps.metrics.warmTopUp('failed');
        deps.logger.error({ eniId: created.eniId, node: nodeName, vlanId }, 'warm top-up could not be recorded (VLAN held twice: bookkeeping bug); deleting it');
        return;
      }
      deps.tagged(created.eniId);
      deps.watchExpiry(created.eniId);
      deps.metrics.warmTopUp('created');
      deps.metrics.warm(deps.book.warmByNode());
      deps.logger.info({ eniId: created.eniId, node: nodeName, vlanId, groups }, 'warm branch ENI created for the warm minimum');
    } catch (err) {
      if (err instanceof BranchCreateError && err.eniLeft && deps.book.node(nodeName) === state) {
        // Created but the rollback could not delete it: keep its VLAN until the releaser has.
        deps.book.record(nodeName, { eniId: err.eniLeft, vlanId, pod, index: 0, phase: 'active' });
        release(err.eniLeft);
      } else if (err instanceof BranchCreateError && err.eniLeft) {
        release(err.eniLeft);
      } else {
        state.cancelReservation(vlanId);
      }
      deps.metrics.warmTopUp('failed');
      deps.logger.warn({ node: nodeName, groups, err: err instanceof Error ? err.message : String(err) }, 'warm top-up failed; the next pass tries again');
    } finally {
      this.creating.delete(pod.uid);
    }
  }
}

const mayDeleteOn =
  (guard: Pick<DeleteGuard, 'verdict'>, nodeName: string) =>
  async (eniId: string): Promise<boolean> =>
    (await guard.verdict(eniId, undefined, 'rollback', nodeName)).kind !== 'keep';
