// Instance-type facts for the local EC2, read from the product's copy of the limits data
// (src/domain/data/instance-limits.json). A tiny local accessor: the simulator needs only slots,
// trunk support and branch limits, and must not depend on the controller's lookup module.
import { readFileSync } from 'node:fs';

export interface NetworkCard {
  networkCardIndex: number;
  maximumNetworkInterfaces: number;
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

interface RawLimits {
  interface: number;
  ipv4PerInterface: number;
  isTrunkingCompatible: boolean;
  branchInterface: number;
  defaultNetworkCardIndex: number;
  networkCards: NetworkCard[];
  hypervisor: string;
  isBareMetal: boolean;
}

let cache: ReadonlyMap<string, InstanceTypeInfo> | undefined;

export function instanceTypeCatalog(): ReadonlyMap<string, InstanceTypeInfo> {
  if (cache) return cache;
  const url = new URL('../../domain/data/instance-limits.json', import.meta.url);
  const raw = JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  const out = new Map<string, InstanceTypeInfo>();
  for (const [name, v] of Object.entries(raw)) {
    if (name.startsWith('_')) continue; // provenance keys
    const r = v as RawLimits;
    const cards = r.networkCards?.length
      ? r.networkCards
      : [{ networkCardIndex: 0, maximumNetworkInterfaces: r.interface }];
    out.set(name, {
      instanceType: name,
      maximumNetworkInterfaces: r.interface,
      ipv4AddressesPerInterface: r.ipv4PerInterface,
      trunkCompatible: r.isTrunkingCompatible,
      branchInterfaces: r.branchInterface,
      defaultNetworkCardIndex: r.defaultNetworkCardIndex ?? 0,
      networkCards: cards,
      hypervisor: r.hypervisor,
      bareMetal: r.isBareMetal,
    });
  }
  cache = out;
  return out;
}

/** Device slots on a network card: min(interfaces, the card's maximum), as the contract §5 says. */
export function slotsOnCard(info: InstanceTypeInfo, cardIndex: number): number {
  const card = info.networkCards.find((c) => c.networkCardIndex === cardIndex);
  if (!card) return 0;
  return Math.min(info.maximumNetworkInterfaces, card.maximumNetworkInterfaces);
}
