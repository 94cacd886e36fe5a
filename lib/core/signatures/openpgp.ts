import type { PublicKey } from 'openpgp';
import { messageOf, SignatureConfigError, SignatureError } from './errors';
import type { VerifiedSignature } from './verifier';

/** openpgp.js is loaded only when OpenPGP keys are configured: it is large, and the CLI starts fast. */
type OpenPgp = typeof import('openpgp');
let loaded: Promise<OpenPgp> | undefined;
function openpgp(): Promise<OpenPgp> {
  loaded ??= import('openpgp');
  return loaded;
}

const BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/** The public keys in a file of one or more armored key blocks (`gpg --armor --export` output, concatenated). */
export async function readOpenPgpKeys(armored: string, source = 'OpenPGP keys'): Promise<PublicKey[]> {
  const pgp = await openpgp();
  const blocks = armored.match(BLOCK) ?? [];
  if (blocks.length === 0) throw new SignatureConfigError(`${source}: no armored public key block`);
  const keys: PublicKey[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      for (const key of await pgp.readKeys({ armoredKeys: block })) keys.push(key.toPublic());
    } catch (err: unknown) {
      const why = messageOf(err);
      throw new SignatureConfigError(`${source}: key block ${i + 1} cannot be read: ${why}`, { cause: err });
    }
  }
  return keys;
}

function message(err: unknown): string {
  return messageOf(err).split('\n')[0]!.slice(0, 200);
}

/** Verifies a detached OpenPGP signature over the commit payload with one of the trusted keys. */
export async function verifyOpenPgp(
  commit: string,
  armoredSignature: string,
  payload: Buffer,
  keys: readonly PublicKey[],
): Promise<VerifiedSignature> {
  const pgp = await openpgp();
  let signature: Awaited<ReturnType<OpenPgp['readSignature']>>;
  try {
    signature = await pgp.readSignature({ armoredSignature });
  } catch (err: unknown) {
    throw new SignatureError(
      commit,
      'bad-signature',
      `the OpenPGP signature cannot be read: ${message(err)}`,
      {
        cause: err,
      },
    );
  }
  const signingIds = signature.getSigningKeyIDs();
  const key = keys.find((k) => k.getKeyIDs().some((id) => signingIds.some((s) => s.equals(id))));
  if (key === undefined) {
    const ids = signingIds.map((id) => id.toHex().toUpperCase()).join(', ') || 'no key id';
    throw new SignatureError(
      commit,
      'unknown-key',
      `signed by OpenPGP key ${ids}, which is not a trusted key`,
    );
  }
  try {
    const result = await pgp.verify({
      message: await pgp.createMessage({ binary: payload }),
      signature,
      verificationKeys: [key],
      format: 'binary',
      expectSigned: true,
    });
    for (const sig of result.signatures) await sig.verified;
  } catch (err: unknown) {
    throw new SignatureError(
      commit,
      'bad-signature',
      `the OpenPGP signature by ${key.getFingerprint().toUpperCase()} does not verify: ${message(err)}`,
      { cause: err },
    );
  }
  let signer = key.getUserIDs()[0] ?? '';
  try {
    signer = (await key.getPrimaryUser()).user.userID?.userID ?? signer;
  } catch {
    // A key without a valid self-certified user id still verified: its first user id names it.
  }
  return { verified: true, format: 'openpgp', fingerprint: key.getFingerprint().toUpperCase(), signer };
}
