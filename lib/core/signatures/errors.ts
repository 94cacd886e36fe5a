import { PlumblineError } from '../errors';
import { oneLine } from '../manifests/errors';

/** Why a commit's signature is refused. */
export type SignatureRefusal = 'unsigned' | 'unknown-key' | 'bad-signature' | 'unsupported';

/** A commit refused by the signature policy: the commit id and a one-line reason. */
export class SignatureError extends PlumblineError {
  readonly retryable = false;
  constructor(
    readonly commit: string,
    readonly reason: SignatureRefusal,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(oneLine(`commit ${commit}: ${detail}`), options);
    this.name = 'SignatureError';
  }
}

/** Trusted keys that cannot be used: an unreadable key file or allowed_signers line, or none at all. */
export class SignatureConfigError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'SignatureConfigError';
  }
}

/** The message of a caught value, whatever realm its Error class came from. */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') {
    return err.message;
  }
  return String(err);
}
