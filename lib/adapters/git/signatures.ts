import { readFile } from 'node:fs/promises';
import {
  createSignatureVerifier,
  enforceSignaturePolicy,
  SignatureConfigError,
  type SignaturePolicy,
  type SignatureTrust,
  type SignatureVerifier,
  type VerifiedSignature,
} from '../../core/signatures';
import type { GitSource } from './source';

/** Trusted key files (the CLI's `--verify-signatures openpgp:KEYS.asc` or `ssh:ALLOWED_SIGNERS`), merged. */
export async function loadSignatureTrust(specs: readonly string[]): Promise<SignatureTrust> {
  const openpgp: string[] = [];
  const ssh: string[] = [];
  for (const spec of specs) {
    const colon = spec.indexOf(':');
    const kind = spec.slice(0, colon);
    const file = spec.slice(colon + 1);
    if (colon < 0 || file === '' || (kind !== 'openpgp' && kind !== 'ssh')) {
      throw new SignatureConfigError(`"${spec}" is not openpgp:KEYS.asc or ssh:ALLOWED_SIGNERS`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err: unknown) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unreadable';
      throw new SignatureConfigError(`cannot read ${file}: ${code}`, { cause: err });
    }
    (kind === 'openpgp' ? openpgp : ssh).push(text);
  }
  return {
    openpgpKeys: openpgp.length > 0 ? openpgp.join('\n') : undefined,
    allowedSigners: ssh.length > 0 ? ssh.join('\n') : undefined,
  };
}

/** A verifier for trusted key files; see loadSignatureTrust. */
export async function verifierFromFiles(specs: readonly string[]): Promise<SignatureVerifier> {
  return createSignatureVerifier(await loadSignatureTrust(specs));
}

/**
 * The policy applied to a fetched commit, before anything is rendered: undefined for `none`, the
 * verified signature for `head`; a SignatureError (commit and reason) when refused.
 */
export async function checkCommitSignature(
  source: GitSource,
  commit: string,
  policy: SignaturePolicy,
  verifier: SignatureVerifier | undefined,
): Promise<VerifiedSignature | undefined> {
  if (policy === 'none') return undefined;
  return enforceSignaturePolicy(policy, commit, await source.readCommit(commit), verifier);
}
