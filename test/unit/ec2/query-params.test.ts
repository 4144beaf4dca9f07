import { describe, expect, it } from 'vitest';
import { filters, listOf, optBool, optInt, parseQuery, reqString, structList, tagSpecifications, tagsOf } from '../../../src/sim/ec2/query-params.js';

const q = (s: string): Map<string, string> => parseQuery(s);

describe('EC2 Query parameters', () => {
  it('lists are Name.N in index order, gaps tolerated', () => {
    expect(listOf(q('SecurityGroupId.2=b&SecurityGroupId.10=c&SecurityGroupId.1=a&SecurityGroupIdX=z'), 'SecurityGroupId')).toEqual(['a', 'b', 'c']);
    expect(listOf(q('Other.1=a'), 'SecurityGroupId')).toEqual([]);
  });

  it('structures in lists group by index', () => {
    const groups = structList(q('Filter.2.Name=b&Filter.1.Name=a&Filter.1.Value.1=x&Filter.1.Value.2=y'), 'Filter');
    expect(groups.map((g) => Object.fromEntries(g))).toEqual([{ Name: 'a', 'Value.1': 'x', 'Value.2': 'y' }, { Name: 'b' }]);
  });

  it('filters and tags', () => {
    expect(filters(q('Filter.1.Name=tag%3Aa&Filter.1.Value.1=1&Filter.1.Value.2=2'))).toEqual([{ name: 'tag:a', values: ['1', '2'] }]);
    expect(() => filters(q('Filter.1.Value.1=x'))).toThrow(expect.objectContaining({ code: 'MissingParameter' }));
    expect(tagsOf(q('Tag.1.Key=k&Tag.1.Value=v&Tag.2.Key=only'))).toEqual([{ key: 'k', value: 'v' }, { key: 'only', value: undefined }]);
    expect(tagSpecifications(q('TagSpecification.1.ResourceType=network-interface&TagSpecification.1.Tag.1.Key=a&TagSpecification.1.Tag.1.Value=b'), 'network-interface')).toEqual([{ key: 'a', value: 'b' }]);
    expect(() => tagSpecifications(q('TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=a'), 'network-interface')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });

  it('scalars are validated with EC2 codes', () => {
    expect(optInt(q('MaxResults=10'), 'MaxResults', 5, 1000)).toBe(10);
    expect(() => optInt(q('MaxResults=4'), 'MaxResults', 5, 1000)).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(() => optInt(q('MaxResults=1.5'), 'MaxResults')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(optBool(q('Force=true'), 'Force')).toBe(true);
    expect(() => optBool(q('Force=yes'), 'Force')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(() => reqString(q('SubnetId='), 'SubnetId')).toThrow(expect.objectContaining({ code: 'MissingParameter' }));
  });

  it('parses garbage without throwing', () => {
    expect(q('%%%&=&a=%ZZ').size).toBeGreaterThan(0);
    expect(q('').size).toBe(0);
  });
});
