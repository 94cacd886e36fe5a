/**
 * `plumbline prune-app`: the explicit prune of an app removed from plumbline.yaml (#14 finding 4).
 * Deletes what its inventory holds under the rules every prune follows (allow-list, adopted
 * objects, namespaces holding other objects), then removes the inventory, or keeps it holding
 * what was kept.
 */
import {
  activeLease,
  confirmOf,
  type Inventory,
  InventoryBusyError,
  InventoryError,
  resolvePending,
} from '../inventory';
import { formatId, parseId, subjectOf } from '../manifests';
import { Redactor } from '../redact';
import { type Change, type ChangeCounts, countChanges } from './changeset';
import type { AllowList } from './desired';
import { newLease } from './inventory-flow';
import { LiveState, listTargets } from './live';
import type { ClusterPort, InventoryStore, ResourceInfo } from './ports';
import { pruneObjects } from './prune';
import { outsideAllowList, planPrune } from './prune-plan';

export interface PruneAppOptions {
  readonly app: string;
  readonly namespace: string;
  readonly allow: AllowList;
  readonly dryRun: boolean;
  readonly pruneAdopted: boolean;
  readonly concurrency: number;
}

export interface PruneAppResult {
  readonly app: string;
  readonly changes: Change[];
  readonly counts: ChangeCounts;
  /** Whether the inventory was removed (or, in a dry run, would be). */
  readonly inventoryRemoved: boolean;
  readonly ok: boolean;
}

export async function pruneApp(
  deps: { readonly cluster: ClusterPort; readonly inventory: InventoryStore; readonly now?: () => number },
  options: PruneAppOptions,
): Promise<PruneAppResult> {
  const now = deps.now ?? Date.now;
  const { cluster } = deps;
  const stored = await deps.inventory.load(options.app, options.namespace);
  if (!stored)
    throw new InventoryError(
      `app ${options.app} has no inventory in namespace ${options.namespace}: nothing to prune`,
    );
  const lease = newLease(now());
  const busy = activeLease(stored.inventory, lease.holder, now());
  if (busy)
    throw new InventoryBusyError(
      `app ${options.app} is being synced by another run (its lease ends ${busy.until}; a run that crashed or could not confirm its inventory holds it until then); nothing was deleted`,
    );
  const outside = new Map<string, string>();
  const targets: { resource: ResourceInfo; id: ReturnType<typeof parseId> }[] = [];
  for (const entry of stored.inventory.entries) {
    const reason = outsideAllowList(entry.id, options.allow);
    if (reason) {
      outside.set(formatId(entry.id), reason);
      continue;
    }
    const resource = await cluster.resourceFor(entry.id.group, entry.id.kind);
    if (resource) targets.push({ resource, id: entry.id });
  }
  const live = await LiveState.read(cluster, listTargets(targets), options.app, options.concurrency);
  const inventory: Inventory = resolvePending(
    stored.inventory,
    (id) => {
      const object = live.get(id);
      return object && { creationTimestamp: object.metadata.creationTimestamp };
    },
    (id) => !outside.has(formatId(id)),
  );
  // An explicit prune of the whole app: the share limit, meant to catch a mistaken render, does not apply.
  const plan = planPrune(
    inventory.entries.filter((e) => !outside.has(formatId(e.id))),
    inventory.entries.length,
    (id) => live.get(id),
    { prune: true, pruneAdopted: options.pruneAdopted, maxShare: 1, force: true, allow: options.allow },
  );
  let revision = stored.revision;
  const withLease = { ...inventory, lease: { holder: lease.holder, until: lease.until } };
  if (!options.dryRun && plan.some((d) => d.action === 'delete'))
    revision = await deps.inventory.save(options.app, options.namespace, withLease, {
      dryRun: false,
      expected: revision,
    });
  const pruned = await pruneObjects(
    { cluster, dryRun: options.dryRun, concurrency: options.concurrency, redactor: new Redactor() },
    plan,
  );
  const changes = [...pruned.changes];
  for (const [key, reason] of outside) {
    const id = parseId(key);
    changes.push({ id, subject: subjectOf(id), action: 'skipped', reason });
  }
  const left = confirmOf(withLease, new Map(), pruned.removed, { keepUnsent: true });
  const removeInventory = left.entries.length === 0;
  if (!options.dryRun) {
    if (removeInventory)
      await deps.inventory.remove(options.app, options.namespace, { dryRun: false, expected: revision });
    else
      await deps.inventory.save(options.app, options.namespace, left, { dryRun: false, expected: revision });
  }
  return {
    app: options.app,
    changes,
    counts: countChanges(changes),
    inventoryRemoved: removeInventory,
    ok: !changes.some((c) => c.action === 'failed'),
  };
}
