/** A label or field selector that does not parse or does not validate; the server answers 400. */
export class SelectorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SelectorError';
  }
}
