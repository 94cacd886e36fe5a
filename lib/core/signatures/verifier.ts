import type { PublicKey } from 'openpgp';
import { type AllowedSigner, parseAllowedSigners } from './allowed-signers';
import { splitSignedCommit } from './commit';
import { messageOf, SignatureConfigError, SignatureError } from './errors';
import { readOpenPgpKeys, verifyOpenPgp } from './openpgp';
import { matchPatternList } from './patterns';
import { SshFormatError, sshFingerprint } from './ssh-wire';
import { parseSshSignature, type SshSignature, verifySshSignature } from './sshsig';

/** `none` (the default): deploy any commit; `head`: the commit deployed must carry a valid signature. */
export type SignaturePolicy = 'none' | 'head';

export interface VerifiedSignature {
  readonly verified: true;
  readonly format: 'openpgp' | 'ssh';
  /** OpenPGP: the primary key's fingerprint, hex in capitals; SSH: `SHA256:…` as `ssh-keygen -l` prints. */
  readonly fingerprint: string;
  /** OpenPGP: the key's primary user id; SSH: the principals of the allowed_signers line. */
  readonly signer: string;
}

/** The keys a deployment trusts: an armored OpenPGP key file's text, an allowed_signers file's text. */
export interface SignatureTrust {
  readonly openpgpKeys?: string;
  readonly allowedSigners?: string;
}

export interface SignatureVerifier {
  /** Verifies the raw commit object; throws SignatureError with the reason when it is refused. */
  verify(commit: string, raw: Uint8Array): Promise<VerifiedSignature>;
}

/** SSHSIG namespace git signs commits in. */
const NAMESPACE = 'git';

function verifySsh(
  commit: string,
  armored: string,
  payload: Buffer,
  committedAt: number | undefined,
  signers: readonly AllowedSigner[],
): VerifiedSignature {
  let sig: SshSignature;
  try {
    sig = parseSshSignature(armored);
  } catch (err: unknown) {
    const why = messageOf(err);
    throw new SignatureError(commit, 'bad-signature', `the SSH signature cannot be read: ${why}`, {
      cause: err,
    });
  }
  const fingerprint = sshFingerprint(sig.publicKey);
  if (sig.namespace !== NAMESPACE) {
    throw new SignatureError(
      commit,
      'bad-signature',
      `the SSH signature is for namespace "${sig.namespace}", not "git"`,
    );
  }
  const listed = signers.filter((s) => !s.certAuthority && s.key.equals(sig.publicKey));
  if (listed.length === 0) {
    throw new SignatureError(
      commit,
      'unknown-key',
      `signed by SSH key ${fingerprint}, which is not an allowed signer`,
    );
  }
  const allowed = listed.filter(
    (s) =>
      (s.namespaces === undefined || matchPatternList(NAMESPACE, s.namespaces)) &&
      (committedAt === undefined ||
        ((s.validAfter === undefined || committedAt >= s.validAfter) &&
          (s.validBefore === undefined || committedAt <= s.validBefore))),
  );
  if (allowed.length === 0) {
    throw new SignatureError(
      commit,
      'unknown-key',
      `SSH key ${fingerprint} is not allowed to sign git commits (namespaces or validity of allowed_signers line ${listed[0]!.line})`,
    );
  }
  let ok: boolean;
  try {
    ok = verifySshSignature(sig, payload).ok;
  } catch (err: unknown) {
    if (!(err instanceof SshFormatError)) throw err;
    throw new SignatureError(
      commit,
      'unsupported',
      `the SSH signature uses ${err.message}, which is not supported`,
      {
        cause: err,
      },
    );
  }
  if (!ok) {
    throw new SignatureError(commit, 'bad-signature', `the SSH signature by ${fingerprint} does not verify`);
  }
  return { verified: true, format: 'ssh', fingerprint, signer: allowed.map((s) => s.principals).join(',') };
}

/**
 * A verifier for the trusted keys. OpenPGP keys are read once here; a trust with no key at all is a
 * configuration error, since policy `head` could then only refuse.
 */
export async function createSignatureVerifier(trust: SignatureTrust): Promise<SignatureVerifier> {
  const pgpKeys: PublicKey[] =
    trust.openpgpKeys === undefined ? [] : await readOpenPgpKeys(trust.openpgpKeys, 'OpenPGP keys');
  const signers = trust.allowedSigners === undefined ? [] : parseAllowedSigners(trust.allowedSigners);
  if (pgpKeys.length === 0 && signers.length === 0) {
    throw new SignatureConfigError('no trusted OpenPGP key or SSH allowed signer is configured');
  }
  return {
    async verify(commit, raw) {
      const { payload, signature, committedAt } = splitSignedCommit(raw);
      if (signature === undefined) {
        throw new SignatureError(commit, 'unsigned', 'the commit is not signed');
      }
      if (signature.startsWith('-----BEGIN PGP SIGNATURE-----')) {
        if (pgpKeys.length === 0) {
          throw new SignatureError(
            commit,
            'unknown-key',
            'signed with OpenPGP, but no OpenPGP key is trusted',
          );
        }
        return verifyOpenPgp(commit, signature, payload, pgpKeys);
      }
      if (signature.startsWith('-----BEGIN SSH SIGNATURE-----')) {
        if (signers.length === 0) {
          throw new SignatureError(
            commit,
            'unknown-key',
            'signed with SSH, but no allowed signers are configured',
          );
        }
        return verifySsh(commit, signature, payload, committedAt, signers);
      }
      const kind = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(signature)?.[1] ?? 'unknown';
      throw new SignatureError(
        commit,
        'unsupported',
        `the signature format "${kind}" is not supported (OpenPGP and SSH are)`,
      );
    },
  };
}

/**
 * Applies a repository's policy to the commit about to be deployed: nothing for `none`, the verified
 * signature for `head` (it goes into the audit record), a SignatureError otherwise.
 */
export async function enforceSignaturePolicy(
  policy: SignaturePolicy,
  commit: string,
  raw: Uint8Array,
  verifier: SignatureVerifier | undefined,
): Promise<VerifiedSignature | undefined> {
  if (policy === 'none') return undefined;
  if (verifier === undefined) {
    throw new SignatureConfigError('the signature policy is "head" but no trusted keys are configured');
  }
  return verifier.verify(commit, raw);
}
