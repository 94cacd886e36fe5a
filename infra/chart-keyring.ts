import { checkOpenPgpKeys, readKeyFile } from './signature-trust';

/**
 * Reads and checks `chartKeyring` (synth time) with openpgp.js as the sync function reads it, and
 * returns the keys' text for the sync bundle ('' without a keyring). A bad file fails synth,
 * naming the field and the file.
 */
export function loadChartKeyring(files: readonly string[] | undefined, root: string): string {
  return (files ?? [])
    .map((file, i) =>
      readKeyFile(`chartKeyring[${i}]`, file, (text, shown) => checkOpenPgpKeys(text, shown, root)),
    )
    .join('\n');
}
