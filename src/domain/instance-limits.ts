// Per instance type network limits: interface slots, trunk support, branch ENI limit. The
// shipped table (data/instance-limits.json, with its `_source` provenance) is merged with
// operator overrides from a JSON/YAML document, so a new instance type needs no release.
// Pure: callers read override files or ConfigMap keys and hand the text in.
import { parse as parseYaml } from 'yaml';
import { MAX_VLAN_ID } from '../apis/constants.js';
import type { ParseResult } from '../apis/parse-result.js';
import shippedData from './data/instance-limits.json' with { type: 'json' };

export interface NetworkCard {
  networkCardIndex: number;
  maximumNetworkInterfaces: number;
}

/** One type's entry in the data file's own format (the reference controller's limits.go). */
export interface InstanceLimitsEntry {
  interface: number;
  ipv4PerInterface: number;
  isTrunkingCompatible: boolean;
  branchInterface: number;
  defaultNetworkCardIndex: number;
  networkCards: NetworkCard[];
  hypervisor?: string;
  isBareMetal?: boolean;
}

export interface InstanceLimits {
  instanceType: string;
  /** Maximum network interfaces on the instance, over all network cards. */
  interfaces: number;
  ipv4PerInterface: number;
  trunkSupported: boolean;
  /** Branch ENIs a trunk can carry: the `vpc.amazonaws.com/pod-eni` capacity. */
  branchLimit: number;
  /** Device indexes usable on the default network card: min(interfaces, its maximum). */
  deviceSlots: number;
  networkCards: NetworkCard[];
  defaultNetworkCardIndex: number;
}

const INSTANCE_TYPE_NAME = /^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/;

function toLimits(instanceType: string, e: InstanceLimitsEntry): InstanceLimits {
  const defaultCard = e.networkCards.find((c) => c.networkCardIndex === e.defaultNetworkCardIndex);
  return {
    instanceType,
    interfaces: e.interface,
    ipv4PerInterface: e.ipv4PerInterface,
    trunkSupported: e.isTrunkingCompatible,
    branchLimit: e.isTrunkingCompatible ? e.branchInterface : 0,
    deviceSlots: Math.min(e.interface, defaultCard?.maximumNetworkInterfaces ?? e.interface),
    networkCards: e.networkCards.map((c) => ({ ...c })),
    defaultNetworkCardIndex: e.defaultNetworkCardIndex,
  };
}

const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Check one complete entry (after merging an override onto the shipped entry, if any).
 * Errors are prefixed with `<where>.<field>`.
 */
export function instanceLimitsEntryErrors(where: string, e: Partial<Record<keyof InstanceLimitsEntry, unknown>>): string[] {
  const errors: string[] = [];
  if (!isCount(e.interface, 1)) errors.push(`${where}.interface: must be an integer >= 1 (got ${JSON.stringify(e.interface)})`);
  if (!isCount(e.ipv4PerInterface, 1)) {
    errors.push(`${where}.ipv4PerInterface: must be an integer >= 1 (got ${JSON.stringify(e.ipv4PerInterface)})`);
  }
  if (typeof e.isTrunkingCompatible !== 'boolean') {
    errors.push(`${where}.isTrunkingCompatible: must be true or false (got ${JSON.stringify(e.isTrunkingCompatible)})`);
  }
  if (!isCount(e.branchInterface, 0) || e.branchInterface > MAX_VLAN_ID) {
    errors.push(
      `${where}.branchInterface: must be an integer from 0 to ${MAX_VLAN_ID}, the VLAN IDs a trunk has (got ${JSON.stringify(e.branchInterface)})`,
    );
  } else if (e.isTrunkingCompatible === true && e.branchInterface === 0) {
    errors.push(`${where}.branchInterface: must be at least 1 when isTrunkingCompatible is true`);
  } else if (e.isTrunkingCompatible === false && e.branchInterface !== 0) {
    errors.push(`${where}.branchInterface: must be 0 when isTrunkingCompatible is false`);
  }
  if (!isCount(e.defaultNetworkCardIndex, 0)) {
    errors.push(`${where}.defaultNetworkCardIndex: must be an integer >= 0 (got ${JSON.stringify(e.defaultNetworkCardIndex)})`);
  }
  if (!Array.isArray(e.networkCards) || e.networkCards.length === 0) {
    errors.push(`${where}.networkCards: must be a non-empty list of {networkCardIndex, maximumNetworkInterfaces}`);
  } else {
    const cards = e.networkCards as unknown[];
    const seen = new Set<number>();
    cards.forEach((card, i) => {
      const c = (typeof card === 'object' && card !== null ? card : {}) as Partial<NetworkCard>;
      if (!isCount(c.networkCardIndex, 0)) errors.push(`${where}.networkCards[${i}].networkCardIndex: must be an integer >= 0`);
      else if (seen.has(c.networkCardIndex)) errors.push(`${where}.networkCards[${i}].networkCardIndex: ${c.networkCardIndex} is listed twice`);
      else seen.add(c.networkCardIndex);
      if (!isCount(c.maximumNetworkInterfaces, 1)) {
        errors.push(`${where}.networkCards[${i}].maximumNetworkInterfaces: must be an integer >= 1`);
      }
    });
    if (isCount(e.defaultNetworkCardIndex, 0) && !seen.has(e.defaultNetworkCardIndex) && errors.length === 0) {
      errors.push(`${where}.defaultNetworkCardIndex: ${e.defaultNetworkCardIndex} is not one of the networkCards`);
    }
  }
  return errors;
}

const FIELDS: readonly (keyof InstanceLimitsEntry)[] = [
  'interface',
  'ipv4PerInterface',
  'isTrunkingCompatible',
  'branchInterface',
  'defaultNetworkCardIndex',
  'networkCards',
  'hypervisor',
  'isBareMetal',
];

/**
 * Parse an override document (JSON or YAML; a ConfigMap value or a file's text): a map from
 * instance type to an entry in the data file's format. For a type already in `base`, any
 * subset of fields may be given and the rest is kept; a new type needs `interface`,
 * `ipv4PerInterface`, `isTrunkingCompatible` and `branchInterface`, and gets one network card
 * with all its interfaces unless `networkCards` says otherwise. Keys starting with `_` are
 * comments (like the data file's `_source`). All or nothing: any error rejects the document.
 */
export function parseLimitsOverrides(
  text: string,
  source: string,
  base: ReadonlyMap<string, InstanceLimitsEntry> = shippedEntries(),
): ParseResult<Map<string, InstanceLimitsEntry>> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { ok: false, errors: [`${source}: not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (doc === null || doc === undefined) return { ok: true, value: new Map() };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, errors: [`${source}: must be a map from instance type to limits, e.g. {"m5.large": {"branchInterface": 9}}`] };
  }
  const errors: string[] = [];
  const out = new Map<string, InstanceLimitsEntry>();
  for (const [type, raw] of Object.entries(doc as Record<string, unknown>)) {
    if (type.startsWith('_')) continue;
    const where = `${source}: ${type}`;
    if (!INSTANCE_TYPE_NAME.test(type)) {
      errors.push(`${where}: "${type}" is not an instance type name (expected family.size, e.g. m5.large)`);
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push(`${where}: must be a map of limit fields`);
      continue;
    }
    const given = raw as Record<string, unknown>;
    const unknownFields = Object.keys(given).filter((k) => !(FIELDS as readonly string[]).includes(k));
    if (unknownFields.length > 0) {
      errors.push(`${where}: unknown field(s) ${unknownFields.join(', ')} (known: ${FIELDS.join(', ')})`);
      continue;
    }
    const existing = base.get(type);
    const merged: Record<string, unknown> = existing
      ? { ...existing, ...given }
      : {
          defaultNetworkCardIndex: 0,
          networkCards:
            typeof given.interface === 'number' ? [{ networkCardIndex: 0, maximumNetworkInterfaces: given.interface }] : undefined,
          ...given,
        };
    if (!existing) {
      const missing = ['interface', 'ipv4PerInterface', 'isTrunkingCompatible', 'branchInterface'].filter((k) => !(k in given));
      if (missing.length > 0) {
        errors.push(`${where}: a type not in the shipped data needs ${missing.join(', ')}`);
        continue;
      }
    }
    const entryErrors = instanceLimitsEntryErrors(where, merged);
    if (entryErrors.length > 0) errors.push(...entryErrors);
    else out.set(type, merged as unknown as InstanceLimitsEntry);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

let shipped: ReadonlyMap<string, InstanceLimitsEntry> | undefined;

/** The shipped data as entries (provenance key dropped). Built once. */
export function shippedEntries(): ReadonlyMap<string, InstanceLimitsEntry> {
  if (!shipped) {
    const m = new Map<string, InstanceLimitsEntry>();
    for (const [type, entry] of Object.entries(shippedData as Record<string, unknown>)) {
      if (!type.startsWith('_')) m.set(type, entry as InstanceLimitsEntry);
    }
    shipped = m;
  }
  return shipped;
}

/** Where the shipped data came from (its `_source` key), for docs and `--version`-style output. */
export const SHIPPED_LIMITS_SOURCE: string = (shippedData as Record<string, unknown>)._source as string;

/** A lookup table: the shipped data, optionally with validated overrides merged on top. */
export class LimitsTable {
  private readonly entries: ReadonlyMap<string, InstanceLimitsEntry>;
  /** Instance types whose entry came from an override. */
  readonly overridden: ReadonlySet<string>;

  constructor(overrides: ReadonlyMap<string, InstanceLimitsEntry> = new Map(), base = shippedEntries()) {
    const merged = new Map(base);
    for (const [type, entry] of overrides) merged.set(type, entry);
    this.entries = merged;
    this.overridden = new Set(overrides.keys());
  }

  /** The shipped table merged with the overrides in `text`, or the problems found in it. */
  static fromOverrideText(text: string, source: string, base = shippedEntries()): ParseResult<LimitsTable> {
    const parsed = parseLimitsOverrides(text, source, base);
    return parsed.ok ? { ok: true, value: new LimitsTable(parsed.value, base) } : parsed;
  }

  get(instanceType: string): InstanceLimits | undefined {
    const entry = this.entries.get(instanceType);
    return entry ? toLimits(instanceType, entry) : undefined;
  }

  has(instanceType: string): boolean {
    return this.entries.has(instanceType);
  }

  get size(): number {
    return this.entries.size;
  }

  instanceTypes(): string[] {
    return [...this.entries.keys()].sort();
  }
}

let defaultTable: LimitsTable | undefined;

/** Limits of `instanceType` from the shipped data, or undefined for an unknown type. */
export function instanceLimits(instanceType: string): InstanceLimits | undefined {
  defaultTable ??= new LimitsTable();
  return defaultTable.get(instanceType);
}
