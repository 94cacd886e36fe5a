import { isObj, type KubeObject } from '../manifests';

/**
 * The desired object as the API server stores it, for comparison with live objects: a Secret's
 * `stringData` is write-only and lands base64-encoded in `data`, and base64 values (a Secret's
 * `data`, a ConfigMap's `binaryData`) are decoded and encoded again, which drops the line breaks a
 * manifest may wrap them with (`base64` wraps at 76 columns; Go's decoder skips `\r` and `\n`).
 */
export function asStored(desired: KubeObject): KubeObject {
  if (desired.apiVersion !== 'v1') return desired;
  if (desired.kind === 'ConfigMap' && isObj(desired.binaryData))
    return { ...desired, binaryData: unwrapped(desired.binaryData) } as KubeObject;
  if (desired.kind !== 'Secret') return desired;
  const { stringData, ...rest } = desired;
  const data: Record<string, unknown> = isObj(desired.data) ? unwrapped(desired.data) : {};
  if (!isObj(stringData)) return isObj(desired.data) ? ({ ...desired, data } as KubeObject) : desired;
  for (const [key, value] of Object.entries(stringData))
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  return { ...rest, data } as KubeObject;
}

function unwrapped(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/[\r\n]/g, '') : value,
    ]),
  );
}
