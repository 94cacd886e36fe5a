import { createHash } from 'node:crypto';
import { WebhookConfigError } from './errors';
import { deliveryIdFrom, HeaderMap, shown } from './headers';
import { PayloadError, parseJson } from './payload';
import { type Key, PROVIDER_SPECS, type ProviderSpec } from './providers';
import {
  DEFAULT_MAX_BODY_BYTES,
  PROVIDERS,
  type Provider,
  type WebhookConfig,
  type WebhookRejected,
  type WebhookRequest,
  type WebhookResult,
} from './types';

/** API Gateway's own payload limit is 10 MB; nothing a git host sends comes near it. */
const MAX_BODY_BYTES_LIMIT = 10 * 1024 * 1024;
/** The fuzz test asserts this never appears: it would mean a request reached an unexpected throw. */
export const UNEXPECTED_REASON = 'unexpected error while verifying';

export interface WebhookVerifier {
  readonly provider: Provider;
  readonly maxBodyBytes: number;
  /** Never throws and never answers 5xx: every request, however malformed, gets a result. */
  verify(request: WebhookRequest): WebhookResult;
}

function validate(config: WebhookConfig): Required<WebhookConfig> {
  if (typeof config !== 'object' || config === null)
    throw new WebhookConfigError('webhook config must be an object');
  if (!(PROVIDERS as readonly unknown[]).includes(config.provider)) {
    throw new WebhookConfigError(
      `unknown webhook provider ${shown(String(config.provider))} (known: ${PROVIDERS.join(', ')})`,
    );
  }
  // An unauthenticated webhook would let anyone trigger syncs (Argo CD's secret is optional, #5).
  if (typeof config.secret !== 'string' || config.secret.trim() === '') {
    throw new WebhookConfigError(
      `the ${config.provider} webhook secret is empty: refusing to accept unauthenticated deliveries`,
    );
  }
  const max = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(max) || max < 1 || max > MAX_BODY_BYTES_LIMIT) {
    throw new WebhookConfigError(
      `maxBodyBytes must be an integer from 1 to ${MAX_BODY_BYTES_LIMIT}, got ${String(max)}`,
    );
  }
  return { provider: config.provider, secret: config.secret, maxBodyBytes: max };
}

/** Validates the configuration once (an empty secret throws WebhookConfigError) and returns the verifier. */
export function createWebhookVerifier(config: WebhookConfig): WebhookVerifier {
  const { provider, secret, maxBodyBytes } = validate(config);
  const spec = PROVIDER_SPECS[provider];
  const key: Key = { secret, digest: createHash('sha256').update(secret, 'utf8').digest() };
  return {
    provider,
    maxBodyBytes,
    verify(request) {
      try {
        return verifyWith(spec, key, maxBodyBytes, request);
      } catch {
        // Unreachable by design (the fuzz test holds it to that); a 400 rather than a 500 if it ever is.
        return rejected(provider, 400, UNEXPECTED_REASON);
      }
    },
  };
}

/** One-off form of createWebhookVerifier(config).verify(request): throws only for a bad config. */
export function verifyWebhook(request: WebhookRequest, config: WebhookConfig): WebhookResult {
  return createWebhookVerifier(config).verify(request);
}

function rejected(provider: Provider, status: WebhookRejected['status'], reason: string): WebhookRejected {
  return { status, kind: 'rejected', provider, reason };
}

/**
 * The raw body, base64-decoded when API Gateway encoded it, or undefined when it is over the cap.
 * The encoded length is checked before decoding, so an oversized body is never copied.
 */
function rawBody(request: WebhookRequest, max: number): Buffer | undefined {
  const body = request.body;
  if (!request.isBase64Encoded) return body.length > max ? undefined : body;
  if (body.length > Math.ceil(max / 3) * 4 + 4) return undefined;
  const decoded = Buffer.from(body.toString('latin1'), 'base64');
  return decoded.length > max ? undefined : decoded;
}

/** Size, then authentication, then event, then JSON: nothing is parsed before the signature holds. */
function verifyWith(spec: ProviderSpec, key: Key, max: number, request: WebhookRequest): WebhookResult {
  const provider = spec.provider;
  if (typeof request !== 'object' || request === null || !Buffer.isBuffer(request.body)) {
    return rejected(provider, 400, 'request has no body');
  }
  const body = rawBody(request, max);
  if (!body) return rejected(provider, 413, `body larger than ${max} bytes`);
  const headers = new HeaderMap(request.headers);
  const auth = spec.authenticate(headers, body, key);
  if (!auth.ok) return rejected(provider, 401, auth.reason);

  const event = first(headers, spec.eventHeaders);
  if (event === undefined) return rejected(provider, 400, `missing ${spec.eventHeaders[0]} header`);
  const deliveryId =
    deliveryIdFrom(first(headers, spec.deliveryHeaders)) ??
    `sha256:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
  const acknowledged = { status: 200 as const, provider, deliveryId, event };
  switch (spec.classify(event)) {
    case 'ping':
      return { ...acknowledged, kind: 'pong', reason: 'pong' };
    case 'other':
      return { ...acknowledged, kind: 'ignored', reason: `event ${shown(event)} ignored` };
    case 'push':
      break;
  }
  try {
    const payload = parseJson(body, headers.get('content-type'));
    const pushes = spec.normalize(payload, { provider, deliveryId });
    if (pushes.length === 0)
      return { ...acknowledged, kind: 'ignored', reason: 'push moves no branch or tag' };
    return { status: 202, kind: 'push', provider, deliveryId, event, pushes };
  } catch (err: unknown) {
    if (err instanceof PayloadError) return rejected(provider, 400, `push payload: ${err.message}`);
    throw err;
  }
}

function first(headers: HeaderMap, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== undefined) return value;
  }
  return undefined;
}
