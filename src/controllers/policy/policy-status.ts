// SecurityGroupPolicy status and events (issue 14): every policy gets status.conditions (Ready),
// status.resolvedGroupIds, status.matchedPods and status.observedGeneration, written through the
// status subresource only when they change. A policy that is invalid, or whose groups by name or
// tag are missing or over the quota, gets a Warning event on itself, once per generation and
// problem (a restart finds the problem already in the status and does not repeat it).
//
//   policy / pod / ServiceAccount / catalog changes ──(keys only)──▶ queue ──▶ reconcile(policy key)
import type { V1Pod } from '@kubernetes/client-node';
import {
  REASON_INVALID_SECURITY_GROUP_POLICY,
  REASON_SECURITY_GROUPS_NOT_FOUND,
  REASON_SECURITY_GROUP_QUOTA_EXCEEDED,
  SGP_GROUP,
  SGP_PLURAL,
  SGP_VERSION,
} from '../../apis/constants.js';
import { podFacts } from '../kube-facts.js';
import { parseSecurityGroupPolicy, type SecurityGroupPolicyStatus } from '../../apis/security-group-policy.js';
import { usesGroupLookup } from '../../domain/policy-groups.js';
import { CONDITION_READY, desiredPolicyStatus, sameStatus } from '../../domain/policy-status.js';
import { judge, serviceAccountOf } from '../../domain/sgp-matching.js';
import { isNotFound } from '../../kube/errors.js';
import { eventTarget } from '../../kube/events.js';
import { objectKey } from '../../kube/informer.js';
import { mergePatchNamespacedCustomObjectStatus } from '../../kube/patch.js';
import { Outcome, WorkQueue, type ReconcileOutcome } from '../../kube/work-queue.js';
import type { ControllerContext, ControllerPart } from '../context.js';
import { POD_INDEX_NAMESPACE, SGP_INDEX_NAMESPACE, serviceAccountLabels, type SecurityGroupPolicyObject } from '../informers.js';
import type { SecurityGroupCatalog } from './group-catalog.js';

export interface PolicyStatusOptions {
  catalog: SecurityGroupCatalog;
  /** Pod churn is folded into one status write per policy per this long. Default 2 s. */
  podDebounceMs?: number;
  workers?: number;
  now?: () => number;
}

const WARNING_REASON: Record<string, string> = {
  Invalid: REASON_INVALID_SECURITY_GROUP_POLICY,
  GroupsNotFound: REASON_SECURITY_GROUPS_NOT_FOUND,
  QuotaExceeded: REASON_SECURITY_GROUP_QUOTA_EXCEEDED,
};

export function startPolicyStatus(ctx: ControllerContext, opts: PolicyStatusOptions): ControllerPart {
  const log = ctx.logger.child({ controller: 'policy-status' });
  const { informers } = ctx;
  const now = opts.now ?? Date.now;
  const debounce = opts.podDebounceMs ?? 2_000;
  /** Per policy UID: the last problem warned about (generation|reason|message). */
  const warned = new Map<string, string>();

  const reconcile = async (key: string): Promise<ReconcileOutcome> => {
    const policy = informers.policies.get(key);
    if (!policy?.metadata?.name || !policy.metadata.namespace) return Outcome.done();
    const { name, namespace } = policy.metadata;
    const generation = policy.metadata.generation;
    const previous = policy.status;
    const parsed = parseSecurityGroupPolicy(policy);
    const errors = parsed.ok ? [] : parsed.errors;
    const sg = parsed.ok ? parsed.value.spec.securityGroups : undefined;
    const resolution = parsed.ok ? opts.catalog.resolve(sg, ctx.settings.securityGroupsPerInterface) : undefined;
    const matchedPods = parsed.ok ? countMatchedPods(parsed.value, informers.pods.byIndex(POD_INDEX_NAMESPACE, namespace), (sa) => serviceAccountLabels(informers, namespace, sa)) : 0;
    const desired = desiredPolicyStatus({
      generation,
      errors,
      resolution,
      selects: parsed.ok && (parsed.value.spec.podSelector !== undefined || parsed.value.spec.serviceAccountSelector !== undefined),
      matchedPods,
      previous,
      now: new Date(now()).toISOString(),
    });
    warnOnce(policy, previous, desired);
    if (sameStatus(previous, desired)) return Outcome.done();
    try {
      await mergePatchNamespacedCustomObjectStatus(ctx.kube.custom, { group: SGP_GROUP, version: SGP_VERSION, plural: SGP_PLURAL, namespace, name }, { status: desired });
    } catch (err) {
      if (isNotFound(err)) return Outcome.done();
      throw err;
    }
    log.debug({ policy: key, ready: desired.conditions?.[0]?.status, reason: desired.conditions?.[0]?.reason, matchedPods }, 'policy status written');
    return Outcome.done();
  };

  const warnOnce = (policy: SecurityGroupPolicyObject, previous: SecurityGroupPolicyStatus | undefined, desired: SecurityGroupPolicyStatus): void => {
    const ready = desired.conditions?.find((c) => c.type === CONDITION_READY);
    const uid = policy.metadata?.uid ?? objectKey(policy);
    const eventReason = ready ? WARNING_REASON[ready.reason] : undefined;
    if (!ready || ready.status === 'True' || !eventReason) {
      warned.delete(uid);
      return;
    }
    const id = `${desired.observedGeneration ?? ''}|${ready.reason}|${ready.message}`;
    if (warned.get(uid) === id) return;
    warned.set(uid, id);
    // Already reported before a restart: the status says exactly this for this generation.
    const before = previous?.conditions?.find((c) => c.type === CONDITION_READY);
    if (before && previous?.observedGeneration === desired.observedGeneration && before.reason === ready.reason && before.message === ready.message) return;
    ctx.events.warning(eventTarget('SecurityGroupPolicy', policy), eventReason, `SecurityGroupPolicy ${objectKey(policy)}: ${ready.message}`);
  };

  const queue = new WorkQueue({ name: 'policy-status', concurrency: opts.workers ?? 2, reconcile, registry: ctx.registry, logger: log, paused: true });
  const namespacePolicies = (ns: string | undefined, delayMs: number): void => {
    if (!ns) return;
    for (const p of informers.policies.byIndex(SGP_INDEX_NAMESPACE, ns)) queue.addAfter(objectKey(p), delayMs);
  };
  const onPolicy = (p: SecurityGroupPolicyObject): void => {
    queue.add(objectKey(p));
    // A policy by name or tag may name a group created just before it: read the VPC's groups again.
    if (usesGroupLookup(p.spec?.securityGroups)) void opts.catalog.refresh();
  };
  informers.policies.onAdd(onPolicy);
  informers.policies.onUpdate((p, old) => {
    if (p.metadata?.generation !== old?.metadata?.generation || !old) onPolicy(p);
    else queue.add(objectKey(p)); // status-only change (ours or someone else's): check it says what it should
  });
  informers.policies.onDelete((p) => warned.delete(p.metadata?.uid ?? objectKey(p)));
  informers.pods.onAdd((p) => namespacePolicies(p.metadata?.namespace, debounce));
  informers.pods.onUpdate((p) => namespacePolicies(p.metadata?.namespace, debounce));
  informers.pods.onDelete((p) => namespacePolicies(p.metadata?.namespace, debounce));
  informers.serviceAccounts.onAdd((sa) => namespacePolicies(sa.metadata?.namespace, debounce));
  informers.serviceAccounts.onUpdate((sa) => namespacePolicies(sa.metadata?.namespace, debounce));
  opts.catalog.onChange(() => {
    for (const p of informers.policies.list()) if (usesGroupLookup(p.spec?.securityGroups)) queue.add(objectKey(p));
  });

  let stopped = false;
  void informers.policies.waitForSync().then(() => {
    if (stopped) return;
    for (const p of informers.policies.list()) queue.add(objectKey(p));
    queue.start();
  });
  return {
    ready: () => !stopped,
    async stop() {
      stopped = true;
      await queue.shutdown();
    },
  };
}

/** Running pods of the policy's namespace it selects (terminal and host-network pods excluded). */
function countMatchedPods(
  policy: Parameters<typeof judge>[0],
  pods: readonly V1Pod[],
  saLabels: (sa: string) => Readonly<Record<string, string>> | undefined,
): number {
  let n = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp) continue;
    const facts = podFacts(pod);
    if (facts.hostNetwork) continue;
    if (judge(policy, facts, policy.spec.serviceAccountSelector ? saLabels(serviceAccountOf(facts)) : undefined) === 'match') n++;
  }
  return n;
}
