import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A value that does not follow the SSH wire format (RFC 4251): the caller turns it into a refusal. */
export class SshFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshFormatError';
  }
}

/** Reads RFC 4251 uint32, string and mpint values from a buffer. */
export class SshReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos === this.buf.length;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw new SshFormatError('truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** An unsigned mpint without its sign-padding zero byte. */
  mpint(): Buffer {
    const raw = this.string();
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new SshFormatError('negative mpint');
    let start = 0;
    while (start < raw.length && raw[start] === 0) start++;
    return raw.subarray(start);
  }
}

export function sshString(value: string | Buffer): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

export interface SshPublicKey {
  /** ssh-ed25519, ecdsa-sha2-nistp256 (384, 521) or ssh-rsa. */
  readonly type: string;
  readonly key: KeyObject;
  /** The wire-format blob, as in authorized_keys after the type. */
  readonly blob: Buffer;
  /** For ECDSA keys: the curve's coordinate size and hash. */
  readonly curve?: { size: number; hash: string };
}

const b64url = (b: Buffer) => b.toString('base64url');

/** A public key blob as a node:crypto key; other key types (certificates, sk-…) are unsupported. */
export function parsePublicKey(blob: Buffer): SshPublicKey {
  const reader = new SshReader(blob);
  const type = reader.text();
  let jwk: JsonWebKey;
  let curve: SshPublicKey['curve'];
  if (type === 'ssh-ed25519') {
    const point = reader.string();
    if (point.length !== 32) throw new SshFormatError('an ed25519 key is not 32 bytes');
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(point) };
  } else if (type.startsWith('ecdsa-sha2-')) {
    const name = reader.text();
    const spec = CURVES[name];
    if (spec === undefined || type !== `ecdsa-sha2-${name}`)
      throw new SshFormatError(`unsupported key type ${type}`);
    const q = reader.string();
    if (q.length !== 1 + 2 * spec.size || q[0] !== 4)
      throw new SshFormatError('not an uncompressed EC point');
    jwk = {
      kty: 'EC',
      crv: spec.crv,
      x: b64url(q.subarray(1, 1 + spec.size)),
      y: b64url(q.subarray(1 + spec.size)),
    };
    curve = { size: spec.size, hash: spec.hash };
  } else if (type === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    jwk = { kty: 'RSA', e: b64url(e), n: b64url(n) };
  } else {
    throw new SshFormatError(`unsupported key type ${type}`);
  }
  if (!reader.done) throw new SshFormatError('trailing bytes after the key');
  try {
    return { type, key: createPublicKey({ key: jwk, format: 'jwk' }), blob, curve };
  } catch {
    throw new SshFormatError(`an invalid ${type} key`);
  }
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
