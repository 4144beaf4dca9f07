// ClientToken generations that survive a restart (issue 10). EC2 answers a repeated ClientToken with
// the resource it first made, even when that resource was deleted since, so a token whose ENI a
// rollback deleted must never be sent again — not by this process, and not by the next one.
//
// Where the generation lives: on the pod, in our own annotation ANNOTATION_BRANCH_ATTEMPT (one
// integer for the pod incarnation: every branch index uses at least that generation). The pod
// reconciler bumps it in memory when a rollback retires a token, writes it right after the rollback
// (best effort) and again, if still unwritten, before the next create; a create never goes out with
// a generation the pod does not carry. A crash between the rollback and the write can still replay
// one deleted ENI: that is what the check after a create that may be a replay catches (branch-check.ts).
//
// AssociateTrunkInterface's token gets an attempt component too: the create generation and this
// process's epoch (random, per reconciler instance). A new process therefore never replays an
// association its predecessor made and a rollback dissolved; within a process a retry of a lost
// answer stays idempotent.
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodRef } from '../../domain/branch-state.js';
import type { PodMemo } from './pod-memos.js';

/** The pod's retired-token count (ours; not in the EKS contract). */
export const ANNOTATION_BRANCH_ATTEMPT = 'vpcresources.k8s.aws/branch-attempt';

/** How much older than this process a pod must be for its tokens to be certainly ours (clock skew). */
const CREATION_SKEW_MS = 5_000;

/** The attempt recorded on the pod (0 when none or unreadable). */
export function attemptOf(pod: V1Pod): number {
  const raw = pod.metadata?.annotations?.[ANNOTATION_BRANCH_ATTEMPT];
  return raw !== undefined && /^\d{1,6}$/.test(raw) ? Number(raw) : 0;
}

/** A fresh epoch for this process's association tokens. */
export function newTokenEpoch(): string {
  return randomBytes(6).toString('hex');
}

/**
 * Whether an earlier controller process may have sent this pod's tokens: the pod existed before
 * this process started (or its creation time is unknown). Undefined `startedAt` = never.
 */
export function mayMeetEarlierTokens(pod: V1Pod, startedAt: number | undefined): boolean {
  if (startedAt === undefined) return false;
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : NaN;
  return !Number.isFinite(created) || created < startedAt + CREATION_SKEW_MS;
}

/** The generation a create of branch `index` uses. */
export function generationFor(memo: PodMemo, attempt: number, index: number): number {
  return Math.max(memo.generations.get(index) ?? 0, attempt);
}

/** The highest generation this process has retired to, or the pod's recorded attempt. */
export function wantedAttempt(memo: PodMemo, attempt: number): number {
  return Math.max(attempt, ...memo.generations.values());
}

export interface AttemptTarget {
  pod: PodRef;
  memo: PodMemo;
  /** The attempt the pod carries (updated once written). */
  attempt: number;
}

/** Write the pod's attempt when this process retired a token past it. Rejects when the write fails. */
export async function saveAttempt(save: ((pod: PodRef, attempt: number) => Promise<unknown>) | undefined, t: AttemptTarget): Promise<void> {
  const want = wantedAttempt(t.memo, t.attempt);
  if (!save || want <= t.attempt) return;
  await save(t.pod, want);
  t.attempt = want;
}
