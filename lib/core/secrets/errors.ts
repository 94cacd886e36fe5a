import { PlumblineError } from '../errors';

/** A secret reference that cannot be resolved; the message names the object and the secret, never a value. */
export class SecretResolutionError extends PlumblineError {
  /** False unless the store says otherwise: a missing secret or key stays missing. */
  readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions & { readonly retryable?: boolean }) {
    super(message, options);
    this.name = 'SecretResolutionError';
    this.retryable = options?.retryable ?? false;
  }
}
