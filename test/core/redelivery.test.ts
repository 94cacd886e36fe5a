import fc from 'fast-check';
import {
  afterFailure,
  JobBusyError,
  JobConfigError,
  MAX_RECEIVES,
  MAX_RETRY_DELAY_SECONDS,
  retryDelaySeconds,
} from '../../lib/core/pipeline';
import { ClusterApiError } from '../../lib/core/sync/ports';

describe('retryDelaySeconds', () => {
  it('doubles from 30 s and stops at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 300, 300, 300]);
  });

  it('never holds a group longer than 5 minutes, whatever SQS counts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double()), (n) => {
        const d = retryDelaySeconds(n);
        return d >= 30 && d <= MAX_RETRY_DELAY_SECONDS;
      }),
    );
  });
});

describe('afterFailure', () => {
  it('drops what no retry can help, by retryable', () => {
    expect(afterFailure(new JobConfigError('app x targets cluster y'), 1)).toEqual({ action: 'drop' });
    expect(afterFailure(new ClusterApiError('Unauthorized', 401, 'Unauthorized'), 1)).toEqual({
      action: 'drop',
    });
  });

  it('retries the rest with backoff, the last receive without delay', () => {
    expect(afterFailure(new JobBusyError('busy'), 2)).toEqual({
      action: 'retry',
      delaySeconds: 60,
      lastAttempt: false,
    });
    expect(afterFailure(new Error('socket hang up'), MAX_RECEIVES)).toEqual({
      action: 'retry',
      delaySeconds: 0,
      lastAttempt: true,
    });
    expect(afterFailure(new ClusterApiError('etcdserver: leader changed', 500, 'InternalError'), 1)).toEqual({
      action: 'retry',
      delaySeconds: 30,
      lastAttempt: false,
    });
  });
});
