// The allocation steps of one pod's branch ENIs, each a function of its own so that later steps
// (token verification, warm reuse) slot in between: create the ENIs the pod lacks, finish the
// associations an earlier run left undone, and undo the bookkeeping of a failed step. They do the
// EC2 calls and record the outcome in the book; the pod reconciler decides what to tell the user
// and when to try again.
import type { Ec2Api } from '../../aws/ec2-api.js';
import { mayHaveTakenEffect } from '../../aws/error-classes.js';
import type { BranchBook } from '../../domain/branch-book.js';
import type { BranchRecord, NodeBranchState, PodRef } from '../../domain/branch-state.js';
import type { TrunkInfo } from '../trunk-registry.js';
import { generationFor, saveAttempt } from './attempts.js';
import { checkBranchSettled } from './branch-check.js';
import { associatePurpose, BranchCreateError, createBranch } from './branch-eni-ops.js';
import type { BranchReleaser } from './branch-releaser.js';
import type { DeleteGuard } from './delete-guard.js';
import type { PodSideMetrics } from './metrics.js';
import type { PodMemo } from './pod-memos.js';

export interface AllocationDeps {
  ec2: Ec2Api;
  clusterName: string;
  /** Cross-account setups: grant INSTANCE-ATTACH to this account. */
  permissionAccountId?: string | undefined;
  book: BranchBook;
  releaser: Pick<BranchReleaser, 'releaseEni'>;
  metrics: Pick<PodSideMetrics, 'allocated' | 'allocationFailure' | 'reuse' | 'warmEvicted'>;
  /** Whether warm ENIs are kept and reused (warm time > 0). */
  reuseOn(): boolean;
  /** How long a pod may wait for a cooling ENI of its groups on its node rather than create one (0 = never). */
  reuseWaitMs(): number;
  /** When a cooling ENI's cooldown ends (ms since epoch); undefined when it is not waiting for one. */
  coolingDue(eniId: string): number | undefined;
  now(): number;
  /** Asked before a rollback destroys an ENI (delete-guard.ts). */
  guard?: Pick<DeleteGuard, 'verdict'>;
  /** How long a check after a possible replay waits before it believes a bad finding (EC2 reads lag). Default 1 s. */
  settleMs?: number;
  /** This process's epoch for association tokens (attempts.ts). */
  tokenEpoch?: string;
  /** Write the pod's ClientToken attempt (attempts.ts); rejects when the API server refuses. */
  saveAttempt?: (pod: PodRef, attempt: number) => Promise<unknown>;
}

/** One pod incarnation's allocation on its node. */
export interface AllocationTarget {
  pod: PodRef;
  trunk: TrunkInfo;
  state: NodeBranchState;
  groups: readonly string[];
  memo: PodMemo;
  /** The ClientToken attempt the pod carries (ANNOTATION_BRANCH_ATTEMPT); raised once written. */
  attempt: number;
  /** An earlier process may have sent this pod's tokens: check what a create answers before using it. */
  mayReplay: boolean;
}

/** A rollback's question to the delete guard: 'gone' counts as deleted (the delete then finds NotFound). */
const mayDeleteWith =
  (guard: Pick<DeleteGuard, 'verdict'>, pod: PodRef) =>
  async (eniId: string): Promise<boolean> =>
    (await guard.verdict(eniId, pod, 'rollback')).kind !== 'keep';

/** The association attempt component: the create generation and this process's epoch. */
const assocAttempt = (deps: AllocationDeps, generation: number): string | undefined => (deps.tokenEpoch ? `${generation}.${deps.tokenEpoch}` : undefined);

/** A failed step: what failed, and the VLAN reserved for it when the create itself failed. */
export interface StepFailure {
  index: number;
  vlanId: number | undefined;
  err: unknown;
}

export type StepResult =
  | { kind: 'ok'; records: BranchRecord[]; reused?: BranchRecord[] }
  | { kind: 'capacity' }
  /** Waiting for a claimed cooling ENI to turn warm: look again after `ms`. */
  | { kind: 'wait'; ms: number; eniId?: string }
  | ({ kind: 'failed' } & StepFailure);

/** Create and associate the ENIs with index < `count` that the pod does not hold yet. */
export async function createMissing(deps: AllocationDeps, t: AllocationTarget, count: number): Promise<StepResult> {
  const { state, trunk, pod, memo } = t;
  const have = new Map(state.activeFor(pod.uid).map((r) => [r.index, r]));
  const reused: BranchRecord[] = [];
  const reuseOn = deps.reuseOn();
  for (let index = 0; index < count; index++) {
    if (have.has(index)) continue;
    if (reuseOn) {
      // A warm ENI of exactly these groups on this node: no EC2 call at all (issue 14).
      const now = deps.now();
      const warm = deps.book.takeWarm(state.nodeName, t.groups, pod, index, now);
      if (warm) {
        have.set(index, warm);
        reused.push(warm);
        deps.metrics.reuse('hit');
        continue;
      }
      // One of its groups cooling on this node and done soon enough: wait for it rather than spend
      // two mutating EC2 calls now and two more when that one is deleted.
      const waitMs = deps.reuseWaitMs();
      const due = waitMs > 0 ? state.claimCooling(t.groups, pod.uid, (id) => deps.coolingDue(id), now + waitMs, now) : undefined;
      if (due !== undefined) return { kind: 'wait', ms: Math.max(200, due - now + 100) };
    }
    const vlanId = state.reserveVlan();
    if (vlanId === undefined) {
      // The slot a warm ENI of another group set holds is worth more to a pod waiting now: evict the
      // least recently used one (deleted at once, its cooldown is served) and wait for its slot.
      const lru = state.lruWarm();
      if (lru) {
        deps.releaser.releaseEni({ eniId: lru.eniId, nodeName: state.nodeName, pod: lru.pod, since: deps.now(), immediate: true, orphan: false, ...(lru.associationId ? { associationId: lru.associationId } : {}) });
        deps.metrics.warmEvicted();
      }
      return { kind: 'capacity' };
    }
    try {
      // Never send a generation the pod does not carry: a restart would send the retired one again.
      await saveAttempt(deps.saveAttempt, t);
    } catch (err) {
      state.cancelReservation(vlanId);
      return { kind: 'failed', index, vlanId: undefined, err };
    }
    const generation = generationFor(memo, t.attempt, index);
    const tokenKey = `${index}:${generation}`;
    const replay = t.mayReplay || memo.sent.has(tokenKey);
    memo.sent.add(tokenKey);
    try {
      const created = await createBranch(deps.ec2, {
        clusterName: deps.clusterName,
        trunk,
        pod,
        index,
        generation,
        vlanId,
        groups: t.groups,
        // Never take over (as an earlier attempt's ENI) one this controller already holds.
        isKnown: (eniId) => deps.book.knows(eniId),
        ...(deps.tokenEpoch ? { associateAttempt: assocAttempt(deps, generation) } : {}),
        ...(deps.guard ? { mayDelete: mayDeleteWith(deps.guard, pod) } : {}),
        associatedAfterAll: (eniId) => associationOnTrunk(deps, eniId, trunk.trunkEniId, vlanId),
        ...(deps.permissionAccountId ? { permissionAccountId: deps.permissionAccountId } : {}),
      });
      // The answer may be EC2's replay of an earlier attempt: believe it only once EC2 confirms it.
      if (replay) await confirmCreated(deps, trunk.trunkEniId, created.eniId, vlanId);
      const rec: BranchRecord = { eniId: created.eniId, vlanId, associationId: created.associationId, pod, index, macAddress: created.macAddress, privateIp: created.privateIp, groups: [...t.groups], phase: 'active' };
      if (!deps.book.record(state.nodeName, rec)) throw new Error(`VLAN ${vlanId} on trunk ${trunk.trunkEniId} is held twice (bookkeeping bug)`);
      have.set(index, rec);
      deps.metrics.allocated(1);
      if (reuseOn) deps.metrics.reuse('miss');
    } catch (err) {
      return { kind: 'failed', index, vlanId, err };
    }
  }
  const records = [...have.values()].filter((r) => r.index < count).sort((a, b) => a.index - b.index);
  return reused.length > 0 ? { kind: 'ok', records, reused } : { kind: 'ok', records };
}

/** ENIs adopted after a crash between create and associate: associate them now (records are updated in place). */
export async function finishAssociations(deps: AllocationDeps, t: AllocationTarget, records: BranchRecord[]): Promise<StepResult> {
  const { state, trunk } = t;
  for (const r of records) {
    if (r.associationId) continue;
    try {
      const generation = generationFor(t.memo, t.attempt, r.index);
      let failure: Error | undefined;
      await deps.ec2
        .associateTrunkInterface(
          { BranchInterfaceId: r.eniId, TrunkInterfaceId: trunk.trunkEniId, VlanId: r.vlanId },
          { priority: 'pod-start', purpose: associatePurpose(deps.clusterName, r.eniId, trunk.trunkEniId, r.vlanId, assocAttempt(deps, generation)) },
        )
        .catch((err: unknown) => {
          // The killed process's own associate of this ENI may have landed first ("already
          // associated"), or this one's answer was lost: the check below decides.
          if (!mayHaveTakenEffect(err)) throw err;
          failure = err instanceof Error ? err : new Error(String(err));
        });
      // An adopted ENI's association may be a replay of one a rollback dissolved: confirm it.
      const check = await checkBranchSettled(deps.ec2, r.eniId, trunk.trunkEniId, r.vlanId, deps.settleMs);
      if (check.kind !== 'ok') {
        throw failure ?? new Error(`EC2 reported branch ENI ${r.eniId} associated with trunk ${trunk.trunkEniId} on VLAN ${r.vlanId}, but it is ${check.kind === 'gone' ? 'gone' : 'not associated there'}`);
      }
      r.associationId = check.associationId;
      state.setAssociation(r.eniId, r.associationId);
    } catch (err) {
      // Cannot finish it: let it go and make a new one on the next try.
      deps.releaser.releaseEni({ eniId: r.eniId, nodeName: state.nodeName, pod: t.pod, since: deps.now(), immediate: true, orphan: false });
      return { kind: 'failed', index: r.index, vlanId: undefined, err };
    }
  }
  return { kind: 'ok', records };
}

/** The association ID when EC2 shows the ENI associated with the trunk on the VLAN (after the settle time), else undefined. */
async function associationOnTrunk(deps: AllocationDeps, eniId: string, trunkEniId: string, vlanId: number): Promise<string | undefined> {
  const check = await checkBranchSettled(deps.ec2, eniId, trunkEniId, vlanId, deps.settleMs);
  return check.kind === 'ok' ? check.associationId : undefined;
}

/**
 * Throws BranchCreateError unless EC2 has the ENI associated with the trunk on the VLAN: `gone`
 * retires the token (the VLAN was never used), anything else is released and made anew.
 */
async function confirmCreated(deps: AllocationDeps, trunkEniId: string, eniId: string, vlanId: number): Promise<void> {
  const check = await checkBranchSettled(deps.ec2, eniId, trunkEniId, vlanId, deps.settleMs).catch((err: unknown) => {
    throw new BranchCreateError('associate', err, eniId, true, false);
  });
  if (check.kind === 'ok') return;
  const why = new Error(
    check.kind === 'gone'
      ? `EC2 answered the ClientToken with branch ENI ${eniId}, which no longer exists (an earlier attempt's rollback deleted it); retrying with a new token`
      : `EC2 answered with branch ENI ${eniId}, which is not associated with trunk ${trunkEniId} on VLAN ${vlanId}; it is released and a new one made`,
  );
  throw new BranchCreateError(check.kind === 'gone' ? 'create' : 'associate', why, check.kind === 'gone' ? undefined : eniId, true, check.kind === 'gone');
}

/** Undo the bookkeeping of a failed step: give back or keep its VLAN, and pick a new ClientToken when needed. */
export function rollBackFailure(deps: AllocationDeps, t: AllocationTarget, f: StepFailure): void {
  const { state, pod, memo } = t;
  const { vlanId, index, err } = f;
  if (err instanceof BranchCreateError) {
    if (err.eniLeft && vlanId !== undefined) {
      // Created but could not be deleted again: keep it (and its VLAN) and delete it later.
      deps.book.record(state.nodeName, { eniId: err.eniLeft, vlanId, pod, index, phase: 'active' });
      deps.releaser.releaseEni({ eniId: err.eniLeft, nodeName: state.nodeName, pod, since: deps.now(), immediate: true, orphan: false });
    } else if (vlanId !== undefined) {
      state.cancelReservation(vlanId);
    }
    // The token's ENI is gone (rolled back now or earlier): the next try needs a new one.
    if (err.eniCreated || err.staleToken) memo.generations.set(index, generationFor(memo, t.attempt, index) + 1);
    deps.metrics.allocationFailure(err.step);
  } else {
    if (vlanId !== undefined) state.cancelReservation(vlanId);
    deps.metrics.allocationFailure('other');
  }
}
