import { badRequest, unsupportedMediaType } from '../status';

/*
 * kubectl's typed clients send some request bodies as Kubernetes protobuf (`auth can-i`,
 * `auth whoami`, `create token`), and client-go does not fall back to JSON on a 415 for protobuf.
 * So the sandbox decodes exactly those few messages into their JSON form; answers are always JSON,
 * which those clients accept. Field numbers are those of k8s.io/api's generated.proto.
 */

type FieldType =
  | 'string'
  | 'int'
  | 'bool'
  | Schema
  | { repeated: 'string' | Schema };
interface Schema {
  [field: number]: [string, FieldType];
}

const RESOURCE_ATTRIBUTES: Schema = {
  1: ['namespace', 'string'],
  2: ['verb', 'string'],
  3: ['group', 'string'],
  4: ['version', 'string'],
  5: ['resource', 'string'],
  6: ['subresource', 'string'],
  7: ['name', 'string'],
};
const NON_RESOURCE_ATTRIBUTES: Schema = {
  1: ['path', 'string'],
  2: ['verb', 'string'],
};
const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
};

const KINDS: Record<string, Schema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['resourceAttributes', RESOURCE_ATTRIBUTES],
        2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES],
      },
    ],
  },
  'authorization.k8s.io/v1/SubjectAccessReview': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['resourceAttributes', RESOURCE_ATTRIBUTES],
        2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES],
        3: ['user', 'string'],
        4: ['groups', { repeated: 'string' }],
        6: ['uid', 'string'],
      },
    ],
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['namespace', 'string'] }],
  },
  'authentication.k8s.io/v1/SelfSubjectReview': {
    1: ['metadata', OBJECT_META],
  },
  'authentication.k8s.io/v1/TokenReview': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      { 1: ['token', 'string'], 2: ['audiences', { repeated: 'string' }] },
    ],
  },
  'authentication.k8s.io/v1/TokenRequest': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['audiences', { repeated: 'string' }],
        3: [
          'boundObjectRef',
          {
            1: ['kind', 'string'],
            2: ['apiVersion', 'string'],
            3: ['name', 'string'],
            4: ['uid', 'string'],
          },
        ],
        4: ['expirationSeconds', 'int'],
      },
    ],
  },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const UNKNOWN: Schema = {
  1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }],
  2: ['raw', 'string'],
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length)
        throw badRequest('protobuf: truncated varint');
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return result;
      shift += 7;
      if (shift > 63) throw badRequest('protobuf: varint too long');
    }
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length)
      throw badRequest('protobuf: truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

function decodeMessage(
  buf: Buffer,
  schema: Schema,
  keepRaw = false,
): Record<string, unknown> {
  const out: Record<string, any> = {};
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    const def = schema[field];
    let value: unknown;
    if (wire === 0) value = r.varint();
    else if (wire === 2) value = r.bytes();
    else if (wire === 1) r.pos += 8;
    else if (wire === 5) r.pos += 4;
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
    if (!def || value === undefined) continue;
    const [name, type] = def;
    if (type === 'string')
      out[name] =
        keepRaw && name === 'raw' ? value : (value as Buffer).toString('utf8');
    else if (type === 'int') out[name] = value;
    else if (type === 'bool') out[name] = value === 1;
    else if ('repeated' in type) {
      const item =
        type.repeated === 'string'
          ? (value as Buffer).toString('utf8')
          : decodeMessage(value as Buffer, type.repeated as Schema);
      (out[name] ??= []).push(item);
    } else out[name] = decodeMessage(value as Buffer, type as Schema);
  }
  return out;
}

/** Decodes a protobuf request body of one of the supported kinds into its JSON form. */
export function decodeProtobufBody(body: Buffer): unknown {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('protobuf body without the k8s magic number');
  }
  const envelope = decodeMessage(body.subarray(4), UNKNOWN, true) as any;
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw unsupportedMediaType(
      `application/vnd.kubernetes.protobuf (${apiVersion} ${kind})`,
    );
  }
  return {
    apiVersion,
    kind,
    ...decodeMessage(envelope.raw ?? Buffer.alloc(0), schema),
  };
}
