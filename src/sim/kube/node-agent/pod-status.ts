// What a kubelet plus the VPC CNI would report for a pod bound to this node, pure. The node agent
// calls planPod on every change of the pod (and when a timer it asked for fires) and writes the
// result; the plan is idempotent, so repeated calls with the same inputs produce no writes.
//
// - A pod requesting vpc.amazonaws.com/pod-eni waits in ContainerCreating until the controller's
//   vpc.amazonaws.com/pod-eni annotation names its branch ENI; its IP is the annotated privateIp.
// - Other pods get an address from the node (hostNetwork pods the node's own).
// - sandbox.vpcrc.dev/complete-after-seconds: "N" makes a running pod Succeeded N s after it started.
// - A pod with a deletionTimestamp is stopped (containers terminated, phase Succeeded) and then
//   removed for good.
import { ANNOTATION_COMPLETE_AFTER_SECONDS, ANNOTATION_POD_ENI, RESOURCE_POD_ENI } from '../../../apis/constants.js';
import { rfc3339 } from '../objects.js';
import { podRequests } from '../scheduler/pod-requests.js';

export interface PodView {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string | Date;
  };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: { name?: string; image?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[];
    initContainers?: { name?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[];
  };
  status?: Record<string, unknown> & {
    phase?: string;
    podIP?: string;
    startTime?: string | Date;
    containerStatuses?: { name?: string; state?: Record<string, unknown>; ready?: boolean }[];
  };
}

export interface PodContext {
  now: Date;
  hostIp: string;
  /** An address the node set aside for this pod (used when it does not get a branch ENI). */
  nodePodIp: string | undefined;
}

export type PodPlan =
  | { kind: 'none'; wakeAt?: number }
  | { kind: 'status'; status: Record<string, unknown>; wakeAt?: number }
  | { kind: 'delete' };

export function wantsBranchEni(pod: PodView): boolean {
  return (podRequests(pod).get(RESOURCE_POD_ENI) ?? 0) > 0;
}

/** The branch ENI's address from the controller's annotation, or undefined when absent or unusable. */
export function annotatedBranchIp(pod: PodView): string | undefined {
  const raw = pod.metadata?.annotations?.[ANNOTATION_POD_ENI];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
    const ip = (first as { privateIp?: unknown } | undefined)?.privateIp;
    return typeof ip === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds from the complete-after annotation; undefined when absent or not a non-negative number. */
export function completeAfterSeconds(pod: PodView): number | undefined {
  const raw = pod.metadata?.annotations?.[ANNOTATION_COMPLETE_AFTER_SECONDS];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

type State = 'creating' | 'running' | 'completed' | 'stopped';

function containerStatuses(pod: PodView, state: State, startedAt: string, finishedAt: string, uid: string): Record<string, unknown>[] {
  return (pod.spec?.containers ?? []).map((c, i) => {
    const base = { name: c.name ?? `c${i}`, image: c.image ?? '', imageID: '', restartCount: 0 };
    const containerID = `containerd://${uid.replaceAll('-', '')}${String(i).padStart(2, '0')}`;
    switch (state) {
      case 'creating':
        return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
      case 'running':
        return { ...base, containerID, ready: true, started: true, state: { running: { startedAt } } };
      default:
        return {
          ...base,
          containerID,
          ready: false,
          started: false,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt, containerID } },
        };
    }
  });
}

function conditions(state: State, names: string[], since: string): Record<string, unknown>[] {
  const c = (type: string, ok: boolean, reason?: string, message?: string): Record<string, unknown> => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: since,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  });
  const running = state === 'running';
  // Why Ready/ContainersReady are False: containers still being created, or the pod has finished.
  const [reason, message] = running
    ? [undefined, undefined]
    : state === 'creating'
      ? ['ContainersNotReady', `containers with unready status: [${names.join(' ')}]`]
      : ['PodCompleted', undefined];
  return [
    c('PodReadyToStartContainers', state !== 'creating'),
    c('Initialized', true, running || state === 'creating' ? undefined : 'PodCompleted'),
    c('Ready', running, reason, message),
    c('ContainersReady', running, reason, message),
    c('PodScheduled', true),
  ];
}

function currentState(pod: PodView): State | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 'completed';
  if (statuses.length > 0 && statuses.every((s) => s.state && 'running' in s.state)) return 'running';
  if (statuses.length > 0 && statuses.every((s) => s.state && 'waiting' in s.state)) return 'creating';
  return undefined;
}

export function planPod(pod: PodView, ctx: PodContext): PodPlan {
  const now = ctx.now;
  const uid = pod.metadata?.uid ?? pod.metadata?.name ?? 'pod';
  const names = (pod.spec?.containers ?? []).map((c, i) => c.name ?? `c${i}`);
  const current = currentState(pod);
  const startTime = pod.status?.startTime ? rfc3339(new Date(pod.status.startTime)) : rfc3339(now);
  const runningSince = (pod.status?.containerStatuses?.[0]?.state?.running as { startedAt?: string } | undefined)?.startedAt;

  if (pod.metadata?.deletionTimestamp) {
    // Stopped (or never started, or already finished): the kubelet's final delete.
    if (current === 'completed' || current === 'creating' || current === undefined) return { kind: 'delete' };
    const startedAt = runningSince ?? startTime;
    return { kind: 'status', status: statusFor(pod, 'stopped', ctx, startTime, startedAt, rfc3339(now), pod.status?.podIP) };
  }
  if (current === 'completed') return { kind: 'none' };

  const ip = pod.spec?.hostNetwork ? ctx.hostIp : wantsBranchEni(pod) ? annotatedBranchIp(pod) : ctx.nodePodIp;
  if (ip === undefined) {
    if (current === 'creating' && pod.status?.phase === 'Pending' && pod.status?.startTime) return { kind: 'none' };
    return { kind: 'status', status: statusFor(pod, 'creating', ctx, startTime, '', '', undefined) };
  }

  const startedAt = runningSince ?? rfc3339(now);
  const after = completeAfterSeconds(pod);
  const completeAt = after === undefined ? undefined : new Date(startedAt).getTime() + after * 1000;
  if (completeAt !== undefined && now.getTime() >= completeAt) {
    return { kind: 'status', status: statusFor(pod, 'completed', ctx, startTime, startedAt, rfc3339(now), ip) };
  }
  if (current === 'running' && pod.status?.podIP === ip && pod.status?.phase === 'Running') return { kind: 'none', ...(completeAt ? { wakeAt: completeAt } : {}) };
  return { kind: 'status', status: statusFor(pod, 'running', ctx, startTime, startedAt, '', ip), ...(completeAt ? { wakeAt: completeAt } : {}) };

  function statusFor(p: PodView, state: State, c: PodContext, start: string, startedAt: string, finishedAt: string, podIp: string | undefined): Record<string, unknown> {
    const phase = state === 'creating' ? 'Pending' : state === 'running' ? 'Running' : 'Succeeded';
    const since = state === 'running' ? startedAt : state === 'creating' ? start : finishedAt;
    return {
      phase,
      conditions: conditions(state, names, since),
      hostIP: c.hostIp,
      hostIPs: [{ ip: c.hostIp }],
      podIP: podIp ?? null,
      podIPs: podIp ? [{ ip: podIp }] : null,
      startTime: start,
      containerStatuses: containerStatuses(p, state, startedAt, finishedAt, uid),
    };
  }
}
