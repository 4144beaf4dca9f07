// EC2 describe filters: a resource matches when, for every filter, at least one of the filter's
// values matches one of the resource's values for that name. Values may use EC2's wildcards
// (`*` any run, `?` one character).
import { invalidParameterValue } from './errors.js';
import type { Filter } from './query-params.js';
import type { Tags } from './world-types.js';

/** What a resource yields for one filter name: one value, several, or none. */
export type FieldValue = string | readonly string[] | undefined;
export type FieldGetter<T> = (resource: T) => FieldValue;

export interface FilterSet<T> {
  fields: Readonly<Record<string, FieldGetter<T>>>;
  tags: (resource: T) => Tags;
}

export type Matcher = (value: string) => boolean;

export interface CompiledFilter<T> {
  name: string;
  values: readonly string[];
  test: (resource: T) => boolean;
}

function valueMatcher(pattern: string): Matcher {
  if (!hasWildcard(pattern)) return (v) => v === pattern;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return (v) => re.test(v);
}

function anyMatch(matchers: readonly Matcher[], value: FieldValue): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return matchers.some((m) => m(value));
  return value.some((v) => matchers.some((m) => m(v)));
}

/** Compiles filters once per request; unknown names are EC2's InvalidParameterValue. */
export function compileFilters<T>(set: FilterSet<T>, filters: readonly Filter[]): CompiledFilter<T>[] {
  return filters.map((f) => {
    const matchers = f.values.map(valueMatcher);
    if (f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      return { name: f.name, values: f.values, test: (r: T) => anyMatch(matchers, set.tags(r).get(key)) };
    }
    if (f.name === 'tag-key') {
      return { name: f.name, values: f.values, test: (r: T) => anyMatch(matchers, [...set.tags(r).keys()]) };
    }
    if (f.name === 'tag-value') {
      return { name: f.name, values: f.values, test: (r: T) => anyMatch(matchers, [...set.tags(r).values()]) };
    }
    const getter = set.fields[f.name];
    if (!getter) throw invalidParameterValue(`The filter '${f.name}' is invalid`);
    return { name: f.name, values: f.values, test: (r: T) => anyMatch(matchers, getter(r)) };
  });
}

export function matchesAll<T>(compiled: readonly CompiledFilter<T>[], resource: T): boolean {
  for (const f of compiled) if (!f.test(resource)) return false;
  return true;
}

export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}
