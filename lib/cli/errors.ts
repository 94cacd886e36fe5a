/** Bad usage or bad input: exit code 2 with a one-line `error: …`. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
