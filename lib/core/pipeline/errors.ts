import { PlumblineError } from '../errors';

/** A job whose message contradicts the repository (the app targets another cluster): never retried. */
export class JobConfigError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobConfigError';
  }
}

/** Another invocation holds the job: SQS should deliver it again later. */
export class JobBusyError extends PlumblineError {
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobBusyError';
  }
}
