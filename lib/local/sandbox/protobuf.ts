import { ApiStatusError } from './errors';
import type { Obj } from './schema';

/**
 * Decodes the Kubernetes protobuf encoding of the few kinds that kubectl's typed clients send
 * as protobuf (`kubectl create namespace|configmap|secret|serviceaccount`): since client-go 1.31
 * typed clientsets default to protobuf and do not fall back to JSON on 415 (kubernetes#125314).
 * Everything else clients send as JSON, which is what the sandbox serves.
 */
type Scalar = 'string' | 'bytes' | 'bool' | 'int';
interface FieldSpec {
  readonly name: string;
  readonly type: Scalar | 'message' | 'map-string' | 'map-bytes';
  readonly repeated?: boolean;
  readonly message?: MessageSpec;
}
type MessageSpec = Readonly<Record<number, FieldSpec>>;

const LOCAL_REF: MessageSpec = { 1: { name: 'name', type: 'string' } };
const OBJECT_REF: MessageSpec = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
};
const OBJECT_META: MessageSpec = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  11: { name: 'labels', type: 'map-string' },
  12: { name: 'annotations', type: 'map-string' },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const meta: FieldSpec = { name: 'metadata', type: 'message', message: OBJECT_META };

const KINDS: Readonly<Record<string, MessageSpec>> = {
  'v1/Namespace': {
    1: meta,
    2: {
      name: 'spec',
      type: 'message',
      message: { 1: { name: 'finalizers', type: 'string', repeated: true } },
    },
  },
  'v1/ConfigMap': {
    1: meta,
    2: { name: 'data', type: 'map-string' },
    3: { name: 'binaryData', type: 'map-bytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/Secret': {
    1: meta,
    2: { name: 'data', type: 'map-bytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map-string' },
    5: { name: 'immutable', type: 'bool' },
  },
  'v1/ServiceAccount': {
    1: meta,
    2: { name: 'secrets', type: 'message', repeated: true, message: OBJECT_REF },
    3: { name: 'imagePullSecrets', type: 'message', repeated: true, message: LOCAL_REF },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  // `kubectl auth can-i` sends its reviews through the typed authorization client.
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: meta,
    2: {
      name: 'spec',
      type: 'message',
      message: {
        1: {
          name: 'resourceAttributes',
          type: 'message',
          message: {
            1: { name: 'namespace', type: 'string' },
            2: { name: 'verb', type: 'string' },
            3: { name: 'group', type: 'string' },
            4: { name: 'version', type: 'string' },
            5: { name: 'resource', type: 'string' },
            6: { name: 'subresource', type: 'string' },
            7: { name: 'name', type: 'string' },
          },
        },
        2: {
          name: 'nonResourceAttributes',
          type: 'message',
          message: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } },
        },
      },
    },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: meta,
    2: { name: 'spec', type: 'message', message: { 1: { name: 'namespace', type: 'string' } } },
  },
};

const UNKNOWN: MessageSpec = {
  1: {
    name: 'typeMeta',
    type: 'message',
    message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
  },
  2: { name: 'raw', type: 'bytes' },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function unsupported(what: string): ApiStatusError {
  return new ApiStatusError(
    'UnsupportedMediaType',
    `the sandbox decodes protobuf only for Namespace, ConfigMap, Secret and ServiceAccount (${what}); send JSON instead, e.g. kubectl create -f FILE`,
  );
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw unsupported('truncated varint');
      const byte = this.buf[this.pos++] ?? 0;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw unsupported('varint too long');
    }
  }
  bytes(): Buffer {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) throw unsupported('truncated field');
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw unsupported(`wire type ${wireType}`);
  }
}

function decodeMapEntry(buf: Buffer): [string, Buffer] {
  const reader = new Reader(buf);
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  while (!reader.done()) {
    const tag = reader.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) key = reader.bytes().toString('utf8');
    else if (tag >>> 3 === 2 && (tag & 7) === 2) value = reader.bytes();
    else reader.skip(tag & 7);
  }
  return [key, value];
}

function decodeMessage(buf: Buffer, spec: MessageSpec): Obj {
  const out: Obj = {};
  const reader = new Reader(buf);
  while (!reader.done()) {
    const tag = reader.varint();
    const field = spec[Math.floor(tag / 8)];
    const wire = tag & 7;
    if (!field) {
      reader.skip(wire);
      continue;
    }
    let value: unknown;
    if (field.type === 'bool' || field.type === 'int') {
      const n = reader.varint();
      value = field.type === 'bool' ? n !== 0 : n;
    } else {
      const bytes = reader.bytes();
      if (field.type === 'map-string' || field.type === 'map-bytes') {
        const [k, v] = decodeMapEntry(bytes);
        const map = (out[field.name] as Obj | undefined) ?? {};
        map[k] = field.type === 'map-string' ? v.toString('utf8') : v.toString('base64');
        out[field.name] = map;
        continue;
      }
      value =
        field.type === 'string'
          ? bytes.toString('utf8')
          : field.type === 'bytes'
            ? bytes
            : decodeMessage(bytes, field.message ?? {});
    }
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    else out[field.name] = value;
  }
  return out;
}

/** The JSON form of a protobuf-encoded request body, or a 415 for kinds the sandbox cannot decode. */
export function decodeProtobufObject(body: Buffer): Obj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw unsupported('missing k8s protobuf envelope');
  const envelope = decodeMessage(body.subarray(4), UNKNOWN);
  const typeMeta = (envelope.typeMeta ?? {}) as Obj;
  const apiVersion = String(typeMeta.apiVersion ?? '');
  const kind = String(typeMeta.kind ?? '');
  const spec = KINDS[`${apiVersion}/${kind}`];
  if (!spec || !Buffer.isBuffer(envelope.raw)) throw unsupported(`got ${apiVersion} ${kind}`);
  return { apiVersion, kind, ...decodeMessage(envelope.raw, spec) };
}
