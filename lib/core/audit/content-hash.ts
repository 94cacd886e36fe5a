import { createHash, createHmac } from 'node:crypto';
import { formatId, groupOf, idOf, isObj, type KubeObject, type Obj } from '../manifests/object';
import { canonicalJson } from './canonical';
import { AuditRecordError } from './errors';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The HMAC key is per cluster and secret (kept with the cluster's secrets, never in the audit table):
 * a bare sha256 of a low-entropy secret ("hunter2", a 4-digit PIN) is found by guessing, an HMAC
 * without the key is not. See docs/adr/0006-audit-chain.md.
 */
export type ContentHashKey = string | Uint8Array;

function digestOf(key: ContentHashKey, value: string): string {
  return `hmac-sha256:${createHmac('sha256', key).update(value, 'utf8').digest('hex')}`;
}

function digested(map: unknown, key: ContentHashKey): unknown {
  if (!isObj(map)) return map;
  return Object.fromEntries(
    // Numbers and booleans too (`pin: 4821` unquoted): a bare value would be found by guessing.
    Object.entries(map).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? digestOf(key, v)
        : typeof v === 'number' || typeof v === 'boolean'
          ? digestOf(key, String(v))
          : v,
    ]),
  );
}

/** A core Secret with every value (and the last-applied annotation, which repeats them) replaced by its HMAC. */
function withoutSecretValues(object: Obj, key: ContentHashKey): Obj {
  if (object.kind !== 'Secret' || typeof object.apiVersion !== 'string' || groupOf(object.apiVersion) !== '')
    return object;
  const copy: Obj = { ...object };
  if ('data' in copy) copy.data = digested(copy.data, key);
  if ('stringData' in copy) copy.stringData = digested(copy.stringData, key);
  const metadata = copy.metadata;
  if (isObj(metadata) && isObj(metadata.annotations)) {
    const annotations = metadata.annotations;
    const lastApplied = annotations[LAST_APPLIED];
    if (typeof lastApplied === 'string')
      copy.metadata = {
        ...metadata,
        annotations: { ...annotations, [LAST_APPLIED]: digestOf(key, lastApplied) },
      };
  }
  return copy;
}

/**
 * sha256 (hex) of an object's canonical JSON, with the values of a core Secret's `data` and
 * `stringData` replaced by their HMAC-SHA256 under `key`: the hash changes when a secret changes,
 * and the value cannot be recovered or guessed from it without the key. Other objects' hashes do not
 * depend on the key, so anyone can recompute them from Git.
 */
export function contentHash(object: Obj, key: ContentHashKey): string {
  if ((typeof key === 'string' ? key.length : key.byteLength) === 0)
    throw new AuditRecordError('content hash: the HMAC key is empty');
  return createHash('sha256')
    .update(canonicalJson(withoutSecretValues(object, key)))
    .digest('hex');
}

/** contentHash of each object, by object id (formatId). */
export function contentHashes(objects: readonly KubeObject[], key: ContentHashKey): Map<string, string> {
  return new Map(objects.map((o) => [formatId(idOf(o)), contentHash(o, key)]));
}
