import { ChartKeyring } from '../../lib/adapters/charts/provenance';

/** The expression the stack's esbuild `define` replaces with the deployment's `chartKeyring` text. */
export const CHART_KEYRING_DEFINE = 'process.env.PLUMBLINE_CHART_KEYRING';

let keyring: ChartKeyring | undefined;

/**
 * The chart keyring compiled into the bundle (infra/chart-keyring.ts), read once per container;
 * undefined when the deployment has none. Compiled in, like the signature trust, so that a change of
 * the function's configuration cannot switch provenance checks off.
 */
export function chartKeyringFromBundle(): ChartKeyring | undefined {
  const text = process.env.PLUMBLINE_CHART_KEYRING;
  if (!text) return undefined;
  keyring ??= new ChartKeyring(text, "the deployment's chartKeyring");
  return keyring;
}
