export { InventoryError } from './errors';
export { decodeInventory, encodeInventory, INVENTORY_VERSION, pruneCandidates } from './inventory';
