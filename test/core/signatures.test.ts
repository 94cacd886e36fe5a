import fc from 'fast-check';
import {
  commitAuthor,
  createSignatureVerifier,
  enforceSignaturePolicy,
  matchPatternList,
  parseAllowedSigners,
  SignatureConfigError,
  SignatureError,
  splitSignedCommit,
} from '../../lib/core/signatures';

const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

const HEADERS = [
  'tree 9bedf67800b2923982bdf60c89c57ce6fa2d9a1c',
  'parent 1b2e2a8f1c9d0e7a6b5c4d3e2f1a0b9c8d7e6f5a',
  'author Dev Eloper <dev@example.com> 1700000000 +0100',
  'committer Dev Eloper <dev@example.com> 1700000100 -0230',
];

function commitWith(signature: string | undefined, message = 'change\n', headers = HEADERS): Buffer {
  const sig = signature === undefined ? [] : [`gpgsig ${signature.trimEnd().split('\n').join('\n ')}`];
  return Buffer.from(`${[...headers, ...sig].join('\n')}\n\n${message}`, 'latin1');
}

describe('splitSignedCommit', () => {
  it('separates the gpgsig header (and its continuation lines) from the signed payload', () => {
    const signature = '-----BEGIN SSH SIGNATURE-----\nAAAA\n\nBBBB\n-----END SSH SIGNATURE-----\n';
    const split = splitSignedCommit(commitWith(signature));
    expect(split.signature).toBe(signature);
    expect(split.payload.toString('latin1')).toBe(`${HEADERS.join('\n')}\n\nchange\n`);
    expect(split.committedAt).toBe(1700000100);
  });

  it('also strips gpgsig-sha256 and leaves message lines that look like headers alone', () => {
    const raw = Buffer.from(
      `${HEADERS.join('\n')}\ngpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n x\n -----END PGP SIGNATURE-----\n\ngpgsig not a header\n`,
      'latin1',
    );
    const split = splitSignedCommit(raw);
    expect(split.signature).toBeUndefined();
    expect(split.payload.toString('latin1')).toBe(`${HEADERS.join('\n')}\n\ngpgsig not a header\n`);
  });

  it('returns an unsigned commit unchanged, bytes outside UTF-8 included', () => {
    const raw = Buffer.concat([commitWith(undefined, ''), Buffer.from([0xe9, 0xff, 0x0a])]);
    expect(splitSignedCommit(raw).payload.equals(raw)).toBe(true);
  });

  it('recovers payload and signature for any message and signature text (property)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '+', '/', '=', ' ', '-'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), fc.string(), (sigLines, message) => {
        const signature = `${sigLines.map((l) => l.trimEnd()).join('\n')}\n`;
        const split = splitSignedCommit(commitWith(signature, message));
        expect(split.payload.toString('latin1')).toBe(
          `${HEADERS.join('\n')}\n\n${Buffer.from(message, 'latin1').toString('latin1')}`,
        );
        expect(split.signature).toBe(signature.trimEnd().length === 0 ? '\n' : `${signature.trimEnd()}\n`);
      }),
    );
  });
});

describe('commitAuthor', () => {
  it('reads the author header without its timestamp, whatever follows it', () => {
    expect(commitAuthor(commitWith(undefined))).toBe('Dev Eloper <dev@example.com>');
    const signature =
      '-----BEGIN SSH SIGNATURE-----\nauthor Mallory <m@example.com> 1 +0000\n-----END SSH SIGNATURE-----\n';
    expect(commitAuthor(commitWith(signature, 'author Mallory <m@example.com> 1 +0000\n'))).toBe(
      'Dev Eloper <dev@example.com>',
    );
  });

  it('keeps a UTF-8 name, and is undefined for a commit object without an author', () => {
    const headers = [HEADERS[0]!, 'author Zoë Ångström <zoe@example.com> 1700000000 +0000', HEADERS[3]!];
    expect(commitAuthor(Buffer.from(`${headers.join('\n')}\n\nx\n`, 'utf8'))).toBe(
      'Zoë Ångström <zoe@example.com>',
    );
    expect(commitAuthor(commitWith(undefined, 'x\n', [HEADERS[0]!, HEADERS[3]!]))).toBeUndefined();
  });
});

describe('parseAllowedSigners', () => {
  it('reads principals, options and the key, and skips comments', () => {
    const text = [
      '# team keys',
      '',
      `dev@example.com ssh-ed25519 ${ED25519} laptop`,
      `"ops@example.com,*@example.org" namespaces="git,file",valid-after="20240101",valid-before="20301231235959Z" ssh-ed25519 ${ED25519}`,
      `ca@example.com cert-authority ssh-ed25519 ${ED25519}`,
    ].join('\n');
    const [plain, scoped, ca] = parseAllowedSigners(text);
    expect(plain).toMatchObject({
      principals: 'dev@example.com',
      keyType: 'ssh-ed25519',
      line: 3,
      certAuthority: false,
    });
    expect(plain?.namespaces).toBeUndefined();
    expect(plain?.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(scoped).toMatchObject({
      principals: 'ops@example.com,*@example.org',
      namespaces: 'git,file',
      validAfter: Date.UTC(2024, 0, 1) / 1000,
      validBefore: Date.UTC(2030, 11, 31, 23, 59, 59) / 1000,
    });
    expect(ca?.certAuthority).toBe(true);
  });

  it.each([
    ['dev@example.com', 'line 1: expected: principals [options] keytype base64-key'],
    [`dev@example.com frobnicate ssh-ed25519 ${ED25519}`, 'line 1: the option "frobnicate" is not supported'],
    ['dev@example.com ssh-ed25519 !!!notbase64', 'line 1: the key is not base64'],
    [`dev@example.com namespaces="git ssh-ed25519 ${ED25519}`, 'line 1: an unterminated quote'],
    [
      `x valid-after="yesterday" ssh-ed25519 ${ED25519}`,
      'line 1: the timestamp "yesterday" is not YYYYMMDD[HHMM[SS]][Z]',
    ],
    [`# ok\nx options ${ED25519}`, 'line 2: no key type where one was expected'],
  ])('refuses %j with the line number', (text, message) => {
    expect(() => parseAllowedSigners(text)).toThrow(SignatureConfigError);
    expect(() => parseAllowedSigners(text)).toThrow(`allowed_signers ${message}`);
  });
});

describe('matchPatternList', () => {
  it.each([
    ['git', 'git', true],
    ['git', 'file,git', true],
    ['git', 'g?t', true],
    ['git', '*', true],
    ['git', 'file', false],
    ['git', '!git,*', false],
    ['git', 'gi', false],
    ['g.t', 'g.t', true],
    ['git', 'g.t', false],
  ])('%s in %s is %s', (value, list, expected) => {
    expect(matchPatternList(value, list)).toBe(expected);
  });
});

describe('signature verifier', () => {
  it('needs at least one trusted key', async () => {
    await expect(createSignatureVerifier({ allowedSigners: '# nobody\n' })).rejects.toBeInstanceOf(
      SignatureConfigError,
    );
    await expect(createSignatureVerifier({ openpgpKeys: 'not a key' })).rejects.toThrow(
      'no armored public key block',
    );
  });

  it('refuses unsigned commits and formats it does not know, with the commit id', async () => {
    const verifier = await createSignatureVerifier({ allowedSigners: `dev ssh-ed25519 ${ED25519}\n` });
    await expect(verifier.verify('abc', commitWith(undefined))).rejects.toMatchObject({
      reason: 'unsigned',
      commit: 'abc',
    });
    const x509 = commitWith('-----BEGIN SIGNED MESSAGE-----\nMIIB\n-----END SIGNED MESSAGE-----\n');
    await expect(verifier.verify('abc', x509)).rejects.toMatchObject({
      reason: 'unsupported',
      message: 'commit abc: the signature format "SIGNED MESSAGE" is not supported (OpenPGP and SSH are)',
    });
    expect(await enforceSignaturePolicy('none', 'abc', commitWith(undefined), verifier)).toBeUndefined();
  });

  it('never verifies, and only ever refuses with a SignatureError, whatever the signature bytes (property)', async () => {
    const verifier = await createSignatureVerifier({ allowedSigners: `dev ssh-ed25519 ${ED25519}\n` });
    const armorBody = fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 200 }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('SSH SIGNATURE', 'PGP SIGNATURE', 'X'),
        armorBody,
        async (kind, body) => {
          const raw = commitWith(`-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`);
          const outcome = await verifier.verify('abc', raw).then(
            () => 'verified',
            (err: unknown) => err,
          );
          expect(outcome).toBeInstanceOf(SignatureError);
        },
      ),
      { numRuns: 200 },
    );
  });
});
