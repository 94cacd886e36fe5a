import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { oneLine } from '../manifests/errors';

/**
 * Headers looked up case-insensitively. A header given twice (an array of several values, or two
 * spellings of one name) is ambiguous and reads as absent: a second signature must not be able to
 * stand in for the first.
 */
export class HeaderMap {
  private readonly values = new Map<string, string | null>();

  constructor(raw: unknown) {
    if (typeof raw !== 'object' || raw === null) return;
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      const key = name.toLowerCase();
      const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
      this.values.set(key, this.values.has(key) || typeof single !== 'string' ? null : single);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase()) ?? undefined;
  }
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

export type Check = { ok: true } | { ok: false; reason: string };

/**
 * HMAC-SHA256 of the raw body against `<prefix><64 hex>`. A missing, malformed or wrong-length
 * value fails before any comparison; equal lengths then go through timingSafeEqual, which throws
 * on unequal lengths and so is never reached with them.
 */
export function checkHmac(
  secret: string,
  body: Buffer,
  header: string,
  value: string | undefined,
  prefix: string,
): Check {
  if (value === undefined) return { ok: false, reason: `missing ${header} header` };
  const hex = value.startsWith(prefix) ? value.slice(prefix.length) : '';
  if (!HEX_SHA256.test(hex)) {
    return { ok: false, reason: `${header} is not ${prefix}<64 hex digits>` };
  }
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) {
    return { ok: false, reason: `${header} does not match the body` };
  }
  return { ok: true };
}

/** A shared token compared in constant time: both sides are hashed first, so lengths never differ. */
export function checkToken(secretDigest: Buffer, header: string, value: string | undefined): Check {
  if (value === undefined) return { ok: false, reason: `missing ${header} header` };
  const given = createHash('sha256').update(value, 'utf8').digest();
  if (!timingSafeEqual(secretDigest, given)) return { ok: false, reason: `${header} does not match` };
  return { ok: true };
}

const PRINTABLE = /^[\x21-\x7e]{1,128}$/;

/** A delivery id fit for logs and dedupe keys, or undefined. */
export function deliveryIdFrom(value: string | undefined): string | undefined {
  return value !== undefined && PRINTABLE.test(value) ? value : undefined;
}

/** A header value (an event name) quoted for a one-line reason, cut to 64 characters. */
export function shown(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return oneLine(JSON.stringify(cut));
}
