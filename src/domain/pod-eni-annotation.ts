// The `vpc.amazonaws.com/pod-eni` pod annotation: a JSON array, one object per branch ENI,
// read by the VPC CNI to plumb the VLAN into the pod. Field names and order are the
// reference's; empty optional fields are omitted, as in the contract's example from a real
// cluster. The reader accepts what any controller version wrote (Go decodes keys
// case-insensitively and the reference writes "" for unset fields), so state can be rebuilt
// from annotations after a restart or a migration.
import { isIPv4, isIPv6 } from 'node:net';
import { MAX_VLAN_ID, MIN_VLAN_ID } from '../apis/constants.js';
import type { ParseResult } from '../apis/parse-result.js';

export interface PodEniEntry {
  eniId: string;
  /** MAC address of the branch ENI. */
  ifAddress: string;
  privateIp: string;
  ipv6Addr?: string;
  vlanId: number;
  subnetCidr: string;
  subnetV6Cidr?: string;
  associationID?: string;
}

const FIELD_ORDER = ['eniId', 'ifAddress', 'privateIp', 'ipv6Addr', 'vlanId', 'subnetCidr', 'subnetV6Cidr', 'associationID'] as const;
type Field = (typeof FIELD_ORDER)[number];
const OPTIONAL_FIELDS = ['ipv6Addr', 'subnetV6Cidr', 'associationID'] as const satisfies readonly Field[];
const OPTIONAL: ReadonlySet<Field> = new Set(OPTIONAL_FIELDS);

const ENI_ID = /^eni-[0-9a-f]{8}([0-9a-f]{9})?$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
// EC2 writes trunk-assoc-<hex>; only the character set is checked, so a simulator or a future
// format cannot make a real annotation unreadable.
const ASSOCIATION_ID = /^[0-9A-Za-z-]+$/;

function isCidr(text: string, v6: boolean): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const addr = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return v6 ? isIPv6(addr) && Number(bits) <= 128 : isIPv4(addr) && Number(bits) <= 32;
}

/** Problems with one entry's fields, each as `[i].field: problem`. Empty strings count as absent. */
function entryErrors(e: Partial<Record<Field, unknown>>, i: number): string[] {
  const errors: string[] = [];
  const at = (f: Field) => `[${i}].${f}`;
  const str = (f: Field): string | undefined => {
    const v = e[f];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      errors.push(`${at(f)}: must be a string (got ${typeof v})`);
      return undefined;
    }
    return v;
  };
  const eniId = str('eniId');
  if (eniId === undefined) errors.push(`${at('eniId')}: is required`);
  else if (!ENI_ID.test(eniId)) errors.push(`${at('eniId')}: "${eniId}" is not a network interface ID`);
  const mac = str('ifAddress');
  if (mac === undefined) errors.push(`${at('ifAddress')}: is required (the branch ENI's MAC address)`);
  else if (!MAC.test(mac)) errors.push(`${at('ifAddress')}: "${mac}" is not a MAC address`);
  const v4 = str('privateIp');
  const v6 = str('ipv6Addr');
  if (v4 === undefined && v6 === undefined && errors.every((m) => !m.startsWith(at('privateIp')) && !m.startsWith(at('ipv6Addr')))) {
    errors.push(`${at('privateIp')}: is required (or ipv6Addr for an IPv6 pod)`);
  }
  if (v4 !== undefined && !isIPv4(v4)) errors.push(`${at('privateIp')}: "${v4}" is not an IPv4 address`);
  if (v6 !== undefined && !isIPv6(v6)) errors.push(`${at('ipv6Addr')}: "${v6}" is not an IPv6 address`);
  const vlan = e.vlanId;
  if (vlan === undefined || vlan === null) errors.push(`${at('vlanId')}: is required`);
  else if (typeof vlan !== 'number' || !Number.isInteger(vlan) || vlan < MIN_VLAN_ID || vlan > MAX_VLAN_ID) {
    errors.push(`${at('vlanId')}: must be an integer from ${MIN_VLAN_ID} to ${MAX_VLAN_ID} (got ${JSON.stringify(vlan)})`);
  }
  const cidr = str('subnetCidr');
  if (cidr === undefined && v4 !== undefined) errors.push(`${at('subnetCidr')}: is required with privateIp`);
  if (cidr !== undefined && !isCidr(cidr, false)) errors.push(`${at('subnetCidr')}: "${cidr}" is not an IPv4 CIDR block`);
  const cidr6 = str('subnetV6Cidr');
  if (cidr6 !== undefined && !isCidr(cidr6, true)) errors.push(`${at('subnetV6Cidr')}: "${cidr6}" is not an IPv6 CIDR block`);
  const assoc = str('associationID');
  if (assoc !== undefined && !ASSOCIATION_ID.test(assoc)) errors.push(`${at('associationID')}: "${assoc}" is not a trunk association ID`);
  return errors;
}

/**
 * The annotation value for `entries`, byte-compatible with the reference: fields in the
 * reference's order, `vlanId` a number, optional fields left out when empty. Throws on an
 * entry that would mislead the CNI (bad ID, MAC, address, VLAN), naming the field.
 */
export function encodePodEniAnnotation(entries: readonly PodEniEntry[]): string {
  const errors = entries.flatMap((e, i) => entryErrors(e as Partial<Record<Field, unknown>>, i));
  if (errors.length > 0) throw new Error(`invalid pod ENI annotation entry: ${errors.join('; ')}`);
  const ordered = entries.map((e) => {
    const out: Record<string, string | number> = {};
    for (const f of FIELD_ORDER) {
      const v = e[f];
      if (v === undefined || (OPTIONAL.has(f) && v === '')) continue;
      out[f] = v;
    }
    return out;
  });
  return JSON.stringify(ordered);
}

/**
 * Entries from an annotation value, or what is wrong with it. Keys are matched
 * case-insensitively and unknown keys ignored, as the reference's Go decoder does; empty
 * optional fields come back absent.
 */
export function decodePodEniAnnotation(text: string): ParseResult<PodEniEntry[]> {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, errors: ['annotation is empty (expected a JSON array of branch ENIs)'] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`annotation is not valid JSON: ${(err as Error).message}`] };
  }
  if (!Array.isArray(doc)) return { ok: false, errors: ['annotation must be a JSON array of branch ENIs'] };
  const errors: string[] = [];
  const entries: PodEniEntry[] = [];
  doc.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      errors.push(`[${i}]: must be an object`);
      return;
    }
    const canonical: Partial<Record<Field, unknown>> = {};
    for (const [key, value] of Object.entries(item)) {
      const field = FIELD_ORDER.find((f) => f.toLowerCase() === key.toLowerCase());
      if (field && !(field in canonical && key !== field)) canonical[field] = value;
    }
    const problems = entryErrors(canonical, i);
    if (problems.length > 0) {
      errors.push(...problems);
      return;
    }
    const entry: PodEniEntry = {
      eniId: canonical.eniId as string,
      ifAddress: canonical.ifAddress as string,
      privateIp: (canonical.privateIp as string | undefined) ?? '',
      vlanId: canonical.vlanId as number,
      subnetCidr: (canonical.subnetCidr as string | undefined) ?? '',
    };
    for (const f of OPTIONAL_FIELDS) {
      const v = canonical[f];
      if (typeof v === 'string' && v !== '') entry[f] = v;
    }
    entries.push(entry);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: entries };
}
