/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- these tests read arbitrary JSON returned by the API server */
import { describe, expect, it } from 'vitest';
import { validateAndPrune } from '../../../src/sim/kube/structural-schema.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['groups'],
      properties: {
        groups: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', pattern: '^sg-[0-9a-f]+$' } },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        count: { type: 'integer', minimum: 1, maximum: 3 },
        name: { type: 'string', minLength: 2, maxLength: 4 },
        port: { 'x-kubernetes-int-or-string': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        maybe: { type: 'string', nullable: true },
        gone: { type: 'string' },
      },
    },
  },
};

function check(spec: unknown) {
  const obj: any = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec };
  const res = validateAndPrune(obj, schema);
  return { obj, ...res, fields: res.causes.map((c) => c.field) };
}

describe('structural schema validation', () => {
  it('accepts a valid object, applies defaults and prunes unknown fields', () => {
    const r = check({ groups: ['sg-1'], port: 'http', labels: { a: 'b' }, free: { any: { thing: 1 } }, extra: 1, maybe: null, gone: null });
    expect(r.causes).toEqual([]);
    expect(r.obj.spec.mode).toBe('a');
    expect(r.obj.spec.extra).toBeUndefined();
    expect(r.obj.spec.free).toEqual({ any: { thing: 1 } });
    expect(r.obj.spec.maybe).toBeNull();
    expect('gone' in r.obj.spec).toBe(false);
    expect(r.pruned).toEqual(['spec.extra']);
  });

  it.each([
    ['required', {}, 'spec.groups', 'Required value'],
    ['type', { groups: 'sg-1' }, 'spec.groups', 'must be of type array'],
    ['pattern', { groups: ['nope'] }, 'spec.groups[0]', "should match '^sg-[0-9a-f]+$'"],
    ['minItems', { groups: [] }, 'spec.groups', 'should have at least 1 items'],
    ['maxItems', { groups: ['sg-1', 'sg-2', 'sg-3'] }, 'spec.groups', 'must have at most 2 items'],
    ['enum', { groups: ['sg-1'], mode: 'c' }, 'spec.mode', 'Unsupported value: "c": supported values: "a", "b"'],
    ['minimum', { groups: ['sg-1'], count: 0 }, 'spec.count', 'should be greater than or equal to 1'],
    ['maximum', { groups: ['sg-1'], count: 9 }, 'spec.count', 'should be less than or equal to 3'],
    ['integer type', { groups: ['sg-1'], count: 1.5 }, 'spec.count', 'must be of type integer'],
    ['minLength', { groups: ['sg-1'], name: 'a' }, 'spec.name', 'should be at least 2 chars long'],
    ['maxLength', { groups: ['sg-1'], name: 'abcdef' }, 'spec.name', 'may not be longer than 4'],
    ['int-or-string', { groups: ['sg-1'], port: true }, 'spec.port', 'must be of type integer or string'],
    ['additionalProperties', { groups: ['sg-1'], labels: { a: 1 } }, 'spec.labels[a]', 'must be of type string'],
  ])('reports %s with the field path', (_n, spec, field, message) => {
    const r = check(spec);
    expect(r.fields).toContain(field);
    expect(r.causes.find((c) => c.field === field)!.message).toContain(message);
  });
});
