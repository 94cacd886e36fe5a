import { oneLine } from '../../core/manifests/errors';

export type CommitStatusErrorCode =
  /** The repository URL, commit, context or target URL cannot be sent as given. */
  | 'input'
  /** The token could not be read, or is not something a header can carry. */
  | 'token'
  /** GitHub answered with an error status. */
  | 'http'
  /** No answer: connection refused, reset, DNS. */
  | 'network'
  /** No answer within the time allowed. */
  | 'timeout';

/**
 * A commit status that was not set. One line, GitHub's own message included, the token never: the
 * sync logs it and carries on, because a status is a report on the sync, not part of it.
 */
export class CommitStatusError extends Error {
  constructor(
    message: string,
    readonly code: CommitStatusErrorCode,
    /** GitHub's HTTP status, for `http`. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(oneLine(message), options);
    this.name = 'CommitStatusError';
  }
}
