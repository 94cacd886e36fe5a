import { gunzipSync, gzipSync } from 'node:zlib';
import {
  decodeInventory,
  encodeInventory,
  INVENTORY_NAME_PREFIX,
  type Inventory,
  InventoryBusyError,
  InventoryError,
  type StoredInventory,
} from '../../core/inventory';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../core/manifests';
import {
  ClusterApiError,
  type ClusterPort,
  type InventoryStore,
  type ResourceInfo,
} from '../../core/sync/ports';

const CONFIG_MAPS: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

/** Every inventory ConfigMap's name starts with it: reserved, no app may declare such a ConfigMap. */
export const INVENTORY_PREFIX = INVENTORY_NAME_PREFIX;

export function inventoryName(app: string): string {
  return `${INVENTORY_PREFIX}${app}`;
}

/**
 * The inventory kept in the cluster, as the CLI uses it: a ConfigMap
 * `plumbline-inventory-<app>` in the app's namespace (#3). DynamoDB replaces it in Lambda (#6).
 * Writes are conditional on the resourceVersion read (a create when there was none; a replace,
 * not an apply, so keys a write leaves out are gone, whoever wrote the version before), so two
 * syncs of one app cannot both write: the second gets InventoryBusyError.
 */
export class ConfigMapInventoryStore implements InventoryStore {
  readonly inNamespace = true;
  constructor(private readonly cluster: ClusterPort) {}

  async load(app: string, namespace: string): Promise<StoredInventory | undefined> {
    const cm = await this.cluster.get(CONFIG_MAPS, namespace, inventoryName(app));
    if (!cm) return undefined;
    const where = `inventory ConfigMap ${namespace}/${inventoryName(app)}`;
    try {
      return {
        inventory: decodeStored(app, cm as { data?: unknown; binaryData?: unknown }),
        revision: String(cm.metadata.resourceVersion ?? ''),
      };
    } catch (err: unknown) {
      if (!(err instanceof InventoryError)) throw err;
      throw new InventoryError(
        `${where} is not a Plumbline inventory Plumbline can read (${err.message}); nothing was applied or pruned: repair or delete it`,
        { cause: err },
      );
    }
  }

  async save(
    app: string,
    namespace: string,
    inventory: Inventory,
    options: { readonly dryRun: boolean; readonly expected: string | undefined },
  ): Promise<string> {
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: inventoryName(app),
        namespace,
        // Labelled for people, deliberately without plumbline.dev/app: the inventory is not one of the app's objects.
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, 'plumbline.dev/inventory': app },
        ...(options.expected !== undefined ? { resourceVersion: options.expected } : {}),
      },
      ...inventoryData(app, inventory),
    };
    try {
      const written =
        options.expected === undefined
          ? await this.cluster.create(CONFIG_MAPS, object, { dryRun: options.dryRun })
          : await this.cluster.replace(CONFIG_MAPS, object, { dryRun: options.dryRun });
      return String(written.metadata.resourceVersion ?? '');
    } catch (err: unknown) {
      throw storeError(err, app, namespace);
    }
  }

  async remove(
    app: string,
    namespace: string,
    options: { readonly dryRun: boolean; readonly expected: string },
  ): Promise<void> {
    try {
      await this.cluster.remove(CONFIG_MAPS, namespace, inventoryName(app), {
        dryRun: options.dryRun,
        resourceVersion: options.expected,
      });
    } catch (err: unknown) {
      throw storeError(err, app, namespace);
    }
  }
}

function storeError(err: unknown, app: string, namespace: string): unknown {
  if (!(err instanceof ClusterApiError)) return err;
  if (err.code === 409)
    return new InventoryBusyError(
      `the inventory of app ${app} (${namespace}/${inventoryName(app)}) changed since this sync read it: another sync of the app is running; nothing more was written`,
      { cause: err },
    );
  if (err.code === 404 && /namespaces? "?[^ ]*"? not found/i.test(err.message))
    return new InventoryError(
      `namespace ${namespace} does not exist: the inventory of app ${app} is kept there`,
      {
        cause: err,
      },
    );
  return err;
}

/** Version "2": the lines of version "1", gzipped into binaryData (a Plumbline reading only "1" refuses it). */
const LEGACY_COMPRESSED = '2';
const COMPRESSED_KEY = 'objects.gz';
/** Past this the id lines are gzipped: a ConfigMap holds at most 1 MiB of data. */
const INLINE_BYTES = 512 * 1024;
const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 1024;
/** A bound on what a stored inventory may decompress to (a hand-edited one included). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

function gunzip(app: string, packed: unknown): string {
  if (typeof packed !== 'string')
    throw new InventoryError(`inventory ${inventoryName(app)}: no binaryData ${COMPRESSED_KEY}`);
  try {
    return gunzipSync(Buffer.from(packed, 'base64'), { maxOutputLength: MAX_INFLATED_BYTES }).toString(
      'utf8',
    );
  } catch (err: unknown) {
    throw new InventoryError(
      `inventory ${inventoryName(app)}: ${COMPRESSED_KEY} does not decompress: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Versions "1" and "3" inline, "2" and a large "3" gzipped in binaryData. */
function decodeStored(app: string, cm: { data?: unknown; binaryData?: unknown }): Inventory {
  const data = cm.data as Record<string, unknown> | undefined;
  const binary = cm.binaryData as Record<string, unknown> | undefined;
  if (data?.version === LEGACY_COMPRESSED)
    return decodeInventory({ version: '1', objects: gunzip(app, binary?.[COMPRESSED_KEY]) });
  if (data && data.objects === undefined && binary?.[COMPRESSED_KEY] !== undefined)
    return decodeInventory({ ...data, objects: gunzip(app, binary[COMPRESSED_KEY]) });
  return decodeInventory(data);
}

/**
 * The ConfigMap's data: the lines inline (readable with kubectl), or, for an app so large that
 * they would not fit in a ConfigMap's 1 MiB, gzipped (about a tenth of the size).
 */
function inventoryData(
  app: string,
  inventory: Inventory,
): { data: Record<string, string>; binaryData?: Record<string, string> } {
  const data = encodeInventory(inventory);
  const { objects = '', ...rest } = data;
  if (Buffer.byteLength(objects) <= INLINE_BYTES) return { data };
  const packed = gzipSync(objects, { level: 9 });
  if (packed.length > MAX_CONFIGMAP_BYTES)
    throw new InventoryError(
      `the inventory of app ${app} (${inventory.entries.length} objects) is ${packed.length} bytes gzipped: more than one ConfigMap holds; split the app`,
    );
  return { data: rest, binaryData: { [COMPRESSED_KEY]: packed.toString('base64') } };
}
