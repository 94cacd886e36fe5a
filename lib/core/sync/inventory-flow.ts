/**
 * The inventory's writes around one sync (docs/adr/0016): namespaces checked before the first
 * write, the intent before the first create, the confirmation after apply and prune.
 */
import { randomUUID } from 'node:crypto';
import {
  confirmOf,
  type Inventory,
  intentOf,
  LEASE_MS,
  type StoredInventory,
  sameInventory,
} from '../inventory';
import type { ObjectId } from '../manifests';
import type { Change, ChangeAction } from './changeset';
import type { DesiredObject } from './desired';
import { MissingNamespaceError } from './errors';
import { mapPool } from './pool';
import { ClusterApiError, type ClusterPort, type InventoryStore, type ResourceInfo } from './ports';

/** Namespaces whose existence is asked at once before an intent. */
const NAMESPACE_CONCURRENCY = 16;

const NAMESPACES = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

export function newLease(now: number): { holder: string; until: string; since: string } {
  return {
    holder: randomUUID(),
    until: new Date(now + LEASE_MS).toISOString(),
    since: new Date(now).toISOString(),
  };
}

/**
 * Refuses, before any write, a sync that would write into a namespace that does not exist and that
 * the app does not declare: the new objects' namespaces, and the app's own (where the CLI keeps
 * its inventory). One GET per such namespace, only for syncs that add objects.
 */
export async function checkNamespaces(
  cluster: Pick<ClusterPort, 'get'>,
  added: readonly DesiredObject[],
  app: string,
  appNamespace: string | undefined,
): Promise<DesiredObject | undefined> {
  const declared = new Set(
    added.flatMap((d) => (d.id.group === '' && d.id.kind === 'Namespace' ? [d.id.name] : [])),
  );
  const needed = new Set(added.flatMap((d) => (d.namespaced ? [d.id.namespace] : [])));
  if (appNamespace !== undefined) needed.add(appNamespace);
  // Credentials scoped to namespaces may not read Namespace objects: unknown then, and the apply tells.
  const exists = async (namespace: string): Promise<boolean> => {
    try {
      return (await cluster.get(NAMESPACES, '', namespace)) !== undefined;
    } catch (err: unknown) {
      if (err instanceof ClusterApiError && err.code === 403) return true;
      throw err;
    }
  };
  // Read together: one round trip before the intent, however many namespaces the app writes into.
  const checked = [...needed].sort().filter((namespace) => !declared.has(namespace));
  const found = await mapPool(checked, NAMESPACE_CONCURRENCY, exists);
  const missing = checked.filter((_, i) => {
    const result = found[i]!;
    if (result.status === 'rejected') throw result.reason;
    return !result.value;
  });
  let first: DesiredObject | undefined;
  if (appNamespace !== undefined && declared.has(appNamespace) && !(await exists(appNamespace)))
    first = added.find((d) => d.id.group === '' && d.id.kind === 'Namespace' && d.id.name === appNamespace);
  if (missing.length > 0)
    throw new MissingNamespaceError(
      `namespace(s) ${missing.join(', ')} do not exist and app ${app} does not declare them: create them first or add them to the app; nothing was applied`,
    );
  return first;
}

/**
 * Writes the confirmed inventory when it differs from the stored one, conditional on the revision
 * this sync last wrote or read. Returns the error to report after the change set, never throws:
 * by now objects were applied, and the change set must reach the user and the audit record.
 */
export async function confirmInventory(
  store: InventoryStore,
  where: { app: string; namespace: string },
  written: { inventory: Inventory; revision: string | undefined },
  stored: StoredInventory | undefined,
  outcomes: ReadonlyMap<string, ChangeAction>,
  removed: ReadonlySet<string>,
  options: { readonly keepUnsent?: boolean; readonly keep?: ReadonlySet<string> } = {},
): Promise<string | undefined> {
  const confirmed = confirmOf(written.inventory, outcomes, removed, options);
  if (stored && sameInventory(confirmed, stored.inventory) && written.revision === stored.revision)
    return undefined;
  if (!stored && written.revision === undefined && confirmed.entries.length === 0) return undefined;
  try {
    await store.save(where.app, where.namespace, confirmed, { dryRun: false, expected: written.revision });
    return undefined;
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    const pending = written.inventory.entries.some((e) => e.origin === 'pending');
    return `inventory not confirmed: ${message}${pending ? '; what this sync created stays in its intent and the next sync resolves it' : ''}`;
  }
}

/**
 * Checks the namespaces, then writes the intent: the inventory with the new ids pending, under
 * this sync's lease, conditional on the revision read. When the inventory's own namespace is one
 * the app declares and it does not exist yet, `createFirst` makes it before the intent (and it is
 * deleted again if the intent cannot be written, since nothing else was applied).
 */
export async function writeIntent(
  where: { cluster: ClusterPort; store: InventoryStore; app: string; namespace: string },
  from: {
    previous: Inventory;
    revision: string | undefined;
    added: readonly DesiredObject[];
    isLive: (id: ObjectId) => boolean;
    lease: { holder: string; until: string; since: string };
  },
  createFirst: (namespace: DesiredObject) => Promise<{ change: Change; resource: ResourceInfo } | undefined>,
): Promise<{ inventory: Inventory; revision: string }> {
  const { cluster, store, app, namespace } = where;
  const first = await checkNamespaces(cluster, from.added, app, store.inNamespace ? namespace : undefined);
  const made = first ? await createFirst(first) : undefined;
  const intent = intentOf(
    from.previous,
    from.added.map((d) => d.id),
    from.isLive,
    from.lease.since,
    { holder: from.lease.holder, until: from.lease.until },
  ).inventory;
  try {
    const revision = await store.save(app, namespace, intent, { dryRun: false, expected: from.revision });
    return { inventory: intent, revision };
  } catch (err: unknown) {
    if (first && made?.change.action === 'created')
      await cluster.remove(made.resource, '', first.id.name, { dryRun: false }).catch(() => false);
    throw err;
  }
}
