/**
 * Which lists are keyed, and by what. The API server merges these lists by key (their OpenAPI
 * `x-kubernetes-list-map-keys`), so an item's position means nothing and other managers may add
 * items of their own: both must not count as drift.
 */
import { isObj, type Obj } from '../manifests/object';

const BY_FIELD: ReadonlyMap<string, string> = new Map([
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['ephemeralContainers', 'name'],
  ['env', 'name'],
  ['volumes', 'name'],
  ['imagePullSecrets', 'name'],
  ['resourceClaims', 'name'],
  ['volumeMounts', 'mountPath'],
  ['conditions', 'type'],
  ['webhooks', 'name'],
  ['matchConditions', 'name'],
]);

/**
 * Key fields the API server defaults before it merges, so a manifest that leaves them out still
 * names the item the live object shows with them (`k:{"containerPort":80,"protocol":"TCP"}`).
 */
const KEY_DEFAULTS: ReadonlyMap<string, unknown> = new Map([['protocol', 'TCP']]);

export function keyValue(item: Obj, field: string): unknown {
  return item[field] ?? KEY_DEFAULTS.get(field);
}

function hasKeys(items: readonly Obj[], fields: readonly string[]): boolean {
  return items.every((item) => fields.every((field) => isScalar(keyValue(item, field))));
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function unique(items: readonly Obj[], fields: readonly string[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    const text = JSON.stringify(fields.map((field) => keyValue(item, field)));
    if (seen.has(text)) return false;
    seen.add(text);
  }
  return true;
}

/** How a keyed list matches items, and which of those fields a path shows. */
export interface ListKey {
  match: string[];
  shown: string[];
}

function portKey(items: readonly Obj[]): ListKey | undefined {
  const primary = items.every((item) => item.containerPort !== undefined) ? 'containerPort' : 'port';
  const match = [primary, 'protocol'];
  if (!hasKeys(items, match) || !unique(items, match)) return undefined;
  // Items match on the real key (port, protocol); the port alone reads better and is unique in almost
  // every manifest, so the path shows protocol only when the port repeats (DNS on 53/TCP and 53/UDP).
  return { match, shown: unique(items, [primary]) ? [primary] : match };
}

/**
 * The key of a desired list, or undefined when it is compared by position. Decided from the desired
 * items only: a key they do not all carry uniquely cannot match anything reliably.
 */
export function listKeyOf(field: string, items: readonly unknown[]): ListKey | undefined {
  if (!items.every(isObj)) return undefined;
  const objects = items as readonly Obj[];
  if (field === 'ports') return portKey(objects);
  const known = BY_FIELD.get(field);
  if (known !== undefined)
    return hasKeys(objects, [known]) && unique(objects, [known])
      ? { match: [known], shown: [known] }
      : undefined;
  if (
    objects.length > 0 &&
    objects.every((item) => typeof item.name === 'string') &&
    unique(objects, ['name'])
  )
    return { match: ['name'], shown: ['name'] };
  return undefined;
}

/** Whether `item` carries `key`'s values, with defaulted key fields filled in on both sides. */
export function matchesKey(item: unknown, key: readonly (readonly [string, unknown])[]): item is Obj {
  return isObj(item) && key.every(([field, value]) => keyValue(item, field) === value);
}
