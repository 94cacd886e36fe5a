import type { SignatureTrust } from '../../lib/core/signatures';
import { DeploymentConfigError, sameRepository } from './deployment';

/**
 * The keys the deployment trusts to sign commits, by repository URL: a repository listed here
 * deploys only commits signed by one of its keys (policy `head`). Embedded in the sync function's
 * bundle at synth time, not read from its environment, so that neither a repository nor a change of
 * the function's configuration can turn it off (#7, docs/adr/0011).
 */
export type SignatureTrusts = Readonly<Record<string, SignatureTrust>>;

/** The expression the stack's esbuild `define` replaces with the trust as a JSON string. */
export const SIGNATURE_TRUST_DEFINE = 'process.env.PLUMBLINE_SIGNATURE_TRUST';

/** Parses the embedded trust; undefined (a bundle built without the stack's define) is refused. */
export function parseSignatureTrusts(text: string | undefined): SignatureTrusts {
  if (text === undefined) {
    throw new DeploymentConfigError(
      `${SIGNATURE_TRUST_DEFINE} is not defined: the sync function must be bundled by the stack, which embeds the trusted signing keys`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err: unknown) {
    throw new DeploymentConfigError('PLUMBLINE_SIGNATURE_TRUST is not JSON', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DeploymentConfigError('PLUMBLINE_SIGNATURE_TRUST must map repository URLs to trusted keys');
  }
  const trusts: Record<string, SignatureTrust> = {};
  for (const [url, value] of Object.entries(raw)) {
    const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const { openpgpKeys, allowedSigners } = v;
    const ok = (x: unknown) => x === undefined || (typeof x === 'string' && x.trim() !== '');
    if (
      !ok(openpgpKeys) ||
      !ok(allowedSigners) ||
      (openpgpKeys === undefined && allowedSigners === undefined)
    ) {
      throw new DeploymentConfigError(
        `PLUMBLINE_SIGNATURE_TRUST for ${url} needs openpgpKeys or allowedSigners as non-empty text`,
      );
    }
    trusts[url] = {
      ...(typeof openpgpKeys === 'string' ? { openpgpKeys } : {}),
      ...(typeof allowedSigners === 'string' ? { allowedSigners } : {}),
    };
  }
  return trusts;
}

/** The trust of a repository, if the deployment requires its commits to be signed. */
export function signatureTrustOf(trusts: SignatureTrusts, repoUrl: string): SignatureTrust | undefined {
  const url = Object.keys(trusts).find((u) => sameRepository(u, repoUrl));
  return url === undefined ? undefined : trusts[url];
}
