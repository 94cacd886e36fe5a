/**
 * Encoding of an app's inventory (model.ts) as string data, for a ConfigMap or a DynamoDB item.
 * Model: kustomize-controller `internal/inventory/inventory.go`.
 */
import { formatId, isObj, type ObjectId, parseId } from '../manifests/object';
import { deleteOrder } from '../order';
import { InventoryError } from './errors';
import type { Inventory, InventoryEntry, InventoryLease, Origin } from './model';

/**
 * "3": one `<id> <origin>[ <since>]` a line, and a lease while a sync is in flight. "1" (ids only)
 * is still read; a Plumbline that knows only "1" and "2" refuses "3" by name instead of misreading it.
 */
export const INVENTORY_VERSION = '3';
/** Ids of the formats before origins were recorded: every one was applied, and prunable, as before. */
export const LEGACY_ORIGIN: Origin = 'created';

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
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const ORIGINS: readonly string[] = ['created', 'adopted', 'pending'];

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

function validTime(text: string): boolean {
  return ISO.test(text) && !Number.isNaN(Date.parse(text));
}

/** Compares by code unit, so the stored text does not depend on the locale that wrote it. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lineOf(entry: InventoryEntry): string {
  const text = formatId(entry.id);
  if (!validId(entry.id))
    throw new InventoryError(`cannot store object id ${JSON.stringify(text)} in an inventory`);
  if (entry.origin !== 'pending') return `${text} ${entry.origin}`;
  if (entry.since === undefined || !validTime(entry.since))
    throw new InventoryError(`pending object ${text} needs the time of its intent`);
  return `${text} pending ${entry.since}`;
}

/**
 * The stored data of an inventory: `objects` holds one line per id, sorted by id (no trailing
 * newline); `lease` (JSON) is present while a sync is in flight. Sorting makes the data unchanged
 * when the inventory is, so an unchanged app writes nothing. An id listed twice keeps its last entry.
 */
export function encodeInventory(inventory: Inventory): Record<string, string> {
  const byId = new Map<string, string>();
  for (const entry of inventory.entries) byId.set(formatId(entry.id), lineOf(entry));
  const objects = [...byId.keys()]
    .sort(compareText)
    .map((key) => byId.get(key)!)
    .join('\n');
  const data: Record<string, string> = { objects, version: INVENTORY_VERSION };
  if (inventory.lease) {
    if (!validTime(inventory.lease.until) || !/^[\w.-]{1,100}$/.test(inventory.lease.holder))
      throw new InventoryError('an inventory lease needs a holder id and an ISO time');
    data.lease = JSON.stringify({ holder: inventory.lease.holder, until: inventory.lease.until });
  }
  return data;
}

/**
 * The inventory in stored data: version "3", or "1" (ids only, each counted LEGACY_ORIGIN). Refuses
 * an unknown version, a missing or non-string `objects`, malformed lines and duplicate ids.
 * Tolerates one trailing newline (what a YAML block scalar adds when someone repairs the data by
 * hand) and ignores keys the version does not define.
 */
export function decodeInventory(data: unknown): Inventory {
  if (!isObj(data)) throw new InventoryError('inventory data is not an object');
  const version = data.version;
  if (version !== INVENTORY_VERSION && version !== '1')
    throw new InventoryError(
      `unsupported inventory version ${JSON.stringify(version) ?? 'undefined'}; want "${INVENTORY_VERSION}" (or "1")`,
    );
  const objects = data.objects;
  if (typeof objects !== 'string') throw new InventoryError('inventory data has no string "objects" key');
  const body = objects.endsWith('\n') ? objects.slice(0, -1) : objects;
  const lines = body === '' ? [] : body.split('\n');
  const seen = new Set<string>();
  const entries = lines.map((line, index): InventoryEntry => {
    const entry =
      version === '1' ? { id: parseLine(line, index), origin: LEGACY_ORIGIN } : parseEntry(line, index);
    const key = formatId(entry.id);
    if (seen.has(key))
      throw new InventoryError(`inventory line ${index + 1}: duplicate object id ${JSON.stringify(key)}`);
    seen.add(key);
    return entry;
  });
  const lease = version === '1' ? undefined : parseLease(data.lease);
  return lease ? { entries, lease } : { entries };
}

function parseEntry(line: string, index: number): InventoryEntry {
  const [idText = '', origin, since, ...rest] = line.split(' ');
  const id = parseLine(idText, index);
  if (origin === undefined || !ORIGINS.includes(origin) || rest.length > 0)
    throw new InventoryError(
      `inventory line ${index + 1}: want "<id> created|adopted|pending", got ${quoted(line)}`,
    );
  if (origin !== 'pending') {
    if (since !== undefined)
      throw new InventoryError(`inventory line ${index + 1}: only a pending id has a time`);
    return { id, origin: origin as Origin };
  }
  if (since === undefined || !validTime(since))
    throw new InventoryError(`inventory line ${index + 1}: a pending id needs the ISO time of its intent`);
  return { id, origin: 'pending', since };
}

function parseLease(raw: unknown): InventoryLease | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch (err: unknown) {
    throw new InventoryError('inventory lease is not JSON', { cause: err });
  }
  if (
    !isObj(value) ||
    typeof value.holder !== 'string' ||
    typeof value.until !== 'string' ||
    !validTime(value.until)
  )
    throw new InventoryError('inventory lease wants {"holder": "…", "until": "<ISO time>"}');
  return { holder: value.holder, until: value.until };
}

/** A stored line in an error: its start only, since a hand-edited line may be megabytes long. */
function quoted(line: string): string {
  const shown = 120;
  if (line.length <= shown) return JSON.stringify(line);
  return `${JSON.stringify(line.slice(0, shown))}… (${line.length.toLocaleString('en-US')} characters)`;
}

function parseLine(line: string, index: number): ObjectId {
  let id: ObjectId;
  try {
    id = parseId(line);
  } catch (error: unknown) {
    throw new InventoryError(`inventory line ${index + 1}: malformed object id ${quoted(line)}`, {
      cause: error,
    });
  }
  if (!validId(id))
    throw new InventoryError(`inventory line ${index + 1}: malformed object id ${quoted(line)}`);
  return id;
}
