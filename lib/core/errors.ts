/**
 * The one base of Plumbline's errors (DESIGN.md "Layout"): `retryable` says whether trying the same
 * job again can help. The pipeline decides by it, never by a class name: an error that is not a
 * PlumblineError is taken as transient (retrying a permanent failure costs a few attempts; giving up
 * on a transient one loses a sync).
 */
export abstract class PlumblineError extends Error {
  /** True when the same input may succeed later (a throttled API, a network blip); false when it never will. */
  abstract readonly retryable: boolean;
  /**
   * True when the input is at fault (manifests, plumbline.yaml, policy, the command line): the CLI
   * exits 2, as for a usage error, and says so in one line.
   */
  readonly badInput: boolean = false;
}

/** Whether a caught value is a failure that no retry can cure. */
export function isPermanent(err: unknown): err is PlumblineError {
  return err instanceof PlumblineError && !err.retryable;
}
