// The periodic GC pass: nothing is ever forgotten. Lists the branch ENIs this cluster's controller
// owns in EC2 (owner + cluster tags, branch description) and hands over for release every one that
// the bookkeeping does not know and that no live pod holds — e.g. an ENI whose pod was deleted while
// the controller was down, or on a node whose trunk is gone. Ownership is re-checked with the API
// server by the release itself (not only the cache) before anything is deleted.
import type { V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATION_POD_ENI,
  BRANCH_ENI_DESCRIPTION,
  TAG_POD_NAME,
  TAG_POD_NAMESPACE,
  TAG_POD_UID,
  TAG_TRUNK_ENI_ID,
} from '../../apis/constants.js';
import type { Ec2Api } from '../../aws/ec2-api.js';
import type { Logger } from '../../observability/logger.js';
import type { BranchBook, ReleaseItem } from '../../domain/branch-book.js';
import { ownedEniFilters, tagOf } from './branch-eni-ops.js';
import { coolingSinceFromTag, TAG_COOLING_SINCE } from './cooling-tagger.js';
import { isTerminal } from './rebuild.js';

export interface GcDeps {
  ec2: Ec2Api;
  clusterName: string;
  book: BranchBook;
  podByUid(uid: string): V1Pod | undefined;
  /** Pod UIDs (or warm top-up UIDs) with a create in flight: their newest ENI may not be recorded yet. */
  allocating: Pick<ReadonlySet<string>, 'has'>;
  /** The node whose published trunk this is, if any. */
  trunkNode(trunkEniId: string): string | undefined;
  /** ENI IDs named by the annotations of live pods. */
  annotatedEnis(): ReadonlySet<string>;
  now(): number;
  logger: Logger;
}

/** Runs one pass; returns the ENIs newly handed over for release (the caller enqueues them). */
export async function runGcPass(deps: GcDeps): Promise<ReleaseItem[]> {
  const enis = await deps.ec2.describeNetworkInterfaces(
    {
      Filters: [
        ...ownedEniFilters(deps.clusterName),
        { Name: 'description', Values: [BRANCH_ENI_DESCRIPTION] },
      ],
    },
    { priority: 'background' },
  );
  const annotated = deps.annotatedEnis();
  const out: ReleaseItem[] = [];
  const t = deps.now();
  for (const eni of enis) {
    const eniId = eni.NetworkInterfaceId;
    if (!eniId || deps.book.knows(eniId) || annotated.has(eniId)) continue;
    const uid = tagOf(eni, TAG_POD_UID);
    if (uid && deps.allocating.has(uid)) continue;
    const pod = uid ? deps.podByUid(uid) : undefined;
    // A live pod's unrecorded ENI is adopted by that pod's reconcile (after its node's rebuild), not deleted.
    if (pod && !isTerminal(pod)) continue;
    const trunk = tagOf(eni, TAG_TRUNK_ENI_ID);
    const item = deps.book.releaseEni({
      eniId,
      nodeName: (trunk && deps.trunkNode(trunk)) ?? '',
      pod: { uid: uid ?? '', namespace: tagOf(eni, TAG_POD_NAMESPACE) ?? '', name: tagOf(eni, TAG_POD_NAME) ?? '' },
      // A cooldown started before a restart goes on from its tag.
      since: coolingSinceFromTag(tagOf(eni, TAG_COOLING_SINCE), t) ?? t,
      immediate: false,
      orphan: true,
    });
    out.push(item);
  }
  if (out.length > 0) deps.logger.info({ orphans: out.map((i) => i.eniId) }, 'GC: branch ENIs without a live pod handed over for release');
  return out;
}

/** ENI IDs named by the pod-eni annotations of live pods (GcDeps.annotatedEnis). */
export function annotatedEniIds(pods: readonly V1Pod[]): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const raw = p.metadata?.annotations?.[ANNOTATION_POD_ENI];
    if (!raw || isTerminal(p)) continue;
    try {
      const arr = JSON.parse(raw) as unknown;
      if (Array.isArray(arr)) for (const e of arr) if (e && typeof e === 'object' && typeof (e as { eniId?: unknown }).eniId === 'string') out.add((e as { eniId: string }).eniId);
    } catch {
      // unreadable annotations are reported elsewhere
    }
  }
  return out;
}
