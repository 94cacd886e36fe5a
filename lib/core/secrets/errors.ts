import { PlumblineError } from '../errors';

/** A secret reference that cannot be resolved; the message names the object and the secret, never a value. */
export class SecretResolutionError extends PlumblineError {
  /** False unless the store says otherwise: a missing secret or key stays missing. */
  readonly retryable: boolean;
  /** A reference that cannot resolve is the manifest's fault; an unreachable store is not. */
  override readonly badInput: boolean;
  constructor(message: string, options?: ErrorOptions & { readonly retryable?: boolean }) {
    super(message, options);
    this.name = 'SecretResolutionError';
    this.retryable = options?.retryable ?? false;
    this.badInput = !this.retryable;
  }
}
