// Instance-type facts for the local EC2, from the product's limits data through the domain's
// loader (src/domain/instance-limits.ts), shaped the way DescribeInstanceTypes reports them.
import { shippedEntries, type InstanceLimitsEntry, type NetworkCard } from '../../domain/instance-limits.js';

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

function toInfo(name: string, r: InstanceLimitsEntry): InstanceTypeInfo {
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
export function instanceTypeCatalog(extra?: ReadonlyMap<string, InstanceLimitsEntry>): ReadonlyMap<string, InstanceTypeInfo> {
  if (!shipped) {
    const m = new Map<string, InstanceTypeInfo>();
    for (const [name, e] of shippedEntries()) m.set(name, toInfo(name, e));
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
