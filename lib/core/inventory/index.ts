export { InventoryBusyError, InventoryError } from './errors';
export {
  decodeInventory,
  encodeInventory,
  INVENTORY_VERSION,
  LEGACY_ORIGIN,
  pruneCandidates,
} from './inventory';
export {
  activeLease,
  CLOCK_SKEW_MS,
  confirmOf,
  createdUnderIntent,
  intentOf,
  LEASE_MS,
  resolvePending,
  sameInventory,
} from './lifecycle';
export {
  EMPTY_INVENTORY,
  INVENTORY_NAME_PREFIX,
  type Inventory,
  type InventoryEntry,
  type InventoryLease,
  idsOf,
  type Origin,
  type StoredInventory,
} from './model';
