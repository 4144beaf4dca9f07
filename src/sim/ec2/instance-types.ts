// Instance-type facts for the local EC2, shaped the way DescribeInstanceTypes reports them. The
// local EC2 keeps its own copy of the public data (data/instance-types.json, provenance in its
// `_source`), not the controller's table: a mistake in the controller's limits must show up as a
// disagreement with EC2, not agree with itself. test/unit/sim-facts/ compares the two copies.
import catalogData from './data/instance-types.json' with { type: 'json' };

export interface NetworkCard {
  networkCardIndex: number;
  maximumNetworkInterfaces: number;
}

/** One type's entry in the public data's format (limits.go field names); also the shape of extra types. */
export interface InstanceTypeEntry {
  interface: number;
  ipv4PerInterface: number;
  isTrunkingCompatible: boolean;
  branchInterface: number;
  defaultNetworkCardIndex: number;
  networkCards: NetworkCard[];
  hypervisor?: string;
  isBareMetal?: boolean;
}

/** Where the local EC2's instance-type data came from. */
export const INSTANCE_TYPES_SOURCE: string = (catalogData as Record<string, unknown>)._source as string;

/** The local EC2's own entries (provenance key dropped), in file order. */
export function catalogEntries(): ReadonlyMap<string, InstanceTypeEntry> {
  const m = new Map<string, InstanceTypeEntry>();
  for (const [type, entry] of Object.entries(catalogData as Record<string, unknown>)) {
    if (!type.startsWith('_')) m.set(type, entry as InstanceTypeEntry);
  }
  return m;
}

export interface InstanceTypeInfo {
  instanceType: string;
  maximumNetworkInterfaces: number;
  ipv4AddressesPerInterface: number;
  trunkCompatible: boolean;
  branchInterfaces: number;
  defaultNetworkCardIndex: number;
  networkCards: NetworkCard[];
  hypervisor: string;
  bareMetal: boolean;
}

function toInfo(name: string, r: InstanceTypeEntry): InstanceTypeInfo {
  const cards = r.networkCards.length ? r.networkCards : [{ networkCardIndex: 0, maximumNetworkInterfaces: r.interface }];
  return {
    instanceType: name,
    maximumNetworkInterfaces: r.interface,
    ipv4AddressesPerInterface: r.ipv4PerInterface,
    trunkCompatible: r.isTrunkingCompatible,
    branchInterfaces: r.isTrunkingCompatible ? r.branchInterface : 0,
    defaultNetworkCardIndex: r.defaultNetworkCardIndex,
    networkCards: cards,
    hypervisor: r.hypervisor ?? '',
    bareMetal: r.isBareMetal ?? false,
  };
}

let shipped: ReadonlyMap<string, InstanceTypeInfo> | undefined;

/** The shipped catalog, with `extra` entries added or replacing shipped ones. */
export function instanceTypeCatalog(extra?: ReadonlyMap<string, InstanceTypeEntry>): ReadonlyMap<string, InstanceTypeInfo> {
  if (!shipped) {
    const m = new Map<string, InstanceTypeInfo>();
    for (const [name, e] of catalogEntries()) m.set(name, toInfo(name, e));
    shipped = m;
  }
  if (!extra || extra.size === 0) return shipped;
  const merged = new Map(shipped);
  for (const [name, e] of extra) merged.set(name, toInfo(name, e));
  return merged;
}

/** Device slots on a network card: min(interfaces, the card's maximum), as the contract §5 says. */
export function slotsOnCard(info: InstanceTypeInfo, cardIndex: number): number {
  const card = info.networkCards.find((c) => c.networkCardIndex === cardIndex);
  if (!card) return 0;
  return Math.min(info.maximumNetworkInterfaces, card.maximumNetworkInterfaces);
}
