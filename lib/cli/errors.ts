import { PlumblineError } from '../core/errors';
/** Bad usage or bad input: exit code 2 with a one-line `error: …`. */
export class UsageError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** `sync --audit-table` cannot record a sync, so it refuses to start one (exit 1; nothing changed). */
export class AuditUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

/** The CLI's audit outbox file cannot be read back (edited by hand, or cut short). */
export class AuditOutboxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditOutboxError';
  }
}
