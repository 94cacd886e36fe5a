import { oneLine } from '../manifests/errors';

/** A renderer configuration (plumbline.yaml or CLI flags) that is refused; one line, naming where it came from. */
export class RendererConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'RendererConfigError';
  }
}

/** A rendered object whose labels contradict the app it is rendered for. */
export class AppLabelError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'AppLabelError';
  }
}
