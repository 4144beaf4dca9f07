// Invariants over the sandbox's EC2 and Kubernetes state that must hold whatever the controller
// did: shared by the node-side and pod-side integration tests (and usable from benches).
//
//   const v = await checkInvariants(sandbox, { expectedTrunk: (instanceId) => ({ subnetId, groups }) });
//   expect(v).toEqual([]);
//
//   // Branch ENIs left without a live pod: tracked over time, reported only after cooldown + slack.
//   const orphans = new OrphanTracker(60_000 + 10_000);
//   await checkInvariants(sandbox, { orphans });     // call repeatedly; violations once overdue
//
// Every check returns human-readable violations (empty list = all good) rather than throwing, so a
// test can print all of them at once.
import { CoreV1Api, CustomObjectsApi, type V1Pod, type V1ServiceAccount } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI, SGP_GROUP, SGP_PLURAL, SGP_VERSION, TAG_ENI_OWNER, TAG_ENI_OWNER_VALUE, TAG_POD_UID, TAG_TRUNK_ENI_ID, TAG_WARM } from '../../../src/apis/constants.js';
import { decodePodEniAnnotation } from '../../../src/domain/pod-eni-annotation.js';
import { matchSecurityGroups } from '../../../src/domain/sgp-matching.js';
import type { EniView } from '../../../src/sim/ec2/index.js';
import type { Sandbox } from '../../../src/sim/sandbox/sandbox.js';

export interface TrunkExpectation {
  subnetId: string;
  /** Exact set of groups (order ignored). */
  groups: readonly string[];
}

export interface InvariantOptions {
  /** Where each instance's trunk must be; undefined for an instance = not checked. */
  expectedTrunk?: (instanceId: string) => TrunkExpectation | undefined;
  /** Groups an annotated pod's ENI must have; default: the union of its matching SecurityGroupPolicies. */
  expectedPodGroups?: (pod: V1Pod) => readonly string[] | undefined;
  /** Skip the pod checks (node-only tests). Default false. */
  skipPods?: boolean;
  /** Report branch ENIs without a live pod once they have been orphaned longer than the tracker's grace. */
  orphans?: OrphanTracker;
  /** Injected clock for the orphan tracker. */
  now?: number;
}

/** Remembers since when each branch ENI has had no live pod; reports those past the grace period. */
export class OrphanTracker {
  private readonly since = new Map<string, number>();
  constructor(readonly graceMs: number) {}

  /** Feed the current orphan set; returns the ENIs orphaned for longer than the grace period. */
  observe(now: number, orphanEniIds: Iterable<string>): string[] {
    const current = new Set(orphanEniIds);
    for (const id of [...this.since.keys()]) if (!current.has(id)) this.since.delete(id);
    const overdue: string[] = [];
    for (const id of current) {
      const first = this.since.get(id);
      if (first === undefined) this.since.set(id, now);
      else if (now - first > this.graceMs) overdue.push(id);
    }
    return overdue.sort();
  }
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

/** Trunk checks over the local EC2's ENIs: placement, one per instance. Pure over a snapshot. */
export function trunkViolations(enis: readonly EniView[], expectedTrunk?: InvariantOptions['expectedTrunk']): string[] {
  const out: string[] = [];
  const byInstance = new Map<string, string[]>();
  for (const e of enis) {
    if (e.interfaceType !== 'trunk') continue;
    const instanceId = e.attachment?.instanceId;
    if (instanceId) byInstance.set(instanceId, [...(byInstance.get(instanceId) ?? []), e.networkInterfaceId]);
    const want = instanceId ? expectedTrunk?.(instanceId) : undefined;
    if (want) {
      if (e.subnetId !== want.subnetId) out.push(`trunk ${e.networkInterfaceId} of ${instanceId} is in subnet ${e.subnetId}, expected ${want.subnetId}`);
      if (!sameSet(e.groups, want.groups)) {
        out.push(`trunk ${e.networkInterfaceId} of ${instanceId} has groups [${e.groups.join(' ')}], expected [${[...want.groups].join(' ')}]`);
      }
    }
  }
  for (const [instanceId, trunks] of byInstance) {
    if (trunks.length > 1) out.push(`instance ${instanceId} has ${trunks.length} trunks: ${trunks.join(', ')}`);
  }
  return out;
}

/** No VLAN ID used twice on one trunk. */
export function vlanViolations(associations: readonly { trunkInterfaceId: string; branchInterfaceId: string; vlanId: number }[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const a of associations) {
    const k = `${a.trunkInterfaceId}/${a.vlanId}`;
    const prev = seen.get(k);
    if (prev) out.push(`VLAN ${a.vlanId} is used twice on trunk ${a.trunkInterfaceId}: by ${prev} and ${a.branchInterfaceId}`);
    else seen.set(k, a.branchInterfaceId);
  }
  return out;
}

const isLive = (p: V1Pod): boolean => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** Branch ENIs (owned by the controller, created for a pod or a trunk) whose pod is not live. */
export function orphanBranchEnis(enis: readonly EniView[], pods: readonly V1Pod[]): string[] {
  const live = new Set(pods.filter(isLive).map((p) => p.metadata?.uid ?? ''));
  const annotatedLive = new Set<string>();
  for (const p of pods.filter(isLive)) {
    const raw = p.metadata?.annotations?.[ANNOTATION_POD_ENI];
    if (!raw) continue;
    const d = decodePodEniAnnotation(raw);
    if (d.ok) for (const e of d.value) annotatedLive.add(e.eniId);
  }
  return enis
    .filter((e) => e.tags[TAG_ENI_OWNER] === TAG_ENI_OWNER_VALUE && e.interfaceType !== 'trunk')
    .filter((e) => e.tags[TAG_POD_UID] !== undefined || e.tags[TAG_TRUNK_ENI_ID] !== undefined)
    // Kept warm for reuse on purpose (deleted when it expires, its node goes, or at uninstall).
    .filter((e) => e.tags[TAG_WARM] === undefined)
    .filter((e) => !annotatedLive.has(e.networkInterfaceId) && !(e.tags[TAG_POD_UID] && live.has(e.tags[TAG_POD_UID])))
    .map((e) => e.networkInterfaceId);
}

async function listPolicies(custom: CustomObjectsApi): Promise<unknown[]> {
  const out = (await custom.listCustomObjectForAllNamespaces({ group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL })) as { items?: unknown[] };
  return out.items ?? [];
}

/** Every check at once against a running sandbox. */
export async function checkInvariants(sandbox: Sandbox, opts: InvariantOptions = {}): Promise<string[]> {
  const enis = sandbox.ec2.world.listEnis();
  const violations = [...trunkViolations(enis, opts.expectedTrunk), ...vlanViolations(sandbox.ec2.world.listTrunkAssociations())];
  if (opts.skipPods) return violations;

  const admin = sandbox.kubeConfigFor('admin');
  const core = admin.makeApiClient(CoreV1Api);
  const pods = (await core.listPodForAllNamespaces()).items;
  const byId = new Map(enis.map((e) => [e.networkInterfaceId, e]));
  let policies: unknown[] | undefined;
  let accounts: V1ServiceAccount[] | undefined;
  for (const pod of pods.filter(isLive)) {
    const raw = pod.metadata?.annotations?.[ANNOTATION_POD_ENI];
    if (!raw) continue;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const decoded = decodePodEniAnnotation(raw);
    if (!decoded.ok) {
      violations.push(`pod ${key}: unreadable ${ANNOTATION_POD_ENI} annotation: ${decoded.errors.join('; ')}`);
      continue;
    }
    let want = opts.expectedPodGroups?.(pod);
    if (want === undefined) {
      policies ??= await listPolicies(admin.makeApiClient(CustomObjectsApi));
      accounts ??= (await core.listServiceAccountForAllNamespaces()).items;
      const saName = pod.spec?.serviceAccountName || 'default';
      const sa = accounts.find((a) => a.metadata?.namespace === pod.metadata?.namespace && a.metadata?.name === saName);
      want = matchSecurityGroups({
        pod: { namespace: pod.metadata?.namespace ?? 'default', labels: pod.metadata?.labels ?? {}, serviceAccountName: saName, hostNetwork: pod.spec?.hostNetwork ?? false },
        policies,
        serviceAccountLabels: sa ? (sa.metadata?.labels ?? {}) : undefined,
      }).groups;
    }
    for (const entry of decoded.value) {
      const eni = byId.get(entry.eniId);
      if (!eni) {
        violations.push(`pod ${key} is annotated with ${entry.eniId}, which does not exist in EC2`);
        continue;
      }
      if (!sameSet(eni.groups, want)) violations.push(`pod ${key}: ENI ${entry.eniId} has groups [${eni.groups.join(' ')}], expected [${want.join(' ')}]`);
    }
  }
  if (opts.orphans) {
    const overdue = opts.orphans.observe(opts.now ?? Date.now(), orphanBranchEnis(enis, pods));
    for (const id of overdue) violations.push(`branch ENI ${id} has had no live pod for longer than ${opts.orphans.graceMs} ms`);
  }
  return violations;
}
