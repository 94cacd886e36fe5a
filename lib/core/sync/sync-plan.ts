/**
 * What one sync will do to the inventory, planned from what was read before any write
 * (docs/adr/0016): which inventory ids prune may look at, the state of the inventory after pending
 * ids are resolved, the prune decisions, the new ids, and whether another run's lease stops it.
 */

import { type IgnoreRule, withIgnoredFromLive } from '../drift';
import {
  EMPTY_INVENTORY,
  type Inventory,
  InventoryBusyError,
  type InventoryEntry,
  type InventoryLease,
  idsOf,
  resolvePending,
  type StoredInventory,
} from '../inventory';
import { formatId, type KubeObject, type ObjectId } from '../manifests';
import { isUnchanged } from './apply-object';
import type { AllowList, DesiredObject } from './desired';
import { finishedByTtl, idSet } from './finished-jobs';
import { DEFAULT_PRUNE_SHARE, outsideAllowList, type PruneDecision, planPrune } from './prune-plan';

/** Inventory ids Git no longer declares: those prune may consider, and those the allow-list puts out of reach (with why). */
export function splitLeftovers(
  stored: StoredInventory | undefined,
  desired: readonly DesiredObject[],
  allow: AllowList,
): { leftovers: InventoryEntry[]; outside: Map<string, string> } {
  const desiredKeys = new Set(desired.map((d) => formatId(d.id)));
  const outside = new Map<string, string>();
  const leftovers: InventoryEntry[] = [];
  for (const entry of stored?.inventory.entries ?? []) {
    if (desiredKeys.has(formatId(entry.id))) continue;
    const reason = outsideAllowList(entry.id, allow);
    if (reason) outside.set(formatId(entry.id), reason);
    else leftovers.push(entry);
  }
  return { leftovers, outside };
}

export interface InventoryPlan {
  /** The inventory as this sync starts from it: pending ids of a finished run resolved. */
  readonly previous: Inventory;
  readonly inInventory: Set<string>;
  readonly plan: PruneDecision[];
  /** Desired objects the inventory does not hold yet. */
  readonly added: DesiredObject[];
  readonly deletes: boolean;
}

export interface PlanOptions {
  readonly app: string;
  readonly allow: AllowList;
  readonly prune: boolean;
  readonly dryRun: boolean;
  readonly pruneAdopted?: boolean;
  readonly pruneShare?: number;
  readonly forcePrune?: boolean;
  readonly ignoreDifferences?: readonly IgnoreRule[];
}

/**
 * Plans the inventory's part of a sync. Throws InventoryBusyError when another run holds the lease
 * (`busy`) and this sync would write anything: apply, add, delete, or prune what that run applies.
 */
export function planInventory(
  stored: StoredInventory | undefined,
  busy: InventoryLease | undefined,
  leftovers: readonly InventoryEntry[],
  desired: readonly DesiredObject[],
  live: (id: ObjectId) => KubeObject | undefined,
  options: PlanOptions,
): InventoryPlan {
  // Pending ids of a run that ended without confirming; a running sync's are left alone, and so
  // are ids outside the allow-list, which were not read.
  const read = new Set([...leftovers.map((e) => formatId(e.id)), ...desired.map((d) => formatId(d.id))]);
  const previous: Inventory =
    stored && !busy
      ? resolvePending(
          stored.inventory,
          (id) => {
            const object = live(id);
            return object && { creationTimestamp: object.metadata.creationTimestamp };
          },
          (id) => read.has(formatId(id)),
        )
      : (stored?.inventory ?? EMPTY_INVENTORY);
  const inInventory = idSet(idsOf(previous));
  const pruneable = new Set(leftovers.map((e) => formatId(e.id)));
  const plan = planPrune(
    previous.entries.filter((e) => pruneable.has(formatId(e.id))),
    previous.entries.length,
    live,
    {
      prune: options.prune,
      pruneAdopted: options.pruneAdopted === true,
      maxShare: options.pruneShare ?? DEFAULT_PRUNE_SHARE,
      force: options.forcePrune === true,
      allow: options.allow,
    },
  );
  const added = desired.filter((d) => !inInventory.has(formatId(d.id)));
  const deletes = plan.some((d) => d.action === 'delete');
  if (busy && !options.dryRun) {
    // Ids the other run is applying and Git no longer declares: pruning them has to wait for it.
    const waiting = options.prune && leftovers.some((e) => e.origin === 'pending');
    const writes =
      added.length > 0 ||
      deletes ||
      waiting ||
      desired.some(
        (d) =>
          !finishedByTtl(d, live(d.id), inInventory) &&
          !isUnchanged(
            withIgnoredFromLive(d.object, live(d.id), options.ignoreDifferences),
            live(d.id),
            options.app,
          ),
      );
    if (writes)
      throw new InventoryBusyError(
        `app ${options.app} is being synced by another run (its lease ends ${busy.until}; a run that crashed or could not confirm its inventory holds it until then); nothing was applied`,
      );
  }
  return { previous, inInventory, plan, added, deletes };
}
