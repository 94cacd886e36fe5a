import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { checkOpenPgpKeys, SignatureTrustError } from './signature-trust';

/**
 * Reads and checks `chartKeyring` (synth time) with openpgp.js as the sync function reads it, and
 * returns the keys' text for the sync bundle ('' without a keyring). A bad file fails synth,
 * naming the field and the file.
 */
export function loadChartKeyring(files: readonly string[] | undefined, root: string): string {
  return (files ?? [])
    .map((file, i) => {
      const field = `chartKeyring[${i}]`;
      const near = relative(process.cwd(), file);
      const shown = near !== '' && !near.startsWith('..') ? near : file;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err: unknown) {
        const code = (err as { code?: unknown } | null)?.code;
        throw new SignatureTrustError(`${field}: cannot read ${shown}: ${String(code ?? err)}`, {
          cause: err,
        });
      }
      try {
        checkOpenPgpKeys(text, shown, root);
      } catch (err: unknown) {
        throw new SignatureTrustError(`${field}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      return text;
    })
    .join('\n');
}
