import { PlumblineError } from '../../core/errors';
import { oneLine } from '../../core/manifests/errors';

export type GitSourceErrorCode =
  | 'url'
  | 'auth'
  | 'not-found'
  | 'ref-not-found'
  | 'missing-commit'
  | 'too-large'
  | 'network'
  /** Writing an app's files to the local destination failed. */
  | 'io';

/**
 * A repository that cannot be reached, resolved or fetched; one line, credentials never included.
 * Only a network failure (which includes a 5xx) or a local write may go better next time: refused
 * credentials, a missing repository or ref, or a commit that is not there will not.
 */
export class GitSourceError extends PlumblineError {
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly code: GitSourceErrorCode,
    options?: ErrorOptions,
  ) {
    super(oneLine(message), options);
    this.name = 'GitSourceError';
    this.retryable = code === 'network' || code === 'io';
  }
}

export type GitTreeErrorCode = 'path' | 'submodule' | 'symlink' | 'mode' | 'missing' | 'limit';

/** A tree entry that is refused or over a limit; the message names its path in the repository. */
export class GitTreeError extends PlumblineError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly code: GitTreeErrorCode,
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(oneLine(message), options);
    this.name = 'GitTreeError';
  }
}

/** The message of a caught value, whatever realm its Error class came from. */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') {
    return err.message;
  }
  return String(err);
}
