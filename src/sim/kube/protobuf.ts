// Decoding of the Kubernetes protobuf wire format for the few kinds kubectl creates with typed
// clients (`kubectl create namespace|configmap|serviceaccount` send
// `application/vnd.kubernetes.protobuf`). Other kinds get 415 naming the JSON alternative.
import { badRequest, unsupportedMediaType } from './errors.js';
import type { JsonObject } from './objects.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'map' | 'bytesMap' | Schema;
interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
type Schema = Record<number, FieldSpec>;

const TIME: Schema = { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } };
const OWNER_REF: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  11: { name: 'labels', type: 'map' },
  12: { name: 'annotations', type: 'map' },
  13: { name: 'ownerReferences', type: OWNER_REF, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const OBJECT_REF: Schema = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
};

const KINDS: Record<string, Schema> = {
  'v1/Namespace': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } } },
  'v1/ConfigMap': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: 'map' },
    3: { name: 'binaryData', type: 'bytesMap' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'secrets', type: OBJECT_REF, repeated: true },
    3: { name: 'imagePullSecrets', type: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('protobuf body is truncated');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw badRequest('protobuf varint is too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw badRequest('protobuf body is truncated');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

function decodeMessage(buf: Buffer, schema: Schema): JsonObject {
  const r = new Reader(buf);
  const out: JsonObject = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    const spec = schema[field];
    if (!spec) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    if (spec.type === 'int' || spec.type === 'bool') {
      if (wire !== 0) throw badRequest(`protobuf field ${spec.name} has wire type ${wire}, expected varint`);
      const v = r.varint();
      value = spec.type === 'bool' ? v !== 0n : Number(BigInt.asIntN(64, v));
    } else {
      if (wire !== 2) throw badRequest(`protobuf field ${spec.name} has wire type ${wire}, expected length-delimited`);
      const bytes = r.bytes();
      if (spec.type === 'string') value = bytes.toString('utf8');
      else if (spec.type === 'bytes') value = bytes.toString('base64');
      else if (spec.type === 'map' || spec.type === 'bytesMap') {
        const entry = decodeMessage(bytes, { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: spec.type === 'map' ? 'string' : 'bytes' } });
        const map = (out[spec.name] as JsonObject | undefined) ?? {};
        map[typeof entry.key === 'string' ? entry.key : ''] = entry.value ?? '';
        out[spec.name] = map;
        continue;
      } else if (spec.type === 'time') value = decodeMessage(bytes, TIME);
      else value = decodeMessage(bytes, spec.type);
    }
    if (spec.repeated) ((out[spec.name] as unknown[] | undefined) ?? (out[spec.name] = [] as unknown[])).push(value);
    else out[spec.name] = value;
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf object of a supported kind into its JSON form. */
export function decodeKubeProtobuf(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest('protobuf body does not start with the Kubernetes "k8s\\0" prefix');
  const unknown = decodeMessage(body.subarray(4), {
    1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
    2: { name: 'raw', type: 'bytes' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`;
  const schema = KINDS[key];
  if (!schema) {
    throw unsupportedMediaType(`application/vnd.kubernetes.protobuf for ${key}`, ['application/json', 'application/yaml']);
  }
  const obj = decodeMessage(Buffer.from(typeof unknown.raw === 'string' ? unknown.raw : '', 'base64'), schema);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...obj, metadata: obj.metadata ?? {} };
}
