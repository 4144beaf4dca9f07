// DescribeNetworkInterfaces' query planner: picks the most selective index a filter allows
// (IDs, attachment.instance-id, subnet-id, exact tag) as the candidate set, then checks every
// filter on the candidates. Without an indexable filter it scans all ENIs in creation order.
import { compileFilters, hasWildcard, matchesAll, type FilterSet } from './filters.js';
import { collectPage, type Page, type PageRequest } from './pagination.js';
import type { Filter } from './query-params.js';
import { OWNER_ID, type World } from './world.js';
import type { Eni } from './world-types.js';

export function eniFilterSet(world: World): FilterSet<Eni> {
  return {
    tags: (e) => e.tags,
    fields: {
      'network-interface-id': (e) => e.networkInterfaceId,
      status: (e) => e.status,
      'vpc-id': (e) => e.vpcId,
      'subnet-id': (e) => e.subnetId,
      'availability-zone': (e) => e.availabilityZone,
      description: (e) => e.description,
      'interface-type': (e) => world.interfaceTypeOf(e),
      'group-id': (e) => e.groups,
      'group-name': (e) => e.groups.map((g) => world.getGroup(g)?.groupName ?? ''),
      'mac-address': (e) => e.macAddress,
      'private-ip-address': (e) => [e.privateIpAddress, ...e.secondaryPrivateIps],
      'addresses.private-ip-address': (e) => [e.privateIpAddress, ...e.secondaryPrivateIps],
      'owner-id': () => OWNER_ID,
      'requester-managed': () => 'false',
      'source-dest-check': (e) => String(e.sourceDestCheck),
      'attachment.instance-id': (e) => e.attachment?.instanceId,
      'attachment.attachment-id': (e) => e.attachment?.attachmentId,
      'attachment.status': (e) => e.attachment?.status,
      'attachment.device-index': (e) => (e.attachment ? String(e.attachment.deviceIndex) : undefined),
      'attachment.delete-on-termination': (e) => (e.attachment ? String(e.attachment.deleteOnTermination) : undefined),
      'attachment.instance-owner-id': (e) => (e.attachment ? OWNER_ID : undefined),
    },
  };
}

interface Candidates {
  ids: Iterable<string>;
  size: number;
  /** Already in creation order (the subnet index is: ENIs join it once, when created). */
  ordered: boolean;
}

function union(sets: (ReadonlySet<string> | undefined)[]): Candidates {
  const present = sets.filter((s): s is ReadonlySet<string> => s !== undefined && s.size > 0);
  if (present.length === 1) {
    const only = present[0] as ReadonlySet<string>;
    return { ids: only, size: only.size, ordered: false };
  }
  const out = new Set<string>();
  for (const s of present) for (const id of s) out.add(id);
  return { ids: out, size: out.size, ordered: false };
}

/** The smallest candidate set an exact-value filter gives, or undefined when none applies. */
function candidatesFromIndexes(world: World, filters: readonly Filter[]): Candidates | undefined {
  let best: Candidates | undefined;
  const consider = (c: Candidates): void => {
    if (!best || c.size < best.size) best = c;
  };
  for (const f of filters) {
    if (f.values.length === 0 || f.values.some(hasWildcard)) continue;
    if (f.name === 'network-interface-id') {
      const ids = new Set(f.values);
      consider({ ids, size: ids.size, ordered: false });
    } else if (f.name === 'attachment.instance-id') consider(union(f.values.map((v) => world.eniIdsByInstance(v))));
    else if (f.name === 'subnet-id') {
      const c = union(f.values.map((v) => world.eniIdsBySubnet(v)));
      // One subnet's set is in creation order; a union of several is not.
      consider(f.values.length === 1 ? { ...c, ordered: true } : c);
    } else if (f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      consider(union(f.values.map((v) => world.eniIdsByTag(key, v))));
    } else if (f.name === 'tag-key') consider(union(f.values.map((v) => world.eniIdsByTagKey(v))));
  }
  return best;
}

/** Above this many unordered candidates, a scan in creation order beats sorting them. */
const SORT_LIMIT = 4096;

function* enisOf(world: World, ids: Iterable<string>): Generator<Eni> {
  for (const id of ids) {
    const e = world.eniById(id);
    if (e) yield e;
  }
}

export function queryEnis(world: World, ids: readonly string[], filters: readonly Filter[], page: PageRequest): Page<Eni> {
  const compiled = compileFilters(eniFilterSet(world), filters);
  const visible = world.visibleNow();
  const matches = (e: Eni): boolean => visible(e) && matchesAll(compiled, e);
  let source: Iterable<Eni>;
  if (ids.length > 0) {
    // Explicit IDs: every one must exist (and be visible), as EC2 reports missing ones as NotFound.
    source = sortBySeq(world.requireMany('eni', [...new Set(ids)], (id) => {
      const e = world.eniById(id);
      return e && visible(e) ? e : undefined;
    }));
  } else {
    const cand = candidatesFromIndexes(world, filters);
    if (cand === undefined || (!cand.ordered && cand.size > SORT_LIMIT)) source = world.allEnis();
    else if (cand.ordered) source = enisOf(world, cand.ids);
    else source = sortBySeq([...enisOf(world, cand.ids)]);
  }
  return collectPage(source, (e) => e.seq, matches, page);
}

function sortBySeq(enis: Eni[]): Eni[] {
  return enis.sort((a, b) => a.seq - b.seq);
}
