// MaxResults/NextToken for describes. Every paged collection is walked in a stable creation order
// (a sequence number per record), and the token carries the last sequence number returned, so a
// page boundary stays valid while records are created or deleted between calls.
import { Ec2ErrorResponse, invalidParameterCombination } from './errors.js';
import { optInt, type Params } from './query-params.js';

export interface PageRequest {
  /** undefined = everything in one response. */
  maxResults: number | undefined;
  /** Return only records with a sequence number greater than this. */
  after: number;
}

const TOKEN_PREFIX = 'vpcrc1:';

export function encodeToken(seq: number): string {
  return Buffer.from(TOKEN_PREFIX + String(seq)).toString('base64url');
}

function decodeToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX)) throw invalidToken(token);
  const n = Number(text.slice(TOKEN_PREFIX.length));
  if (!Number.isSafeInteger(n) || n < 0) throw invalidToken(token);
  return n;
}

function invalidToken(token: string): Ec2ErrorResponse {
  return new Ec2ErrorResponse('InvalidPaginationToken', `The pagination token '${token.slice(0, 64)}' is not valid or has expired.`);
}

/**
 * Reads MaxResults/NextToken. `idsGiven` follows EC2: an explicit ID list cannot be combined with
 * MaxResults. `defaultMax` is the page size EC2 applies when MaxResults is absent (undefined = all).
 */
export function pageRequest(
  p: Params,
  limits: { min: number; max: number; defaultMax?: number },
  idsGiven: boolean,
): PageRequest {
  const maxResults = optInt(p, 'MaxResults', limits.min, limits.max);
  if (maxResults !== undefined && idsGiven) {
    throw invalidParameterCombination('The parameter MaxResults cannot be used with an explicit list of IDs.');
  }
  const token = p.get('NextToken');
  return { maxResults: maxResults ?? limits.defaultMax, after: token ? decodeToken(token) : 0 };
}

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * Takes matching records in sequence order from `source` (which must already be in ascending
 * sequence order), stopping as soon as a page is full and one more match proves there is a next page.
 */
export function collectPage<T>(
  source: Iterable<T>,
  seqOf: (item: T) => number,
  matches: (item: T) => boolean,
  req: PageRequest,
): Page<T> {
  const items: T[] = [];
  const limit = req.maxResults ?? Infinity;
  for (const item of source) {
    if (seqOf(item) <= req.after) continue;
    if (!matches(item)) continue;
    if (items.length === limit) {
      return { items, nextToken: encodeToken(seqOf(items[items.length - 1] as T)) };
    }
    items.push(item);
  }
  return { items, nextToken: undefined };
}
