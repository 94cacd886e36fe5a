import { oneLine } from '../../core/manifests/errors';

/** The local git server could not start or serve a request; one line. */
export class GitServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'GitServerError';
  }
}
