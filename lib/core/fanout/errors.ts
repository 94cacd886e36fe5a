/** Errors of fan-out. */
import { oneLine } from '../manifests/errors';

/** Diffing `before..after` through the git port failed; fan-out then syncs every app and keeps this as the reason. */
export class ChangedPathsError extends Error {
  constructor(before: string, after: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(oneLine(`cannot list the paths changed between ${before} and ${after}${reason}`), options);
    this.name = 'ChangedPathsError';
  }
}
