import { PlumblineError } from '../errors';

/** Errors of apply ordering. */

/** A wave annotation of an object (`plumbline.dev/sync-wave`, Argo CD's, Helm's hook weight) is not an integer. */
export class InvalidSyncWaveError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  readonly subject: string;
  readonly value: unknown;

  constructor(subject: string, value: unknown, options?: ErrorOptions & { annotation?: string }) {
    super(
      `${subject}: annotation ${options?.annotation ?? 'plumbline.dev/sync-wave'} must be an integer, got ${describe(value)}`,
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

/** A hook annotation names a delete policy that neither Argo CD nor Helm defines. */
export class InvalidHookError extends PlumblineError {
  readonly retryable = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidHookError';
  }
}
