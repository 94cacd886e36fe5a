import * as openpgp from 'openpgp';
import { createSignatureVerifier, SignatureError, type SignatureVerifier } from '../../lib/core/signatures';

// Keys and detached signatures made with openpgp.js itself; test/adapters/git/signatures.test.ts
// checks the same code against commits signed by gpg.

const PAYLOAD = Buffer.from(
  'tree 9bedf67800b2923982bdf60c89c57ce6fa2d9a1c\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nrelease\n',
);

async function key(name: string) {
  return openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: `${name}@example.com` }],
    format: 'object',
  });
}

async function detached(payload: Buffer, signingKey: openpgp.PrivateKey): Promise<string> {
  const message = await openpgp.createMessage({ binary: payload });
  return openpgp.sign({ message, signingKeys: signingKey, detached: true, format: 'armored' });
}

function commitWith(signature: string, payload = PAYLOAD): Buffer {
  const text = payload.toString('latin1');
  const split = text.indexOf('\n\n');
  const sig = `gpgsig ${signature.trimEnd().split('\n').join('\n ')}`;
  return Buffer.from(`${text.slice(0, split)}\n${sig}${text.slice(split)}`, 'latin1');
}

let trusted: Awaited<ReturnType<typeof key>>;
let other: Awaited<ReturnType<typeof key>>;
let verifier: SignatureVerifier;

beforeAll(async () => {
  [trusted, other] = await Promise.all([key('release'), key('mallory')]);
  // Two armored blocks in one file, as `cat a.asc b.asc` makes.
  const unrelated = await key('unrelated');
  verifier = await createSignatureVerifier({
    openpgpKeys: `${unrelated.publicKey.armor()}\n${trusted.publicKey.armor()}`,
  });
});

describe('OpenPGP commit signatures', () => {
  it('verifies a detached signature over the payload and names the primary key and user', async () => {
    const result = await verifier.verify('c1', commitWith(await detached(PAYLOAD, trusted.privateKey)));
    expect(result).toEqual({
      verified: true,
      format: 'openpgp',
      fingerprint: trusted.publicKey.getFingerprint().toUpperCase(),
      signer: 'release <release@example.com>',
    });
  });

  it('refuses a signature by an untrusted key, naming its key id', async () => {
    const err = await verifier
      .verify('c2', commitWith(await detached(PAYLOAD, other.privateKey)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureError);
    expect(err).toMatchObject({
      reason: 'unknown-key',
      message: `commit c2: signed by OpenPGP key ${other.publicKey.getKeyID().toHex().toUpperCase()}, which is not a trusted key`,
    });
  });

  it('refuses a signature over other content (a tampered commit)', async () => {
    const signature = await detached(PAYLOAD, trusted.privateKey);
    const tampered = Buffer.from(PAYLOAD.toString().replace('release', 'rel3ase'));
    await expect(verifier.verify('c3', commitWith(signature, tampered))).rejects.toMatchObject({
      reason: 'bad-signature',
      message: expect.stringMatching(/^commit c3: the OpenPGP signature by [0-9A-F]{40} does not verify: /),
    });
  });

  it('refuses armor that is not a signature', async () => {
    const junk = '-----BEGIN PGP SIGNATURE-----\n\nbm90IGEgc2lnbmF0dXJl\n-----END PGP SIGNATURE-----\n';
    await expect(verifier.verify('c4', commitWith(junk))).rejects.toMatchObject({ reason: 'bad-signature' });
  });

  it('refuses a key file it cannot read, as a configuration error', async () => {
    const broken = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n';
    await expect(createSignatureVerifier({ openpgpKeys: broken })).rejects.toThrow(
      /^OpenPGP keys: key block 1 cannot be read: /,
    );
  });
});
