/**
 * The inventory through one sync, as pure steps (docs/adr/0016): resolve what a crashed or failed
 * sync left pending, write the intent before the first create, confirm after.
 */

import { formatId, type ObjectId } from '../manifests/object';
import type { ChangeAction } from '../sync/changeset';
import type { Inventory, InventoryEntry, InventoryLease } from './model';

/** How long a sync holds an app's inventory; a run that crashed frees it after this. */
export const LEASE_MS = 15 * 60_000;
/** Clock difference tolerated between the writer of an intent and the API server that stamps creations. */
export const CLOCK_SKEW_MS = 2_000;

/** The lease of another sync that has not expired, if any. */
export function activeLease(inventory: Inventory, holder: string, nowMs: number): InventoryLease | undefined {
  const lease = inventory.lease;
  if (!lease || lease.holder === holder) return undefined;
  return Date.parse(lease.until) > nowMs ? lease : undefined;
}

/**
 * Whether an object this sync could not see the creation of was created under a pending intent:
 * its creationTimestamp (whole seconds, server clock) falls between the intent and the end of its
 * lease, give or take CLOCK_SKEW_MS. Before the intent it existed already (adopted); long after, it
 * was made by someone else once the run that wrote the intent had ended.
 */
export function createdUnderIntent(creationTimestamp: string | undefined, since: string): boolean {
  if (creationTimestamp === undefined) return false;
  const created = Date.parse(creationTimestamp);
  const at = Date.parse(since);
  if (Number.isNaN(created) || Number.isNaN(at)) return false;
  const from = Math.floor((at - CLOCK_SKEW_MS) / 1000) * 1000;
  return created >= from && created <= at + LEASE_MS + CLOCK_SKEW_MS;
}

/**
 * Pending entries a finished run left (its confirm never came): created when the live object was
 * created under the intent, adopted when it was not, dropped when nothing this app labels is live.
 * An entry `read` says was not read (outside the allow-list) stays pending: its absence proves nothing.
 * Call only when no other sync holds the lease: its pending ids are in flight.
 */
export function resolvePending(
  inventory: Inventory,
  live: (id: ObjectId) => { readonly creationTimestamp?: unknown } | undefined,
  read: (id: ObjectId) => boolean = () => true,
): Inventory {
  const entries: InventoryEntry[] = [];
  for (const entry of inventory.entries) {
    if (entry.origin !== 'pending' || !read(entry.id)) {
      entries.push(entry);
      continue;
    }
    const object = live(entry.id);
    if (!object) continue;
    const stamp = typeof object.creationTimestamp === 'string' ? object.creationTimestamp : undefined;
    const created = createdUnderIntent(stamp, entry.since ?? '');
    entries.push({ id: entry.id, origin: created ? 'created' : 'adopted' });
  }
  return { entries };
}

/**
 * The intent: the inventory with every desired id it does not hold yet, pending when nothing
 * this app labels is live (this sync will create it) and adopted when it is, under this sync's lease.
 */
export function intentOf(
  previous: Inventory,
  desired: readonly ObjectId[],
  isLive: (id: ObjectId) => boolean,
  since: string,
  lease: InventoryLease,
): { inventory: Inventory; added: number } {
  const held = new Set(previous.entries.map((e) => formatId(e.id)));
  const entries: InventoryEntry[] = [...previous.entries];
  let added = 0;
  for (const id of desired) {
    const key = formatId(id);
    if (held.has(key)) continue;
    held.add(key);
    added += 1;
    entries.push(isLive(id) ? { id, origin: 'adopted' } : { id, origin: 'pending', since });
  }
  return { inventory: { entries, lease }, added };
}

/**
 * The confirmed inventory: pruned ids removed; each id whose apply this sync saw becomes created
 * (the server answered 201) or adopted (it existed); an id never sent is dropped; an id whose apply
 * failed stays pending (it may exist), for the next sync to resolve; so does one without an outcome
 * when `keepUnsent` (the run threw). The lease is released.
 */
export function confirmOf(
  intent: Inventory,
  outcomes: ReadonlyMap<string, ChangeAction>,
  removed: ReadonlySet<string>,
  options: { readonly keepUnsent?: boolean; readonly keep?: ReadonlySet<string> } = {},
): Inventory {
  const entries: InventoryEntry[] = [];
  for (const entry of intent.entries) {
    const key = formatId(entry.id);
    if (removed.has(key)) continue;
    // Ids this sync could not touch (outside the allow-list) stay exactly as they were.
    if (options.keep?.has(key)) {
      entries.push(entry);
      continue;
    }
    const action = outcomes.get(key);
    if (action === 'created') entries.push({ id: entry.id, origin: 'created' });
    else if (entry.origin !== 'pending') entries.push(entry);
    else if (action === 'configured' || action === 'unchanged')
      entries.push({ id: entry.id, origin: 'adopted' });
    else if (action === 'failed' || (action === undefined && options.keepUnsent)) entries.push(entry);
    // skipped (or, after a complete run, absent): never sent, so nothing to remember.
  }
  return { entries };
}

/** Whether two inventories store the same data (entries by id and origin, and the lease). */
export function sameInventory(a: Inventory, b: Inventory): boolean {
  if (a.entries.length !== b.entries.length) return false;
  if (a.lease?.holder !== b.lease?.holder || a.lease?.until !== b.lease?.until) return false;
  const line = (e: InventoryEntry) => `${formatId(e.id)} ${e.origin} ${e.since ?? ''}`;
  const set = new Set(a.entries.map(line));
  return b.entries.every((e) => set.has(line(e)));
}
