import { PlumblineError } from '../../core/errors';
import { oneLine } from '../../core/manifests/errors';

/** An app that cannot be rendered; one line, naming the path relative to the repository root. */
export class RenderError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'RenderError';
  }
}

/** A packaged chart (`.tgz`) that is refused; the caller names the archive in a RenderError. */
export class TarError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'TarError';
  }
}
