import type { WebhookRequest, WebhookResult } from '../../core/webhooks';
import { responseBody } from './response';

/** The fields of an API Gateway HTTP API (payload format 2.0) event that a webhook reads. */
export interface ApiGatewayV2Event {
  /** Lowercased by API Gateway; repeated headers arrive comma-joined. */
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayV2Response {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The verifier's input. A base64 body is passed on still encoded, so the verifier checks its size
 * before decoding it and computes the HMAC over the decoded bytes the provider signed.
 */
export function fromApiGatewayV2(event: ApiGatewayV2Event): WebhookRequest {
  const text = typeof event.body === 'string' ? event.body : '';
  return {
    headers: event.headers ?? {},
    body: Buffer.from(text, event.isBase64Encoded ? 'latin1' : 'utf8'),
    isBase64Encoded: event.isBase64Encoded === true,
  };
}

export function toApiGatewayV2Response(
  result: WebhookResult,
  extra: Record<string, unknown> = {},
): ApiGatewayV2Response {
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(responseBody(result, extra)),
  };
}
