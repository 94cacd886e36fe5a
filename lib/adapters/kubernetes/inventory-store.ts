import { decodeInventory, encodeInventory } from '../../core/inventory';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ObjectId } from '../../core/manifests';
import type { ClusterPort, InventoryStore, ResourceInfo } from '../../core/sync/ports';

const CONFIG_MAPS: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

export function inventoryName(app: string): string {
  return `plumbline-inventory-${app}`;
}

/**
 * The inventory kept in the cluster, as the CLI uses it: a ConfigMap
 * `plumbline-inventory-<app>` in the app's namespace (#3). DynamoDB replaces it in Lambda (#6).
 */
export class ConfigMapInventoryStore implements InventoryStore {
  constructor(private readonly cluster: ClusterPort) {}

  async load(app: string, namespace: string): Promise<ObjectId[] | undefined> {
    const cm = await this.cluster.get(CONFIG_MAPS, namespace, inventoryName(app));
    return cm ? decodeInventory(cm.data) : undefined;
  }

  async save(
    app: string,
    namespace: string,
    ids: readonly ObjectId[],
    options: { readonly dryRun: boolean },
  ): Promise<void> {
    await this.cluster.apply(
      CONFIG_MAPS,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: inventoryName(app),
          namespace,
          // Labelled for people, deliberately without plumbline.dev/app: the inventory is not one of the app's objects.
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, 'plumbline.dev/inventory': app },
        },
        data: encodeInventory(ids),
      },
      { force: true, dryRun: options.dryRun },
    );
  }
}
