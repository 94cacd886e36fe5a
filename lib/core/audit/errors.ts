/** Errors of the audit trail's pure logic (records, canonical JSON, the seq-claim protocol). */

/** A value has no canonical JSON form (NaN, undefined in an array, a Date, a cycle too deep). */
export class CanonicalJsonError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CanonicalJsonError';
  }
}

/** A draft or record breaks the audit record's shape: refused before anything is written. */
export class AuditRecordError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditRecordError';
  }
}

/** Every attempt to claim the next seq of a cluster's chain lost to another writer. */
export class AuditContentionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditContentionError';
  }
}

/** The record key or the content-hash key is missing, unreadable or unusable: nothing is written. */
export class AuditKeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditKeyError';
  }
}

/** A checkpoint cannot be read or written (its store failed, or an object is not a checkpoint). */
export class AuditCheckpointError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditCheckpointError';
  }
}
