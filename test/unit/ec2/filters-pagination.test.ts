import { describe, expect, it } from 'vitest';
import { compileFilters, matchesAll, type FilterSet } from '../../../src/sim/ec2/filters.js';
import { collectPage, encodeToken, pageRequest } from '../../../src/sim/ec2/pagination.js';
import { parseQuery } from '../../../src/sim/ec2/query-params.js';

interface R {
  id: string;
  desc: string;
  groups: string[];
  tags: Map<string, string>;
}
const set: FilterSet<R> = { tags: (r) => r.tags, fields: { id: (r) => r.id, description: (r) => r.desc, 'group-id': (r) => r.groups } };
const r1: R = { id: 'a', desc: 'aws-k8s-trunk-eni', groups: ['sg-1', 'sg-2'], tags: new Map([['k', 'v'], ['x', '']]) };
const r2: R = { id: 'b', desc: 'aws-k8s-branch-eni', groups: [], tags: new Map() };
const match = (filters: { name: string; values: string[] }[], r: R): boolean => matchesAll(compileFilters(set, filters), r);

describe('describe filters', () => {
  it('values OR within a filter, filters AND together', () => {
    expect(match([{ name: 'id', values: ['a', 'b'] }], r2)).toBe(true);
    expect(match([{ name: 'id', values: ['a'] }, { name: 'description', values: ['aws-k8s-branch-eni'] }], r1)).toBe(false);
    expect(match([{ name: 'group-id', values: ['sg-2'] }], r1)).toBe(true);
    expect(match([{ name: 'group-id', values: ['sg-2'] }], r2)).toBe(false);
  });

  it('wildcards * and ? and literal regex characters', () => {
    expect(match([{ name: 'description', values: ['aws-k8s-*-eni'] }], r2)).toBe(true);
    expect(match([{ name: 'description', values: ['aws-k8s-trunk-en?'] }], r1)).toBe(true);
    expect(match([{ name: 'description', values: ['aws.k8s*'] }], r1)).toBe(false);
  });

  it('tag:<key>, tag-key, tag-value', () => {
    expect(match([{ name: 'tag:k', values: ['v'] }], r1)).toBe(true);
    expect(match([{ name: 'tag:k', values: ['w'] }], r1)).toBe(false);
    expect(match([{ name: 'tag-key', values: ['x'] }], r1)).toBe(true);
    expect(match([{ name: 'tag-value', values: ['v'] }], r2)).toBe(false);
  });

  it('an unknown filter name is InvalidParameterValue', () => {
    expect(() => compileFilters(set, [{ name: 'nope', values: ['x'] }])).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });
});

describe('pagination', () => {
  const items = Array.from({ length: 12 }, (_, i) => ({ seq: i + 1, even: i % 2 === 0 }));
  it('pages by sequence number and ends without a token', () => {
    const seen: number[] = [];
    let after = 0;
    for (let guard = 0; guard < 10; guard++) {
      const p = collectPage(items, (x) => x.seq, (x) => x.even, { maxResults: 5, after });
      seen.push(...p.items.map((x) => x.seq));
      if (!p.nextToken) break;
      after = pageRequest(parseQuery(`MaxResults=5&NextToken=${p.nextToken}`), { min: 5, max: 1000 }, false).after;
    }
    expect(seen).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('no token when the page is exactly full', () => {
    const p = collectPage(items, (x) => x.seq, () => true, { maxResults: 12, after: 0 });
    expect(p.items).toHaveLength(12);
    expect(p.nextToken).toBeUndefined();
  });

  it('rejects foreign tokens and IDs with MaxResults', () => {
    expect(() => pageRequest(parseQuery('NextToken=abc'), { min: 5, max: 1000 }, false)).toThrow(expect.objectContaining({ code: 'InvalidPaginationToken' }));
    expect(pageRequest(parseQuery(`NextToken=${encodeToken(7)}`), { min: 5, max: 1000 }, false).after).toBe(7);
    expect(() => pageRequest(parseQuery('MaxResults=5'), { min: 5, max: 1000 }, true)).toThrow(expect.objectContaining({ code: 'InvalidParameterCombination' }));
  });
});
