import { isThrottlingError } from './aws-errors';

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * AWS throttles bursts (many clusters syncing at once share an account's quotas): a throttled call
 * is retried with jittered exponential backoff, up to four attempts, then its error surfaces.
 */
export async function retryThrottled<T>(
  call: () => Promise<T>,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err: unknown) {
      if (attempt >= 4 || !isThrottlingError(err)) throw err;
      await sleep(200 * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }
}
