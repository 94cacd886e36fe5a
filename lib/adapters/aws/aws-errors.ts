/**
 * Whether an AWS SDK call that failed may succeed if tried again later: throttling, a 5xx, a timeout
 * or a network error may; a 4xx answer (AccessDenied from AssumeRole, ResourceNotFoundException for a
 * cluster that does not exist, bad credentials) will not. Decided from what the SDK attaches to its
 * errors — the HTTP status and the service's fault side — not from our own class names.
 */
export function isRetryableAwsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return true;
  if (isThrottlingError(err)) return true;
  const e = err as { $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status === 408 || status >= 500;
  if (e.$fault === 'server') return true;
  if (e.$fault === 'client') return false;
  // No answer from the service at all: a timeout, a reset connection, DNS, the credential provider.
  return true;
}

/** AWS's throttling error codes, as the SDK's own retry strategy knows them (these are wire codes). */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** A throttled call: HTTP 429, a throttling error code, or the SDK's throttling trait. */
export function isThrottlingError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: { throttling?: unknown };
  };
  return (
    e.$metadata?.httpStatusCode === 429 ||
    e.$retryable?.throttling === true ||
    (typeof e.name === 'string' && THROTTLING_CODES.has(e.name))
  );
}
