// What every action handler shares: the handler type, ClientToken idempotency, and the generic
// describe (IDs, filters, pagination) for the small collections.
import { Ec2ErrorResponse, invalidParameterValue } from './errors.js';
import { compileFilters, matchesAll, type FilterSet } from './filters.js';
import { collectPage, pageRequest } from './pagination.js';
import { filters, type Params } from './query-params.js';
import type { World } from './world.js';

export interface ActionContext {
  world: World;
  /** ClientToken → (request fingerprint, response), per action. */
  idempotency: Map<string, { fingerprint: string; body: string }>;
}

const MAX_REMEMBERED_TOKENS = 20_000;

export type ActionHandler = (ctx: ActionContext, p: Params) => string;

/**
 * EC2's ClientToken idempotency: the same token with the same parameters returns the first
 * response again without doing anything; the same token with other parameters is refused.
 */
export function idempotent(ctx: ActionContext, action: string, p: Params, run: () => string): string {
  const token = p.get('ClientToken');
  if (token === undefined || token === '') return run();
  if (token.length > 64) throw invalidParameterValue('ClientToken is limited to 64 characters');
  const key = `${action}\u0000${token}`;
  const fingerprint = [...p.entries()]
    .filter(([k]) => k !== 'ClientToken' && k !== 'Version')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const prior = ctx.idempotency.get(key);
  if (prior) {
    if (prior.fingerprint !== fingerprint) {
      throw new Ec2ErrorResponse(
        'IdempotentParameterMismatch',
        `Client token '${token}' was already used with different request parameters.`,
      );
    }
    return prior.body;
  }
  const body = run();
  ctx.idempotency.set(key, { fingerprint, body });
  // The SDK sends a fresh token with every create, so the store is bounded: EC2 too forgets
  // tokens after a while. Oldest first (Map keeps insertion order).
  if (ctx.idempotency.size > MAX_REMEMBERED_TOKENS) {
    const oldest = ctx.idempotency.keys().next().value;
    if (oldest !== undefined) ctx.idempotency.delete(oldest);
  }
  return body;
}

/** Sequence number = position in a never-shrinking collection (VPCs, subnets, groups, instances). */
export function withPositions<T>(items: Iterable<T>): { item: T; seq: number }[] {
  let n = 0;
  const out: { item: T; seq: number }[] = [];
  for (const item of items) out.push({ item, seq: ++n });
  return out;
}

export function describeSimple<T>(
  p: Params,
  all: Iterable<T>,
  set: FilterSet<T>,
  ids: readonly string[],
  idOf: (t: T) => string,
  lookup: (ids: readonly string[]) => T[],
  limits: { min: number; max: number; defaultMax?: number } | undefined,
): { items: T[]; nextToken: string | undefined } {
  const compiled = compileFilters(set, filters(p));
  const page = limits ? pageRequest(p, limits, ids.length > 0) : { maxResults: undefined, after: 0 };
  const wanted = ids.length > 0 ? new Set(lookup(ids).map(idOf)) : undefined;
  const r = collectPage(
    withPositions(all),
    (x) => x.seq,
    (x) => (wanted === undefined || wanted.has(idOf(x.item))) && matchesAll(compiled, x.item),
    page,
  );
  return { items: r.items.map((x) => x.item), nextToken: r.nextToken };
}

export const tagFilterOnly = <T extends { tags: Map<string, string> }>(r: T): Map<string, string> => r.tags;

