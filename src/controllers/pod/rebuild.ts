// Rebuilding a node's branch state from what survives a restart: EC2 tags (trunk ID, VLAN, owning
// pod) and pod annotations. Runs once per trunk before the first allocation on it.
//
// Each branch ENI tagged with the trunk is, in order:
// - annotated on a live pod → that pod's (active);
// - annotated on a finished pod → handed over for release (cooldown);
// - tagged with a live pod's UID but not annotated (the controller crashed between create and
//   annotate) → adopted: recorded as that pod's, and its reconcile annotates with it;
// - anything else → handed over for release; the release re-checks the owner with the API server
//   before deleting (an informer cache can lag).
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_POD_ENI, MAX_VLAN_ID, MIN_VLAN_ID, TAG_POD_NAME, TAG_POD_NAMESPACE, TAG_POD_UID, TAG_TRUNK_ENI_ID, TAG_VLAN_ID } from '../../apis/constants.js';
import type { Ec2Gateway } from '../../aws/gateway.js';
import { decodePodEniAnnotation, type PodEniEntry } from '../../domain/pod-eni-annotation.js';
import type { Logger } from '../../observability/logger.js';
import type { TrunkInfo } from '../trunk-registry.js';
import type { BranchBook, ReleaseItem } from '../../domain/branch-book.js';
import type { PodRef } from '../../domain/branch-state.js';
import { TRUNK_ASSOCIATIONS_PAGE, tagOf } from './branch-eni-ops.js';

export interface RebuildDeps {
  ec2: Ec2Gateway;
  book: BranchBook;
  /** Pods on the node (from the cache). */
  podsOnNode(nodeName: string): V1Pod[];
  /** A pod by UID (from the cache). */
  podByUid(uid: string): V1Pod | undefined;
  now(): number;
  logger: Logger;
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

function vlanOf(eni: NetworkInterface, entry: PodEniEntry | undefined): number | undefined {
  const raw = tagOf(eni, TAG_VLAN_ID);
  const v = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : entry?.vlanId;
  return v !== undefined && v >= MIN_VLAN_ID && v <= MAX_VLAN_ID ? v : undefined;
}

export async function rebuildNode(deps: RebuildDeps, trunk: TrunkInfo): Promise<RebuildResult> {
  const book = deps.book;
  const now = (): number => deps.now();
  const nodeName = trunk.nodeName;
  const log = deps.logger.child({ node: nodeName, trunk: trunk.trunkEniId });
  // Both at once: the first allocation on the node waits for this.
  const [enis, assocs] = await Promise.all([
    deps.ec2.describeNetworkInterfaces({ Filters: [{ Name: `tag:${TAG_TRUNK_ENI_ID}`, Values: [trunk.trunkEniId] }] }, { priority: 'background' }),
    deps.ec2.describeTrunkInterfaceAssociations(
      { Filters: [{ Name: 'trunk-interface-association.trunk-interface-id', Values: [trunk.trunkEniId] }], MaxResults: TRUNK_ASSOCIATIONS_PAGE },
      { priority: 'background' },
    ),
  ]);
  const assocByBranch = new Map(assocs.map((a) => [a.BranchInterfaceId ?? '', a]));

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
    const eniId = eni.NetworkInterfaceId;
    if (!eniId) continue;
    const ann = annotated.get(eniId);
    const assoc = assocByBranch.get(eniId);
    const vlanId = vlanOf(eni, ann?.entry) ?? assoc?.VlanId;
    const base = {
      eniId,
      ...(assoc?.AssociationId ? { associationId: assoc.AssociationId } : {}),
      ...(eni.MacAddress ? { macAddress: eni.MacAddress } : {}),
      ...(eni.PrivateIpAddress ? { privateIp: eni.PrivateIpAddress } : {}),
    };
    let owner: { pod: V1Pod; index: number } | undefined;
    let live = false;
    if (ann) {
      owner = ann;
      live = !isTerminal(ann.pod);
    } else {
      const uid = tagOf(eni, TAG_POD_UID);
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
    const item = book.releaseEni({
      eniId,
      nodeName,
      ...(assoc?.AssociationId ? { associationId: assoc.AssociationId } : {}),
      pod: owner ? podRef(owner.pod) : tagPod(eni),
      since: t,
      immediate: false,
      orphan: !owner,
    });
    result.released.push(item);
  }
  log.info({ enis: enis.length, active: result.active, adopted: result.adopted, released: result.released.length }, 'branch state rebuilt from EC2 and pod annotations');
  return result;
}

function tagPod(eni: NetworkInterface): PodRef {
  return { uid: tagOf(eni, TAG_POD_UID) ?? '', namespace: tagOf(eni, TAG_POD_NAMESPACE) ?? '', name: tagOf(eni, TAG_POD_NAME) ?? '' };
}
