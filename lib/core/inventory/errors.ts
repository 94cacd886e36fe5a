/** Errors of the inventory: its encoding, and writes that lost a race with another sync. */
import { PlumblineError } from '../errors';

/** An inventory's stored data cannot be read, or an id cannot be stored in one. */
export class InventoryError extends PlumblineError {
  /** A malformed inventory stays malformed: only a person can repair or remove it. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InventoryError';
  }
}

/**
 * Another sync of the same app holds the inventory (its lease has not expired) or wrote it since
 * this sync read it: nothing was written. Trying again later can help.
 */
export class InventoryBusyError extends InventoryError {
  override readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InventoryBusyError';
  }
}
