import { PlumblineError } from '../errors';

/** A secret reference that cannot be resolved; the message names the object and the secret, never a value. */
export class SecretResolutionError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretResolutionError';
  }
}
