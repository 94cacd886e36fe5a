import { createHash } from 'node:crypto';
import type { PublicKey } from 'openpgp';
import { parse } from 'yaml';
import type { ChartRef } from '../../core/render';
import { readOpenPgpKeys } from '../../core/signatures/openpgp';
import { ChartRefusedError } from './errors';

/** The OCI layer `helm push` adds for a chart's `.prov` (helm package --sign). */
export const PROVENANCE_LAYER = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
/** A `.prov` is a few KB: Chart.yaml, one hash and a signature. */
export const MAX_PROVENANCE_BYTES = 1024 * 1024;

/** A chart whose provenance is missing, unsigned by a trusted key, or for another archive: never rendered. */
export class ChartProvenanceError extends ChartRefusedError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChartProvenanceError';
  }
}

/**
 * The keys that may sign chart provenance: armored public key blocks (`gpg --armor --export`),
 * read on first use so that openpgp.js is loaded only when a chart is checked.
 */
export class ChartKeyring {
  private loaded: Promise<PublicKey[]> | undefined;
  constructor(
    readonly armored: string,
    /** Names the keyring in errors (a file, or the deployment's chartKeyring). */
    readonly source: string,
  ) {}

  keys(): Promise<readonly PublicKey[]> {
    this.loaded ??= readOpenPgpKeys(this.armored, this.source);
    return this.loaded;
  }
}

/** The archive name helm signs the hash under: `helm package` always writes `<name>-<version>.tgz`. */
export function provenanceFileName(ref: Pick<ChartRef, 'name' | 'version'>): string {
  return `${ref.name}-${ref.version}.tgz`;
}

/**
 * Checks a `.prov` as `helm verify` does: an OpenPGP clearsigned document whose signature verifies
 * with a key of the keyring, and whose text is the chart's Chart.yaml, a `...` line, then a `files:`
 * map from the archive's name to `sha256:<hex>` of the archive. We also require Chart.yaml's name and
 * version to be the ones asked for, so that a signed `.prov` of another chart cannot be replayed.
 * Returns the signing key's fingerprint.
 */
export async function verifyProvenance(
  ref: ChartRef,
  archive: Buffer,
  prov: string,
  keyring: ChartKeyring,
  what: string,
): Promise<string> {
  const pgp = await import('openpgp');
  const keys = await keyring.keys();
  let text: string;
  let fingerprint: string;
  try {
    const message = await pgp.readCleartextMessage({ cleartextMessage: prov });
    const result = await pgp.verify({ message, verificationKeys: [...keys], expectSigned: true });
    text = result.data;
    const id = result.signatures[0]?.keyID;
    const key = keys.find((k) => k.getKeyIDs().some((kid) => id && kid.equals(id)));
    fingerprint = (key?.getFingerprint() ?? id?.toHex() ?? '').toUpperCase();
  } catch (err: unknown) {
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ChartProvenanceError(`${what}: its provenance does not verify with the chart keyring: ${why}`, {
      cause: err,
    });
  }
  const parts = text.replace(/\r\n/g, '\n').split('\n...\n');
  if (parts.length !== 2)
    throw new ChartProvenanceError(`${what}: its provenance is not Chart.yaml, "...", then files`);
  let meta: { name?: unknown; version?: unknown } | null;
  let sums: { files?: Record<string, unknown> } | null;
  try {
    meta = parse(parts[0]!, { maxAliasCount: 10 }) as typeof meta;
    sums = parse(parts[1]!, { maxAliasCount: 10 }) as typeof sums;
  } catch (err: unknown) {
    throw new ChartProvenanceError(`${what}: its provenance is not valid YAML`, { cause: err });
  }
  if (
    meta?.name !== ref.name ||
    String(meta?.version ?? '').replace(/^v/, '') !== ref.version.replace(/^v/, '')
  )
    throw new ChartProvenanceError(
      `${what}: its provenance is signed for chart ${String(meta?.name)} ${String(meta?.version)}`,
    );
  const file = provenanceFileName(ref);
  const signed = sums?.files?.[file];
  if (typeof signed !== 'string')
    throw new ChartProvenanceError(`${what}: its provenance signs no hash for ${file}`);
  const actual = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  if (signed !== actual)
    throw new ChartProvenanceError(
      `${what}: the archive is ${actual}, not the ${signed} its provenance signs`,
    );
  return fingerprint;
}
