import { INVENTORY_NAME_PREFIX } from '../inventory';
import type { RenderedManifest } from '../render';
import { PolicyError } from './errors';

/**
 * Refuses a manifest that declares an inventory's name (finding 2 of #14): an app that shipped
 * `ConfigMap plumbline-inventory-<other>` could rewrite what another app prunes. Checked before
 * any request, in every namespace.
 */
export function refuseReservedNames(manifests: readonly RenderedManifest[]): void {
  for (const m of manifests) {
    const { object } = m;
    if (object.kind !== 'ConfigMap' || object.apiVersion !== 'v1') continue;
    // A hook's generateName makes a name with the prefix just as well.
    const name = object.metadata.name || String(object.metadata.generateName ?? '');
    if (!name.startsWith(INVENTORY_NAME_PREFIX)) continue;
    throw new PolicyError(
      `${m.source.file} (document ${m.source.document}): ConfigMap ${name}: names starting with "${INVENTORY_NAME_PREFIX}" are reserved for Plumbline's inventories`,
    );
  }
}
