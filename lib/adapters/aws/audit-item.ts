/**
 * The audit table's item layout (DESIGN.md "Audit trail", public: users query it with
 * `aws dynamodb query`): pk `CLUSTER#<cluster>`, sk `SEQ#<12-digit seq>`, `appKey` `<cluster>#<app>`
 * for the byApp index, and the record's own fields as top-level attributes. Cluster and seq are read
 * from the keys, so moving an item to another key changes the record and breaks its hash.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AuditDraft,
  type AuditRecord,
  canonicalJson,
  GENESIS_HASH,
  truncateChanges,
} from '../../core/audit';
import { byPriority } from '../../core/audit/truncate';
import { AuditItemError } from './audit-errors';

/** DynamoDB's limit is 400 KB per item; the estimate below is conservative, the margin is for the rest. */
export const ITEM_LIMIT_BYTES = 350_000;
/** A compressed change set never expands beyond this when read back. */
const MAX_CHANGES_JSON_BYTES = 16 * 1024 * 1024;
const SEQ_DIGITS = 12;
const SK = /^SEQ#(\d{12})$/;

export type Item = Record<string, unknown>;

export const pkOf = (cluster: string): string => `CLUSTER#${cluster}`;
export const skOf = (seq: number): string => `SEQ#${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const appKeyOf = (cluster: string, app: string): string => `${cluster}#${app}`;

/** The item of a sealed record; `compress` stores the change set as gzip'd canonical JSON (`changesGz`). */
export function encodeItem(record: AuditRecord, compress: boolean): Item {
  const { cluster, seq, changes, ...fields } = record;
  return {
    pk: pkOf(cluster),
    sk: skOf(seq),
    appKey: appKeyOf(cluster, record.app),
    ...fields,
    ...(compress ? { changesGz: gzipSync(canonicalJson(changes)) } : { changes }),
  };
}

function str(item: Item, name: string, seq: number | undefined): string {
  const value = item[name];
  if (typeof value !== 'string') throw new AuditItemError(`${skLabel(seq)}: ${name} is not a string`, seq);
  return value;
}

function skLabel(seq: number | undefined): string {
  return seq === undefined ? 'an audit item' : `seq ${seq}`;
}

function changesOf(item: Item, seq: number): unknown {
  if (item.changesGz === undefined) return item.changes;
  if (item.changes !== undefined)
    throw new AuditItemError(`seq ${seq}: holds both changes and changesGz`, seq);
  if (!(item.changesGz instanceof Uint8Array))
    throw new AuditItemError(`seq ${seq}: changesGz is not binary`, seq);
  try {
    const text = gunzipSync(item.changesGz, { maxOutputLength: MAX_CHANGES_JSON_BYTES }).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch (err: unknown) {
    throw new AuditItemError(`seq ${seq}: changesGz is not gzip'd JSON`, seq, { cause: err });
  }
}

/**
 * The record an item holds. Only the keys and what is needed to place the record are checked here;
 * whether its content is what was written is for the hash to tell (verifyChain).
 */
export function decodeItem(item: Item): AuditRecord {
  const sk = typeof item.sk === 'string' ? SK.exec(item.sk) : null;
  if (!sk)
    throw new AuditItemError(
      `an audit item has sort key ${JSON.stringify(item.sk)}, not SEQ#<12 digits>`,
      undefined,
    );
  const seq = Number(sk[1]);
  const pk = str(item, 'pk', seq);
  if (!pk.startsWith('CLUSTER#'))
    throw new AuditItemError(`seq ${seq}: partition key is not CLUSTER#<cluster>`, seq);
  const cluster = pk.slice('CLUSTER#'.length);
  const app = str(item, 'app', seq);
  // appKey is outside the hash (it is derived), so it is checked here: an item moved out of its app's index.
  if (item.appKey !== appKeyOf(cluster, app))
    throw new AuditItemError(`seq ${seq}: appKey does not match its cluster and app`, seq);
  str(item, 'hash', seq);
  str(item, 'prevHash', seq);
  const record: Record<string, unknown> = { cluster, seq, changes: changesOf(item, seq) };
  for (const name of FIELDS) if (item[name] !== undefined) record[name] = item[name];
  return record as unknown as AuditRecord;
}

/** The record's fields stored as attributes of the same name (cluster, seq and changes are handled apart). */
const FIELDS = [
  'app',
  'repo',
  'commit',
  'trigger',
  'deliveryId',
  'outcome',
  'who',
  'ts',
  'durationMs',
  'error',
  'failure',
  'reason',
  'counts',
  'truncated',
  'changeCount',
  'prevHash',
  'hash',
  'mac',
] as const satisfies readonly Exclude<keyof AuditRecord, 'cluster' | 'seq' | 'changes'>[];

/**
 * An upper bound of an item's size as DynamoDB counts it: UTF-8 lengths of names and strings,
 * 21 bytes per number, binary length, and 3 bytes plus 1 per element for lists and maps.
 */
export function itemSize(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 21;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + itemSize(v), 0);
  if (typeof value === 'object') {
    let n = 3;
    for (const [k, v] of Object.entries(value))
      if (v !== undefined) n += 1 + Buffer.byteLength(k, 'utf8') + itemSize(v);
    return n;
  }
  return 0;
}

export interface FittedDraft {
  readonly draft: AuditDraft;
  readonly compress: boolean;
}

/**
 * A draft whose item fits `limit` bytes: as it is; else with the change set gzip'd; else gzip'd and
 * truncated to about as many entries as fit (failures and changes first, `truncated` and the full
 * count recorded). A sync never fails for its audit record being large (#6). `draft` is normalised.
 */
export function fitDraft(cluster: string, draft: AuditDraft, limit = ITEM_LIMIT_BYTES): FittedDraft {
  const size = (d: AuditDraft, compress: boolean): number =>
    itemSize(encodeItem(placeholder(cluster, d), compress));
  if (size(draft, false) <= limit) return { draft, compress: false };
  // The item without its change set, plus the gzip'd change set: one gzip of the whole set.
  const emptyGz = gzipSync('[]').byteLength;
  const json = canonicalJson(draft.changes);
  const gz = gzipSync(json).byteLength;
  if (size({ ...draft, changes: [] }, true) - emptyGz + gz <= limit) return { draft, compress: true };
  // Sorted once, so that every prefix below is in the priority order truncateChanges keeps.
  const sorted = { ...draft, changes: byPriority(draft.changes) };
  const cut = (keep: number): AuditDraft => truncateChanges(sorted, keep);
  // Compressed size grows about linearly with the prefix: start from the whole set's ratio, then
  // shrink by 10% until it fits (a few gzips, not one per entry).
  const budget = (limit - size(cut(0), true) + emptyGz) * 0.95;
  let keep = Math.min(sorted.changes.length - 1, Math.floor((budget / gz) * sorted.changes.length));
  while (keep > 0 && size(cut(keep), true) > limit) keep = Math.min(keep - 1, Math.floor(keep * 0.9));
  return { draft: cut(Math.max(0, keep)), compress: true };
}

/** A record of the same size as the sealed one will be: seq and hashes have fixed widths. */
function placeholder(cluster: string, draft: AuditDraft): AuditRecord {
  return { ...draft, cluster, seq: 10 ** SEQ_DIGITS - 1, prevHash: GENESIS_HASH, hash: GENESIS_HASH };
}
