import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import {
  createSignatureVerifier,
  parseSshSignature,
  SignatureError,
  SshFormatError,
  sshFingerprint,
} from '../../lib/core/signatures';

// SSH signatures built here with node:crypto to PROTOCOL.sshsig, so that every field can be varied;
// test/adapters/git/signatures.test.ts checks the same code against ssh-keygen's own signatures.

function str(value: string | Buffer): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value) : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function mpint(value: Buffer): Buffer {
  let v = value;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  return str(v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

type KeyKind = 'ed25519' | 'p256' | 'rsa';

interface TestKey {
  readonly kind: KeyKind;
  readonly type: string;
  readonly priv: KeyObject;
  readonly blob: Buffer;
}

function makeKey(kind: KeyKind): TestKey {
  if (kind === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    return { kind, type: 'ssh-ed25519', priv: privateKey, blob: Buffer.concat([str('ssh-ed25519'), str(x)]) };
  }
  if (kind === 'p256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const q = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ]);
    const type = 'ecdsa-sha2-nistp256';
    return { kind, type, priv: privateKey, blob: Buffer.concat([str(type), str('nistp256'), str(q)]) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    str('ssh-rsa'),
    mpint(Buffer.from(jwk.e!, 'base64url')),
    mpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  return { kind, type: 'ssh-rsa', priv: privateKey, blob };
}

interface SignOptions {
  namespace?: string;
  hash?: string;
  rsaFormat?: string;
  /** The key whose public half goes in the signature (default: the signing key). */
  claimed?: TestKey;
}

function sshsig(key: TestKey, message: Buffer, options: SignOptions = {}): string {
  const { namespace = 'git', hash = 'sha512', rsaFormat = 'rsa-sha2-512' } = options;
  const digest = createHash(hash === 'md5' ? 'md5' : hash)
    .update(message)
    .digest();
  const data = Buffer.concat([Buffer.from('SSHSIG'), str(namespace), str(''), str(hash), str(digest)]);
  let inner: Buffer;
  if (key.kind === 'ed25519') inner = Buffer.concat([str('ssh-ed25519'), str(sign(null, data, key.priv))]);
  else if (key.kind === 'p256') {
    const raw = sign('sha256', data, { key: key.priv, dsaEncoding: 'ieee-p1363' });
    inner = Buffer.concat([
      str(key.type),
      str(Buffer.concat([mpint(raw.subarray(0, 32)), mpint(raw.subarray(32))])),
    ]);
  } else {
    const algo = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256', 'ssh-rsa': 'sha1' }[rsaFormat]!;
    inner = Buffer.concat([str(rsaFormat), str(sign(algo, data, key.priv))]);
  }
  const version = Buffer.alloc(4);
  version.writeUInt32BE(1);
  const blob = Buffer.concat([
    Buffer.from('SSHSIG'),
    version,
    str((options.claimed ?? key).blob),
    str(namespace),
    str(''),
    str(hash),
    str(inner),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g)!;
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

const PAYLOAD = [
  'tree 9bedf67800b2923982bdf60c89c57ce6fa2d9a1c',
  'author Dev <dev@example.com> 1700000000 +0000',
  'committer Dev <dev@example.com> 1700000000 +0000',
  '',
  'deploy web\n',
].join('\n');

function signedCommit(signature: string, payload = PAYLOAD): Buffer {
  const [headers, message] = [
    payload.slice(0, payload.indexOf('\n\n')),
    payload.slice(payload.indexOf('\n\n') + 2),
  ];
  const sig = `gpgsig ${signature.trimEnd().split('\n').join('\n ')}`;
  return Buffer.from(`${headers}\n${sig}\n\n${message}`);
}

const keys = { ed25519: makeKey('ed25519'), p256: makeKey('p256'), rsa: makeKey('rsa') };
const stranger = makeKey('ed25519');
const line = (principal: string, key: TestKey, options = '') =>
  `${principal}${options ? ` ${options}` : ''} ${key.type} ${key.blob.toString('base64')}`;

async function verifierFor(lines: string[]) {
  return createSignatureVerifier({ allowedSigners: `${lines.join('\n')}\n` });
}

describe('SSH commit signatures (sshsig)', () => {
  it.each(['ed25519', 'p256', 'rsa'] as const)(
    'verifies a %s signature and reports the key',
    async (kind) => {
      const verifier = await verifierFor([line('dev@example.com', keys[kind], 'namespaces="git"')]);
      const result = await verifier.verify('c1', signedCommit(sshsig(keys[kind], Buffer.from(PAYLOAD))));
      expect(result).toEqual({
        verified: true,
        format: 'ssh',
        fingerprint: sshFingerprint(keys[kind].blob),
        signer: 'dev@example.com',
      });
    },
  );

  it('accepts sha256 as the message hash and rsa-sha2-256', async () => {
    const verifier = await verifierFor([line('dev', keys.rsa)]);
    const sig = sshsig(keys.rsa, Buffer.from(PAYLOAD), { hash: 'sha256', rsaFormat: 'rsa-sha2-256' });
    expect((await verifier.verify('c', signedCommit(sig))).verified).toBe(true);
  });

  it.each<[string, () => string, string, string]>([
    [
      'a changed payload',
      () => sshsig(keys.ed25519, Buffer.from(`${PAYLOAD}x`)),
      'bad-signature',
      'does not verify',
    ],
    [
      'another namespace',
      () => sshsig(keys.ed25519, Buffer.from(PAYLOAD), { namespace: 'file' }),
      'bad-signature',
      'namespace "file"',
    ],
    [
      'a key not listed',
      () => sshsig(stranger, Buffer.from(PAYLOAD)),
      'unknown-key',
      'which is not an allowed signer',
    ],
    [
      'a listed key claimed by another signer',
      () => sshsig(stranger, Buffer.from(PAYLOAD), { claimed: keys.ed25519 }),
      'bad-signature',
      'does not verify',
    ],
    [
      'an md5 message hash',
      () => sshsig(keys.ed25519, Buffer.from(PAYLOAD), { hash: 'md5' }),
      'unsupported',
      'hash algorithm md5',
    ],
    [
      'an ssh-rsa (SHA-1) signature',
      () => sshsig(keys.rsa, Buffer.from(PAYLOAD), { rsaFormat: 'ssh-rsa' }),
      'unsupported',
      'ssh-rsa signatures',
    ],
    [
      'armor that is not base64',
      () => '-----BEGIN SSH SIGNATURE-----\n%%%\n-----END SSH SIGNATURE-----\n',
      'bad-signature',
      'cannot be read',
    ],
  ])('refuses %s', async (_case, make, reason, text) => {
    const verifier = await verifierFor([line('dev', keys.ed25519), line('ops', keys.rsa)]);
    const err = await verifier.verify('c9', signedCommit(make())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureError);
    expect(err).toMatchObject({ commit: 'c9', reason, message: expect.stringContaining(text) });
  });

  it('honours namespaces, validity windows against the commit time, and ignores cert-authority lines', async () => {
    const sig = signedCommit(sshsig(keys.ed25519, Buffer.from(PAYLOAD)));
    const refusedBy = async (options: string) => {
      const verifier = await verifierFor([line('dev', keys.ed25519, options)]);
      return verifier.verify('c', sig).then(
        () => 'verified',
        (e: SignatureError) => e.reason,
      );
    };
    expect(await refusedBy('namespaces="file,!git"')).toBe('unknown-key');
    expect(await refusedBy('namespaces="g*"')).toBe('verified');
    expect(await refusedBy('valid-before="20231114"')).toBe('unknown-key');
    expect(await refusedBy('valid-after="20231114"')).toBe('verified');
    expect(await refusedBy('valid-after="20231115"')).toBe('unknown-key');
    expect(await refusedBy('cert-authority')).toBe('unknown-key');
  });

  it('takes any bytes apart without throwing anything but SshFormatError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, magic) => {
        const body = magic ? Buffer.concat([Buffer.from('SSHSIG'), Buffer.from(bytes)]) : Buffer.from(bytes);
        const armored = `-----BEGIN SSH SIGNATURE-----\n${body.toString('base64')}\n-----END SSH SIGNATURE-----`;
        try {
          parseSshSignature(armored);
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(SshFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
