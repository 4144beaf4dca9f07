// Validation, defaulting and pruning of custom resources against a CRD's structural schema
// (openAPIV3Schema), with the real server's error wording and field paths
// (`spec.securityGroups.groupIds[0]`).
import type { StatusCause } from './errors.js';
import { fieldCause } from './errors.js';
import { clone, isObject, text, type JsonObject } from './objects.js';

export interface SchemaResult {
  /** Field errors, empty when valid. */
  causes: StatusCause[];
  /** Paths of fields removed because the schema does not declare them. */
  pruned: string[];
}

const ROOT_KEYS = new Set(['apiVersion', 'kind', 'metadata']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

/**
 * Validates `obj` (modified in place: defaults applied, unknown fields pruned, non-nullable nulls
 * dropped) against `schema`. Root `apiVersion`, `kind` and `metadata` are left to the server.
 */
export function validateAndPrune(obj: JsonObject, schema: JsonObject | undefined): SchemaResult {
  const result: SchemaResult = { causes: [], pruned: [] };
  if (!schema) return result;
  const props = isObject(schema.properties) ? schema.properties : {};
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, sub] of Object.entries(props)) {
    if (ROOT_KEYS.has(k) || !isObject(sub)) continue;
    if (obj[k] === undefined && sub.default !== undefined) obj[k] = clone(sub.default);
  }
  for (const key of Object.keys(obj)) {
    if (ROOT_KEYS.has(key)) continue;
    const sub = props[key];
    if (!isObject(sub)) {
      if (!preserve) {
        delete obj[key];
        result.pruned.push(key);
      }
      continue;
    }
    if (obj[key] === null && sub.nullable !== true) {
      delete obj[key];
      continue;
    }
    obj[key] = walk(obj[key], sub, key, result);
  }
  if (Array.isArray(schema.required)) {
    for (const r of schema.required) {
      if (typeof r === 'string' && !ROOT_KEYS.has(r) && obj[r] === undefined) {
        result.causes.push(fieldCause('FieldValueRequired', r, 'Required value'));
      }
    }
  }
  return result;
}

function walk(value: unknown, schema: JsonObject, path: string, result: SchemaResult): unknown {
  const causes = result.causes;
  const invalid = (msg: string): void => {
    causes.push(fieldCause('FieldValueInvalid', path, `Invalid value: ${show(value)}: ${path} in body ${msg}`));
  };
  if (value === null) {
    if (schema.nullable !== true) {
      causes.push(fieldCause('FieldValueTypeInvalid', path, `Invalid value: "null": ${path} in body must be of type ${text(schema.type ?? 'object')}: "null"`));
    }
    return value;
  }
  const actual = typeOf(value);
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  const want = typeof schema.type === 'string' ? schema.type : undefined;
  if (intOrString) {
    if (actual !== 'integer' && actual !== 'string') {
      causes.push(fieldCause('FieldValueTypeInvalid', path, `Invalid value: ${show(value)}: ${path} in body must be of type integer or string: "${actual}"`));
      return value;
    }
  } else if (want && !(want === actual || (want === 'number' && actual === 'integer'))) {
    causes.push(fieldCause('FieldValueTypeInvalid', path, `Invalid value: "${actual}": ${path} in body must be of type ${want}: "${actual}"`));
    return value;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push(
      fieldCause('FieldValueNotSupported', path, `Unsupported value: ${show(value)}: supported values: ${schema.enum.map((e) => show(e)).join(', ')}`),
    );
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(value)) invalid(`should match '${schema.pattern}'`);
    }
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) invalid(`should be at least ${schema.minLength} chars long`);
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
      causes.push(fieldCause('FieldValueTooLong', path, `Too long: may not be longer than ${schema.maxLength}`));
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number') {
      if (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum) {
        invalid(`should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum}`);
      }
    }
    if (typeof schema.maximum === 'number') {
      if (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum) {
        invalid(`should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum}`);
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      causes.push(fieldCause('FieldValueInvalid', path, `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`));
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      causes.push(fieldCause('FieldValueTooMany', path, `Too many: ${value.length}: must have at most ${schema.maxItems} items`));
    }
    if (isObject(schema.items)) {
      const items = schema.items;
      return value.map((v, i) => walk(v, items, `${path}[${i}]`, result));
    }
    return value;
  }
  if (isObject(value)) {
    return walkObject(value, schema, path, result);
  }
  return value;
}

function walkObject(value: JsonObject, schema: JsonObject, path: string, result: SchemaResult): JsonObject {
  const props = isObject(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-embedded-resource'] === true;
  const out: JsonObject = { ...value };
  if (props) {
    for (const [k, sub] of Object.entries(props)) {
      if (isObject(sub) && out[k] === undefined && sub.default !== undefined) out[k] = clone(sub.default);
    }
  }
  for (const k of Object.keys(out)) {
    const sub = props?.[k];
    const childPath = `${path}.${k}`;
    if (isObject(sub)) {
      if (out[k] === null && sub.nullable !== true) {
        delete out[k];
        continue;
      }
      out[k] = walk(out[k], sub, childPath, result);
    } else if (isObject(additional)) {
      out[k] = walk(out[k], additional, `${path}[${k}]`, result);
    } else if (additional === true || preserve || (!props && additional === undefined && schema.type !== 'object')) {
      // kept as is
    } else if (!props && additional === undefined && schema.type === 'object' && !preserve) {
      delete out[k];
      result.pruned.push(childPath);
    } else {
      delete out[k];
      result.pruned.push(childPath);
    }
  }
  if (Array.isArray(schema.required)) {
    for (const r of schema.required) {
      if (typeof r === 'string' && out[r] === undefined) result.causes.push(fieldCause('FieldValueRequired', `${path}.${r}`, 'Required value'));
    }
  }
  const n = Object.keys(out).length;
  if (typeof schema.minProperties === 'number' && n < schema.minProperties) {
    result.causes.push(fieldCause('FieldValueInvalid', path, `Invalid value: ${n}: ${path} in body should have at least ${schema.minProperties} properties`));
  }
  if (typeof schema.maxProperties === 'number' && n > schema.maxProperties) {
    result.causes.push(fieldCause('FieldValueTooMany', path, `Too many: ${n}: must have at most ${schema.maxProperties} items`));
  }
  return out;
}
