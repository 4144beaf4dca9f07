// DescribeNetworkInterfaces' query planner: picks the most selective index a filter allows
// (IDs, attachment.instance-id, subnet-id, exact tag) as the candidate set, then checks every
// filter on the candidates. Without an indexable filter it scans all ENIs in creation order.
import { compileFilters, hasWildcard, matchesAll, type FilterSet } from './filters.js';
import { collectPage, type Page, type PageRequest } from './pagination.js';
import type { Filter } from './query-params.js';
import type { World } from './world.js';
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
      'owner-id': () => '111122223333',
      'requester-managed': () => 'false',
      'source-dest-check': (e) => String(e.sourceDestCheck),
      'attachment.instance-id': (e) => e.attachment?.instanceId,
      'attachment.attachment-id': (e) => e.attachment?.attachmentId,
      'attachment.status': (e) => e.attachment?.status,
      'attachment.device-index': (e) => (e.attachment ? String(e.attachment.deviceIndex) : undefined),
      'attachment.delete-on-termination': (e) => (e.attachment ? String(e.attachment.deleteOnTermination) : undefined),
      'attachment.instance-owner-id': (e) => (e.attachment ? '111122223333' : undefined),
    },
  };
}

function union(sets: (ReadonlySet<string> | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) if (s) for (const id of s) out.add(id);
  return out;
}

/** The smallest candidate ID set an exact-value filter gives, or undefined when none applies. */
function candidatesFromIndexes(world: World, filters: readonly Filter[]): Set<string> | undefined {
  let best: Set<string> | undefined;
  const consider = (s: Set<string>): void => {
    if (!best || s.size < best.size) best = s;
  };
  for (const f of filters) {
    if (f.values.length === 0 || f.values.some(hasWildcard)) continue;
    if (f.name === 'network-interface-id') consider(new Set(f.values));
    else if (f.name === 'attachment.instance-id') consider(union(f.values.map((v) => world.eniIdsByInstance(v))));
    else if (f.name === 'subnet-id') consider(union(f.values.map((v) => world.eniIdsBySubnet(v))));
    else if (f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      consider(union(f.values.map((v) => world.eniIdsByTag(key, v))));
    } else if (f.name === 'tag-key') consider(union(f.values.map((v) => world.eniIdsByTagKey(v))));
  }
  return best;
}

export function queryEnis(world: World, ids: readonly string[], filters: readonly Filter[], page: PageRequest): Page<Eni> {
  const compiled = compileFilters(eniFilterSet(world), filters);
  const matches = (e: Eni): boolean => world.isVisible(e) && matchesAll(compiled, e);
  let source: Iterable<Eni>;
  if (ids.length > 0) {
    // Explicit IDs: every one must exist (and be visible), as EC2 reports missing ones as NotFound.
    source = sortBySeq(world.requireMany('eni', [...new Set(ids)], (id) => {
      const e = world.getEni(id);
      return e && world.isVisible(e) ? e : undefined;
    }));
  } else {
    const cand = candidatesFromIndexes(world, filters);
    if (cand === undefined) source = world.allEnis();
    else {
      const found: Eni[] = [];
      for (const id of cand) {
        const e = world.getEni(id);
        if (e) found.push(e);
      }
      source = sortBySeq(found);
    }
  }
  return collectPage(source, (e) => e.seq, matches, page);
}

function sortBySeq(enis: Eni[]): Eni[] {
  return enis.sort((a, b) => a.seq - b.seq);
}
