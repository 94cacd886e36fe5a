import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeInventory, encodeInventory, InventoryError } from '../../core/inventory';
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
    if (!cm) return undefined;
    const data = cm.data as Record<string, unknown> | undefined;
    if (data?.version !== COMPRESSED) return decodeInventory(data);
    const binary = cm.binaryData as Record<string, unknown> | undefined;
    const packed = binary?.[COMPRESSED_KEY];
    if (typeof packed !== 'string')
      throw new InventoryError(
        `inventory ${inventoryName(app)}: version "2" without binaryData ${COMPRESSED_KEY}`,
      );
    let objects: string;
    try {
      objects = gunzipSync(Buffer.from(packed, 'base64'), { maxOutputLength: MAX_INFLATED_BYTES }).toString(
        'utf8',
      );
    } catch (err: unknown) {
      throw new InventoryError(
        `inventory ${inventoryName(app)}: ${COMPRESSED_KEY} does not decompress: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return decodeInventory({ version: '1', objects });
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
        ...inventoryData(app, ids),
      },
      { force: true, dryRun: options.dryRun },
    );
  }
}

/** Version "2": the lines of version "1", gzipped into binaryData (older Plumblines refuse it by name). */
const COMPRESSED = '2';
const COMPRESSED_KEY = 'objects.gz';
/** Past this the id lines are gzipped: a ConfigMap holds at most 1 MiB of data. */
const INLINE_BYTES = 512 * 1024;
const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 1024;
/** A bound on what a stored inventory may decompress to (a hand-edited one included). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/**
 * The ConfigMap's data: the ids one a line (version "1", readable with kubectl), or, for an app so
 * large that they would not fit in a ConfigMap's 1 MiB, gzipped (about a tenth of the size).
 */
function inventoryData(
  app: string,
  ids: readonly ObjectId[],
): { data: Record<string, string>; binaryData?: Record<string, string> } {
  const data = encodeInventory(ids);
  const objects = data.objects ?? '';
  if (Buffer.byteLength(objects) <= INLINE_BYTES) return { data };
  const packed = gzipSync(objects, { level: 9 });
  if (packed.length > MAX_CONFIGMAP_BYTES)
    throw new InventoryError(
      `the inventory of app ${app} (${ids.length} objects) is ${packed.length} bytes gzipped: more than one ConfigMap holds; split the app`,
    );
  return { data: { version: COMPRESSED }, binaryData: { [COMPRESSED_KEY]: packed.toString('base64') } };
}
