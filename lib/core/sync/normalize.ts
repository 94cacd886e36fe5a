import { isObj, type KubeObject } from '../manifests';

/**
 * The desired object as the API server stores it, for comparison with live objects: a Secret's
 * `stringData` is write-only and lands base64-encoded in `data`.
 */
export function asStored(desired: KubeObject): KubeObject {
  if (desired.kind !== 'Secret' || desired.apiVersion !== 'v1' || !isObj(desired.stringData)) return desired;
  const { stringData, ...rest } = desired;
  const data: Record<string, unknown> = { ...(isObj(desired.data) ? desired.data : {}) };
  for (const [key, value] of Object.entries(stringData))
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  return { ...rest, data } as KubeObject;
}
