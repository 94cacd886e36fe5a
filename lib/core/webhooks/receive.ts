import type { DeliveryDedupe } from './dedupe';
import type { WebhookRequest, WebhookResult } from './types';
import type { WebhookVerifier } from './verify';

/** Providers redeliver for up to a few days (GitHub: manual redelivery within 3 days). */
export const DEFAULT_DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

export interface ReceiveOptions {
  verifier: WebhookVerifier;
  dedupe: DeliveryDedupe;
  ttlSeconds?: number;
}

/** The dedupe key of a delivery: provider and delivery id (the id alone is only unique per provider). */
export function dedupeKey(result: { provider: string; deliveryId: string }): string {
  return `webhook#${result.provider}#${result.deliveryId}`;
}

/**
 * Verify, then dedupe: only an authenticated push claims its delivery id, so a forged request
 * cannot burn the id of a real one. A replay answers 200 `duplicate: true` and enqueues nothing.
 * Rejects only when the dedupe port does (the handler answers 5xx, and the provider retries).
 */
export async function receiveWebhook(
  request: WebhookRequest,
  options: ReceiveOptions,
): Promise<WebhookResult> {
  const result = options.verifier.verify(request);
  if (result.kind !== 'push') return result;
  const first = await options.dedupe.firstSeen(
    dedupeKey(result),
    options.ttlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS,
  );
  if (first) return result;
  return {
    status: 200,
    kind: 'duplicate',
    duplicate: true,
    provider: result.provider,
    deliveryId: result.deliveryId,
    event: result.event,
    reason: 'delivery already received',
  };
}
