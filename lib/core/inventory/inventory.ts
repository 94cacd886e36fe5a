/**
 * The inventory of an app (DESIGN.md "Inventory"): the ids a sync applied, stored as the data of a
 * ConfigMap so the next sync knows what Git stopped declaring. Model: kustomize-controller
 * `internal/inventory/inventory.go`.
 */
import { formatId, isObj, type ObjectId, parseId } from '../manifests/object';
import { deleteOrder } from '../order';
import { InventoryError } from './errors';

export const INVENTORY_VERSION = '1';

/** Previous ids that the desired set no longer holds, each once, in delete order. */
export function pruneCandidates(previous: readonly ObjectId[], desired: readonly ObjectId[]): ObjectId[] {
  const keep = new Set(desired.map(formatId));
  const seen = new Set<string>();
  const out: ObjectId[] = [];
  for (const id of previous) {
    const text = formatId(id);
    if (keep.has(text) || seen.has(text)) continue;
    seen.add(text);
    out.push(id);
  }
  return deleteOrder(out);
}

/**
 * Stricter than parseId: a stored id is written by encodeInventory only, so anything a
 * hand edit or another writer could introduce (spaces, CR from CRLF, upper-case groups) is refused
 * rather than turned into an id that matches nothing and is never pruned.
 */
const GROUP = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const NAMESPACE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// Names are mostly DNS subdomains, but RBAC and a few other kinds allow `:` and more; only the
// characters that can never appear in a name (and would break the line format) are refused.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const NAME = /^[^/\s\u0000-\u001f\u007f]+$/;

function validId(id: ObjectId): boolean {
  return (
    (id.group === '' || GROUP.test(id.group)) &&
    KIND.test(id.kind) &&
    (id.namespace === '' || NAMESPACE.test(id.namespace)) &&
    NAME.test(id.name) &&
    id.name !== '.' &&
    id.name !== '..'
  );
}

/** Compares by code unit, so the stored text does not depend on the locale that wrote it. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The ConfigMap data for a set of ids: `objects` holds the formatted ids, sorted and deduplicated,
 * one a line (no trailing newline); `version` is "1". Sorting makes the data, and so the ConfigMap,
 * unchanged when the set is unchanged, so an unchanged app writes nothing.
 */
export function encodeInventory(ids: readonly ObjectId[]): Record<string, string> {
  const lines = new Set<string>();
  for (const id of ids) {
    const text = formatId(id);
    if (!validId(id))
      throw new InventoryError(`cannot store object id ${JSON.stringify(text)} in an inventory`);
    lines.add(text);
  }
  return { objects: [...lines].sort(compareText).join('\n'), version: INVENTORY_VERSION };
}

/**
 * The ids stored in an inventory ConfigMap's data, in stored order. Refuses an unknown version, a
 * missing or non-string `objects`, malformed ids and duplicates. Tolerates one trailing newline
 * (what a YAML block scalar adds when someone repairs the ConfigMap by hand) and ignores other
 * keys, which version 1 does not define.
 */
export function decodeInventory(data: unknown): ObjectId[] {
  if (!isObj(data)) throw new InventoryError('inventory data is not an object');
  const version = data.version;
  if (version !== INVENTORY_VERSION)
    throw new InventoryError(
      `unsupported inventory version ${JSON.stringify(version) ?? 'undefined'}; want "${INVENTORY_VERSION}"`,
    );
  const objects = data.objects;
  if (typeof objects !== 'string') throw new InventoryError('inventory data has no string "objects" key');
  const body = objects.endsWith('\n') ? objects.slice(0, -1) : objects;
  if (body === '') return [];
  const seen = new Set<string>();
  return body.split('\n').map((line, index) => {
    const id = parseLine(line, index);
    if (seen.has(line))
      throw new InventoryError(`inventory line ${index + 1}: duplicate object id ${JSON.stringify(line)}`);
    seen.add(line);
    return id;
  });
}

function parseLine(line: string, index: number): ObjectId {
  let id: ObjectId;
  try {
    id = parseId(line);
  } catch (error: unknown) {
    throw new InventoryError(`inventory line ${index + 1}: malformed object id ${JSON.stringify(line)}`, {
      cause: error,
    });
  }
  if (!validId(id))
    throw new InventoryError(`inventory line ${index + 1}: malformed object id ${JSON.stringify(line)}`);
  return id;
}
