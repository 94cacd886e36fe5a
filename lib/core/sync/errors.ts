/** The desired state breaks the allow-list: refused before any request reaches the cluster. */
export class PolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/** The desired state cannot be built (unknown kind, duplicate object, bad label). */
export class DesiredStateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DesiredStateError';
  }
}
