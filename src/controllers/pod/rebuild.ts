// Rebuilding a node's branch state from what survives a restart: EC2 tags (trunk ID, VLAN, owning
// pod) and pod annotations. Runs once per trunk before the first allocation on it, from the
// cluster-wide snapshot (branch-snapshot.ts) or, for a trunk seen again, from its own describes.
//
// Each branch ENI tagged with the trunk is, in order:
// - annotated on a live pod → that pod's (active);
// - annotated on a finished pod → handed over for release (cooldown);
// - tagged with a live pod's UID but not annotated (the controller crashed between create and
//   annotate) → adopted: recorded as that pod's, and its reconcile annotates with it;
// - anything else → handed over for release; the release re-checks the owner with the API server
//   before deleting (an informer cache can lag). With warm reuse on, the release keeps it warm
//   instead once its cooldown (counted from its cooling-since tag or its pod's end when known,
//   else from now) is served;
//   that is how warm ENIs (tagged vpcresources.k8s.aws/warm) survive a restart.
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI, MAX_VLAN_ID, MIN_VLAN_ID, TAG_TRUNK_ENI_ID } from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import { decodePodEniAnnotation, type PodEniEntry } from '../../domain/pod-eni-annotation.js';
import type { Logger } from '../../observability/logger.js';
import type { TrunkInfo } from '../trunk-registry.js';
import type { BranchBook, ReleaseItem } from '../../domain/branch-book.js';
import type { PodRef } from '../../domain/branch-state.js';
import { TRUNK_ASSOCIATIONS_PAGE } from './branch-eni-ops.js';
import { branchEniFacts, type BranchEniFacts, type TrunkBranches } from './branch-snapshot.js';
import { coolingSinceFromTag, podEndedAt } from './cooling-tagger.js';

export interface RebuildDeps {
  book: BranchBook;
  /** Pods on the node (from the cache). */
  podsOnNode(nodeName: string): V1Pod[];
  /** A pod by UID (from the cache). */
  podByUid(uid: string): V1Pod | undefined;
  now(): number;
  logger: Logger;
  /** The ENI already carries this cooling-since tag value (so it is not written again). */
  coolingKnown?(eniId: string, value: string): void;
}

export interface RebuildResult {
  active: number;
  adopted: number;
  released: ReleaseItem[];
}

export const isTerminal = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export function podRef(pod: V1Pod): PodRef {
  return { uid: pod.metadata?.uid ?? '', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
}

/** When the pod was bound to its node (PodScheduled condition), ms since epoch. */
export function scheduledTime(pod: V1Pod): number | undefined {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const t = cond?.lastTransitionTime;
  if (!t) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isFinite(ms) ? ms : undefined;
}

function vlanOf(eni: BranchEniFacts, entry: PodEniEntry | undefined): number | undefined {
  const raw = eni.vlanTag;
  const v = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : entry?.vlanId;
  return v !== undefined && v >= MIN_VLAN_ID && v <= MAX_VLAN_ID ? v : undefined;
}

/** The trunk's branch ENIs from its own describes (a trunk not in the start-up snapshot any more). */
export async function describeTrunkBranches(ec2: Ec2Api, trunkEniId: string): Promise<TrunkBranches> {
  // Both at once: the first allocation on the node waits for this.
  const [enis, assocs] = await Promise.all([
    ec2.describeNetworkInterfaces({ Filters: [{ Name: `tag:${TAG_TRUNK_ENI_ID}`, Values: [trunkEniId] }] }, { priority: 'background' }),
    ec2.describeTrunkInterfaceAssociations(
      { Filters: [{ Name: 'trunk-interface-association.trunk-interface-id', Values: [trunkEniId] }], MaxResults: TRUNK_ASSOCIATIONS_PAGE },
      { priority: 'background' },
    ),
  ]);
  const associations: TrunkBranches['associations'] = new Map();
  for (const a of assocs) {
    if (!a.BranchInterfaceId) continue;
    associations.set(a.BranchInterfaceId, {
      branchEniId: a.BranchInterfaceId,
      ...(a.AssociationId ? { associationId: a.AssociationId } : {}),
      ...(a.VlanId !== undefined ? { vlanId: a.VlanId } : {}),
    });
  }
  return { enis: enis.map(branchEniFacts).filter((e): e is BranchEniFacts => e !== undefined), associations };
}

/** Records the trunk's branch ENIs in the book: each active for its live pod, or handed to release. */
export function rebuildNode(deps: RebuildDeps, trunk: TrunkInfo, found: TrunkBranches): RebuildResult {
  const book = deps.book;
  const now = (): number => deps.now();
  const nodeName = trunk.nodeName;
  const log = deps.logger.child({ node: nodeName, trunk: trunk.trunkEniId });
  const { enis, associations: assocByBranch } = found;

  // ENI → (pod, index, entry) from the annotations of the node's pods.
  const annotated = new Map<string, { pod: V1Pod; index: number; entry: PodEniEntry }>();
  for (const pod of deps.podsOnNode(nodeName)) {
    const raw = pod.metadata?.annotations?.[ANNOTATION_POD_ENI];
    if (!raw) continue;
    const decoded = decodePodEniAnnotation(raw);
    if (!decoded.ok) {
      log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, errors: decoded.errors }, 'unreadable pod-eni annotation ignored by the rebuild');
      continue;
    }
    decoded.value.forEach((entry, index) => annotated.set(entry.eniId, { pod, index, entry }));
  }

  const result: RebuildResult = { active: 0, adopted: 0, released: [] };
  const adoptedIndex = new Map<string, number>();
  const t = now();
  for (const eni of enis) {
    const eniId = eni.eniId;
    const ann = annotated.get(eniId);
    const assoc = assocByBranch.get(eniId);
    const vlanId = vlanOf(eni, ann?.entry) ?? assoc?.vlanId;
    const base = {
      eniId,
      ...(assoc?.associationId ? { associationId: assoc.associationId } : {}),
      ...(eni.macAddress ? { macAddress: eni.macAddress } : {}),
      ...(eni.privateIp ? { privateIp: eni.privateIp } : {}),
      // What EC2 says the groups are: a warm ENI is only reused for exactly these.
      ...(eni.groups ? { groups: eni.groups } : {}),
    };
    let owner: { pod: V1Pod; index: number } | undefined;
    let live = false;
    if (ann) {
      owner = ann;
      live = !isTerminal(ann.pod);
    } else {
      const uid = eni.podUid;
      const pod = uid ? deps.podByUid(uid) : undefined;
      if (pod && !isTerminal(pod) && !pod.metadata?.annotations?.[ANNOTATION_POD_ENI]) {
        const index = adoptedIndex.get(uid as string) ?? 0;
        adoptedIndex.set(uid as string, index + 1);
        owner = { pod, index };
        live = true;
        result.adopted++;
      }
    }
    const recorded =
      vlanId !== undefined &&
      book.record(nodeName, {
        ...base,
        vlanId,
        pod: owner ? podRef(owner.pod) : tagPod(eni),
        index: owner?.index ?? 0,
        phase: 'active',
      });
    if (recorded && live) {
      result.active++;
      continue;
    }
    // Not (or no longer) serving a live pod: release after the cooldown, re-checking the owner first.
    // The cooldown goes on from where it was (its tag, or when the pod ended), not from now (issue 10).
    if (eni.coolingSince !== undefined) deps.coolingKnown?.(eniId, eni.coolingSince);
    const since = coolingSinceFromTag(eni.coolingSince, t) ?? (owner ? podEndedAt(owner.pod) : undefined) ?? t;
    const item = book.releaseEni({
      eniId,
      nodeName,
      ...(assoc?.associationId ? { associationId: assoc.associationId } : {}),
      pod: owner ? podRef(owner.pod) : tagPod(eni),
      since: Math.min(since, t),
      immediate: false,
      orphan: !owner,
    });
    result.released.push(item);
  }
  if (enis.length > 0) log.info({ enis: enis.length, active: result.active, adopted: result.adopted, released: result.released.length }, 'branch state rebuilt from EC2 and pod annotations');
  return result;
}

function tagPod(eni: BranchEniFacts): PodRef {
  return { uid: eni.podUid ?? '', namespace: eni.podNamespace ?? '', name: eni.podName ?? '' };
}
