import { PlumblineError } from '../errors';

/** Errors of apply ordering. */

/** The `plumbline.dev/sync-wave` annotation of an object is not an integer. */
export class InvalidSyncWaveError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  readonly subject: string;
  readonly value: unknown;

  constructor(subject: string, value: unknown, options?: ErrorOptions) {
    super(
      `${subject}: annotation plumbline.dev/sync-wave must be an integer, got ${describe(value)}`,
      options,
    );
    this.name = 'InvalidSyncWaveError';
    this.subject = subject;
    this.value = value;
  }
}

function describe(value: unknown): string {
  // JSON shows the type as well: "1.5" (a string) reads differently from 1.5 (a number the loader let through).
  return typeof value === 'string' ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
}
