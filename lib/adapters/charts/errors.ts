import { PlumblineError } from '../../core/errors';
import { oneLine } from '../../core/manifests/errors';

/** A remote chart that cannot be fetched now: a network failure, a 5xx or a throttled registry. */
export class ChartFetchError extends PlumblineError {
  readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(oneLine(message), options);
    this.name = 'ChartFetchError';
    this.retryable = options?.retryable ?? true;
  }
}

/** A remote chart refused for what it is: not allow-listed, not locked, not found, malformed. */
export class ChartRefusedError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'ChartRefusedError';
  }
}

/** A repository that is not on the deployment's `chartRepositories` allow-list. */
export class ChartNotAllowedError extends ChartRefusedError {
  constructor(
    readonly repository: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChartNotAllowedError';
  }
}

/** A chart whose content digest is not the one plumbline.lock records: never rendered. */
export class ChartDigestError extends ChartRefusedError {
  constructor(message: string) {
    super(message);
    this.name = 'ChartDigestError';
  }
}
