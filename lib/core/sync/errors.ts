import { PlumblineError } from '../errors';

/** The desired state breaks the allow-list: refused before any request reaches the cluster. */
export class PolicyError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/** The desired state cannot be built (unknown kind, duplicate object, bad label). */
export class DesiredStateError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DesiredStateError';
  }
}
