/** Errors of the AWS adapters. */

/** A DynamoDB request of the audit store failed; the message names the table and the operation. */
export class AuditStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditStoreError';
  }
}

/** The audit table does not exist at the endpoint (wrong --table, --endpoint or region, or not created). */
export class AuditTableNotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditTableNotFoundError';
  }
}

/** An item in the audit table cannot be read back as a record: tampered with, or not written by Plumbline. */
export class AuditItemError extends Error {
  /** The seq its sort key names, when it names one. */
  readonly seq: number | undefined;

  constructor(message: string, seq: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditItemError';
    this.seq = seq;
  }
}

/** A KMS request for a record or checkpoint MAC failed (no access, wrong key usage, throttled). */
export class AuditKmsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditKmsError';
  }
}

/** An S3 request of the checkpoint store failed. */
export class AuditCheckpointStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditCheckpointStoreError';
  }
}
