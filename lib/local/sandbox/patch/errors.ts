/** An invalid patch, or one that cannot be applied to its target; the server answers 422 (or 400 when malformed). */
export class PatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PatchError';
  }
}
