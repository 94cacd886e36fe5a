/**
 * Drift of declared fields (DESIGN.md "Drift"): a field the desired manifest sets that has another
 * value live. Fields the manifest does not set belong to someone else (defaults, controllers, other
 * field managers) and never count.
 */
import { isObj, type Obj } from '../manifests/object';
import { keyValue, listKeyOf, matchesKey } from './list-keys';
import { fieldSegment, indexSegment, keySegment } from './paths';
import { isQuantityPath, sameQuantity } from './quantity';

export interface FieldDiff {
  /** `.spec.replicas`, `.spec.template.spec.containers[name=web].image`: see paths.ts. */
  path: string;
  desired: unknown;
  /** undefined when the field is missing live. */
  live: unknown;
}

/** Set by the API server or fixed by identity, never drift of a manifest's content. */
const SKIPPED = new Set(['apiVersion', 'kind', 'status', 'metadata']);
const COMPARED_METADATA = ['labels', 'annotations'] as const;
/** Where an empty string is a value, not an unset field. */
const VERBATIM = /^\.(?:data|stringData|binaryData|metadata)[.[]/;

/**
 * The declared fields of `desired` whose value differs live, in the order the manifest declares them
 * (metadata labels and annotations first).
 *
 * Scalars compare strictly — `replicas: "3"` against 3 is a difference: the server returns the types
 * its schema declares, so a correctly typed manifest never sees such a finding — except quantities
 * where built-in kinds hold them (resource limits and requests, quotas, capacities: quantity.ts).
 * The server stores those in canonical form, `cpu: 0.5` as `500m`, `cpu: 1` as `"1"`, `1024Mi` as
 * `1Gi`, so they compare by value, or every such manifest would drift forever.
 *
 * Zero values are not drift: a declared `null`, `false`, `0`, `""`, `{}` or `[]` matches a live field
 * that is missing, because the API server omits empty values of `omitempty` fields and charts
 * render `annotations: {}` or `hostNetwork: false` routinely. A declared `null` is never drift: in an
 * apply it means "no opinion". Nor is a declared `""` against a live string outside data, labels and
 * annotations: the server defaults an empty string as an unset field.
 */
export function compareDeclared(desired: Obj, live: Obj): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const desiredMeta = desired.metadata;
  const liveMeta = live.metadata;
  if (isObj(desiredMeta))
    for (const key of COMPARED_METADATA)
      if (key in desiredMeta)
        compareValue(
          desiredMeta[key],
          isObj(liveMeta) ? liveMeta[key] : undefined,
          `.metadata.${key}`,
          key,
          diffs,
        );
  for (const key of Object.keys(desired))
    if (!SKIPPED.has(key)) compareValue(desired[key], live[key], fieldSegment(key), key, diffs);
  return diffs;
}

function isZero(value: unknown): boolean {
  if (value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObj(value) && Object.keys(value).length === 0;
}

/** `field` is the name the value has in its parent map: it decides how a list is keyed. */
function compareValue(
  desired: unknown,
  live: unknown,
  path: string,
  field: string,
  diffs: FieldDiff[],
): void {
  if (desired === undefined || desired === null) return;
  // The API server defaults an empty string as an unset field (Service `type: ""` becomes
  // ClusterIP, `imagePullPolicy: ""` IfNotPresent; charts render `""` for unset values), so `""`
  // is no opinion, except where it is a value in its own right: data, labels and annotations.
  if (desired === '' && typeof live === 'string' && !VERBATIM.test(path)) return;
  if (live === undefined || live === null) {
    if (!isZero(desired)) diffs.push({ path, desired, live: undefined });
    return;
  }
  if (isObj(desired)) {
    if (isObj(live)) compareMap(desired, live, path, diffs);
    else diffs.push({ path, desired, live });
    return;
  }
  if (Array.isArray(desired)) {
    if (Array.isArray(live)) compareList(desired, live, path, field, diffs);
    else diffs.push({ path, desired, live });
    return;
  }
  if (desired !== live && !(isQuantityPath(path) && sameQuantity(desired, live)))
    diffs.push({ path, desired, live });
}

function compareMap(desired: Obj, live: Obj, path: string, diffs: FieldDiff[]): void {
  for (const key of Object.keys(desired))
    compareValue(desired[key], live[key], path + fieldSegment(key), key, diffs);
}

function compareList(
  desired: readonly unknown[],
  live: readonly unknown[],
  path: string,
  field: string,
  diffs: FieldDiff[],
): void {
  const listKey = listKeyOf(field, desired);
  if (listKey !== undefined) {
    for (const item of desired as readonly Obj[]) {
      const key = listKey.match.map((name) => [name, keyValue(item, name)] as const);
      const itemPath = path + keySegment(listKey.shown.map((name) => [name, keyValue(item, name)] as const));
      const match = live.find((candidate) => matchesKey(candidate, key));
      if (match === undefined) diffs.push({ path: itemPath, desired: item, live: undefined });
      else compareMap(item, match, itemPath, diffs);
    }
    return;
  }
  // An atomic list is replaced whole by an apply; when the lengths differ no item-by-item pairing
  // means anything, so the finding is the whole list.
  if (desired.length !== live.length) {
    diffs.push({ path, desired, live });
    return;
  }
  desired.forEach((item, index) => {
    compareValue(item, live[index], path + indexSegment(index), '', diffs);
  });
}
