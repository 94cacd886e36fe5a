import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type { SignatureTrusts } from '../functions/shared/signature-trust';
import { parseAllowedSigners, type SignatureTrust } from '../lib/core/signatures';
import type { RepositoryProps } from './config';

/** A key file that cannot be trusted: one line naming the field and the file. */
export class SignatureTrustError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message.split('\n')[0], options);
    this.name = 'SignatureTrustError';
  }
}

/**
 * esbuild passes a define as one command-line argument, and Linux caps one at 128 KiB: the trust
 * must fit well inside.
 */
export const MAX_TRUST_BYTES = 100 * 1024;

/**
 * Reads and checks every repository's key files (synth time): each allowed_signers file with the
 * parser the sync function uses, each OpenPGP key file with openpgp.js as the sync function reads
 * it, and keeps their text for the bundle. Throws SignatureTrustError naming the field and the file.
 */
export function loadSignatureTrusts(repositories: readonly RepositoryProps[], root: string): SignatureTrusts {
  const trusts: Record<string, SignatureTrust> = {};
  repositories.forEach((repo, i) => {
    const files = repo.verifySignatures;
    if (!files) return;
    const read = (kind: 'openpgp' | 'ssh') =>
      (files[kind] ?? []).map((file, j) =>
        readKeyFile(`repositories[${i}].verifySignatures.${kind}[${j}]`, file, (text, shown) => {
          if (kind === 'ssh') checkAllowedSigners(text, shown);
          else checkOpenPgpKeys(text, shown, root);
        }),
      );
    const openpgp = read('openpgp');
    const ssh = read('ssh');
    trusts[repo.url] = {
      ...(openpgp.length > 0 ? { openpgpKeys: openpgp.join('\n') } : {}),
      ...(ssh.length > 0 ? { allowedSigners: ssh.join('\n') } : {}),
    };
  });
  const bytes = Buffer.byteLength(JSON.stringify(trusts));
  if (bytes > MAX_TRUST_BYTES) {
    throw new SignatureTrustError(
      `verifySignatures: the key files hold ${bytes} bytes; at most ${MAX_TRUST_BYTES} can be embedded in the sync function`,
    );
  }
  return trusts;
}

/**
 * A key file's text, read and checked at synth time; a failure is one SignatureTrustError line naming
 * the config field and the file (relative to the working directory when inside it).
 */
export function readKeyFile(
  field: string,
  file: string,
  check: (text: string, shown: string) => void,
): string {
  const near = relative(process.cwd(), file);
  const shown = near !== '' && !near.startsWith('..') ? near : file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new SignatureTrustError(`${field}: cannot read ${shown}: ${String(code ?? err)}`, { cause: err });
  }
  try {
    check(text, shown);
  } catch (err: unknown) {
    throw new SignatureTrustError(`${field}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return text;
}

function checkAllowedSigners(text: string, source: string): void {
  const signers = parseAllowedSigners(text, source);
  if (signers.length === 0) throw new Error(`${source}: no allowed signer`);
}

/** Fingerprints of key files already checked, by content: a synth checks each file once. */
const checked = new Map<string, string[]>();

/**
 * openpgp.js is asynchronous and a construct is not: the check runs lib/core/signatures' own reader
 * in a child node, bundled on the fly with the esbuild the functions are bundled with.
 */
export function checkOpenPgpKeys(text: string, source: string, root: string): string[] {
  const key = `${source}\0${text}`;
  const known = checked.get(key);
  if (known) return known;
  const esbuild = createRequire(join(root, 'package.json'))('esbuild') as typeof import('esbuild');
  const script = esbuild.buildSync({
    stdin: { contents: OPENPGP_CHECK, resolveDir: root, loader: 'ts', sourcefile: 'openpgp-check.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0]!.text;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    input: JSON.stringify({ text, source }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) {
    throw new Error(run.stderr.trim().split('\n')[0] || `${source}: the OpenPGP check failed (${run.error})`);
  }
  const fingerprints = JSON.parse(run.stdout) as string[];
  checked.set(key, fingerprints);
  return fingerprints;
}

const OPENPGP_CHECK = `
import { readOpenPgpKeys } from './lib/core/signatures/openpgp';
const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', async () => {
  const { text, source } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  try {
    const fingerprints: string[] = [];
    for (const key of await readOpenPgpKeys(text, source)) {
      const fingerprint = key.getFingerprint().toUpperCase();
      try {
        await key.getSigningKey();
      } catch (err) {
        throw new Error(source + ': OpenPGP key ' + fingerprint + ' cannot verify signatures: ' + (err as Error).message);
      }
      fingerprints.push(fingerprint);
    }
    process.stdout.write(JSON.stringify(fingerprints));
  } catch (err) {
    process.stderr.write(String((err as Error).message ?? err).split('\\n')[0] + '\\n');
    process.exitCode = 1;
  }
});
`;
