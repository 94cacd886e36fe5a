/** Errors of inventory encoding. */

/** An inventory ConfigMap's data cannot be read, or an id cannot be stored in one. */
export class InventoryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InventoryError';
  }
}
