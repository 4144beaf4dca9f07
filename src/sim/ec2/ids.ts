// Resource IDs shaped like EC2's: a prefix and 17 lowercase hex digits (older 8-digit IDs are
// still accepted as well-formed when parsing). Generated from a counter mixed with a random salt so
// they are unique within a world and do not look sequential.
import { randomBytes } from 'node:crypto';

export type IdPrefix =
  | 'vpc'
  | 'subnet'
  | 'sg'
  | 'i'
  | 'r'
  | 'eni'
  | 'eni-attach'
  | 'eni-perm'
  | 'trunk-assoc';

export class IdFactory {
  private counter = 0;
  private readonly salt: bigint;

  constructor(seed?: number) {
    this.salt = seed === undefined ? BigInt('0x' + randomBytes(8).toString('hex')) : BigInt(seed);
  }

  next(prefix: IdPrefix): string {
    this.counter += 1;
    // Multiply by an odd constant modulo 16^17 (a bijection), then offset: unique, not sequential.
    const space = 1n << 68n;
    const mixed = (BigInt(this.counter) * 0x9e3779b97f4a7c15n + this.salt) % space;
    return `${prefix}-${mixed.toString(16).padStart(17, '0')}`;
  }

  /** A locally administered unicast MAC (02:xx:...), unique per call. */
  mac(): string {
    this.counter += 1;
    const n = (BigInt(this.counter) * 0x9e3779b1n + this.salt) & 0xffffffffffn;
    const hex = n.toString(16).padStart(10, '0');
    return `02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}`;
  }
}

const ID_RE: Record<string, RegExp> = {};

/** Whether `id` is well-formed for `prefix` (prefix + 8 or 17 hex digits). */
export function isWellFormedId(prefix: IdPrefix, id: string): boolean {
  let re = ID_RE[prefix];
  if (!re) {
    re = new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);
    ID_RE[prefix] = re;
  }
  return re.test(id);
}
