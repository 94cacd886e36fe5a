import { isPermanent } from '../errors';

/**
 * Receives of one sync message before SQS moves it to the dead-letter queue (the queue's
 * maxReceiveCount). With the delays below, a transient failure is tried for about 13 minutes.
 */
export const MAX_RECEIVES = 6;
/** The first retry's delay; each later one doubles it, up to MAX_RETRY_DELAY_SECONDS. */
export const FIRST_RETRY_DELAY_SECONDS = 30;
/** No retry holds its cluster's FIFO group for longer than this (docs/adr/0022-fail-fast.md). */
export const MAX_RETRY_DELAY_SECONDS = 300;

/** What becomes of a sync message whose job threw. */
export type AfterFailure =
  /** No retry can help: the message is deleted, so the cluster's group moves on. */
  | { readonly action: 'drop' }
  /**
   * Delivered again after `delaySeconds` (the message's new visibility timeout). On the last
   * receive the delay is 0: the next receive moves it to the dead-letter queue at once, rather
   * than holding the group for one more backoff.
   */
  | { readonly action: 'retry'; readonly delaySeconds: number; readonly lastAttempt: boolean };

/** 30 s, 60 s, 120 s, 240 s, then 300 s: exponential backoff from SQS's ApproximateReceiveCount. */
export function retryDelaySeconds(receiveCount: number): number {
  const n = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  return Math.min(MAX_RETRY_DELAY_SECONDS, FIRST_RETRY_DELAY_SECONDS * 2 ** Math.min(n - 1, 10));
}

/** The one decision for a failed message, by PlumblineError.retryable (never a class name). */
export function afterFailure(err: unknown, receiveCount: number): AfterFailure {
  if (isPermanent(err)) return { action: 'drop' };
  const lastAttempt = receiveCount >= MAX_RECEIVES;
  return { action: 'retry', delaySeconds: lastAttempt ? 0 : retryDelaySeconds(receiveCount), lastAttempt };
}
