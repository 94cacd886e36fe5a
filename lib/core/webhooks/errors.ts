/** Errors of webhook configuration. A request never throws: every outcome is a WebhookResult. */
import { oneLine } from '../manifests/errors';

/** A webhook configuration that must not start: an empty secret, an unknown provider, a bad size cap. */
export class WebhookConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'WebhookConfigError';
  }
}
