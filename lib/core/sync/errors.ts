import { PlumblineError } from '../errors';

/** The desired state breaks the allow-list: refused before any request reaches the cluster. */
export class PolicyError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/** The desired state cannot be built (unknown kind, duplicate object, bad label). */
export class DesiredStateError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DesiredStateError';
  }
}

/** The render produced no object: syncing it would prune the whole app (refused unless allowEmpty). */
export class EmptyRenderError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmptyRenderError';
  }
}

/** A namespace the sync would write into does not exist, and the app does not declare it. */
export class MissingNamespaceError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MissingNamespaceError';
  }
}

/** One permission a sync needs and its identity lacks, with the config field that grants it. */
export interface MissingPermission {
  readonly kind: string;
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** '' at the cluster scope. */
  readonly namespace: string;
  /** What to set in plumbline.config.json, e.g. `clusters[].access: admin`. */
  readonly grantedBy: string;
}

/**
 * The cluster says the sync's identity may not do what the plan needs: refused before any write
 * (a retry cannot help until the access changes), and recorded as the policy refusal it is.
 */
export class MissingAccessError extends PolicyError {
  constructor(
    message: string,
    readonly missing: readonly MissingPermission[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MissingAccessError';
  }
}
