import { badRequest } from './errors';
import { isObj } from './objects';
import { canonicalQuantities } from './quantities';
import type { ResourceType } from './registry';
import type { Obj } from './schema';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * What decoding a request body into the API server's typed objects does to the values it stores:
 * resource quantities in canonical form (quantities.ts), and the `[]byte` maps — a Secret's `data`,
 * a ConfigMap's `binaryData` — decoded and encoded again as single-line base64 (Go's decoder skips
 * `\r` and `\n`, so a manifest may wrap them as the `base64` command does). Invalid base64 is 400.
 */
export function asDecoded(rt: ResourceType, object: Obj): Obj {
  const bytesField = rt.group === '' ? BYTE_MAPS[rt.plural] : undefined;
  const decoded = canonicalQuantities(rt, object);
  if (bytesField === undefined || !isObj(decoded[bytesField])) return decoded;
  const values = decoded[bytesField];
  let copy: Obj | undefined;
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    const single = value.replace(/[\r\n]/g, '');
    if (!BASE64.test(single) || single.length % 4 !== 0) {
      const at = single.search(/[^A-Za-z0-9+/=]/);
      throw badRequest(
        `${rt.kind} in version "v1" cannot be handled as a ${rt.kind}: illegal base64 data at input byte ${at >= 0 ? at : single.length}`,
      );
    }
    if (single === value) continue;
    copy ??= { ...values };
    copy[key] = single;
  }
  return copy ? { ...decoded, [bytesField]: copy } : decoded;
}

const BYTE_MAPS: Readonly<Record<string, string>> = { secrets: 'data', configmaps: 'binaryData' };
