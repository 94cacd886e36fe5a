import type { WebhookResult } from '../../core/webhooks';

/**
 * What a webhook answers: the outcome, never the payload back. A push's body says how many refs
 * it moved; the handler adds how many sync requests it enqueued.
 */
export function responseBody(
  result: WebhookResult,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  switch (result.kind) {
    case 'push':
      return {
        status: result.status,
        kind: result.kind,
        deliveryId: result.deliveryId,
        refs: result.pushes.length,
        ...extra,
      };
    case 'rejected':
      return { status: result.status, kind: result.kind, reason: result.reason, ...extra };
    default:
      return {
        status: result.status,
        kind: result.kind,
        deliveryId: result.deliveryId,
        reason: result.reason,
        ...(result.duplicate ? { duplicate: true } : {}),
        ...extra,
      };
  }
}
