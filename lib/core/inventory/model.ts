/**
 * The inventory of an app (DESIGN.md "Inventory"): which objects it applied, and for each whether
 * it created it, adopted it (it existed before), or is about to create it (pending, written as
 * intent before the first create). See docs/adr/0016.
 */
import type { ObjectId } from '../manifests/object';

/** created: this app's apply made it; adopted: it existed before; pending: intent, outcome not confirmed. */
export type Origin = 'created' | 'adopted' | 'pending';

export interface InventoryEntry {
  readonly id: ObjectId;
  readonly origin: Origin;
  /** For pending entries: when the intent was written (ISO 8601, the writer's clock). */
  readonly since?: string;
}

/** A sync in flight: other syncs of the app refuse to write until it confirms or `until` passes. */
export interface InventoryLease {
  readonly holder: string;
  /** ISO 8601. */
  readonly until: string;
}

export interface Inventory {
  readonly entries: readonly InventoryEntry[];
  readonly lease?: InventoryLease;
}

/** An inventory as a store read it, with the revision a conditional write must match. */
export interface StoredInventory {
  readonly inventory: Inventory;
  /** Opaque: the ConfigMap's resourceVersion, the DynamoDB item's revision. */
  readonly revision: string;
}

export const EMPTY_INVENTORY: Inventory = { entries: [] };

export function idsOf(inventory: Inventory): readonly ObjectId[] {
  return inventory.entries.map((e) => e.id);
}

/** The CLI keeps an app's inventory in ConfigMap `<prefix><app>`: no app may declare such a ConfigMap. */
export const INVENTORY_NAME_PREFIX = 'plumbline-inventory-';
