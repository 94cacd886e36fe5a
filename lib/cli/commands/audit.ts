import { parseArgs } from 'node:util';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { defaultKeyFile, generateKeyFile } from '../../adapters/audit/key-file';
import { DynamoDbAuditStore } from '../../adapters/aws/audit-dynamodb';
import { AuditTableNotFoundError } from '../../adapters/aws/audit-errors';
import { createAuditTable } from '../../adapters/aws/audit-table';
import {
  AuditKeyError,
  type AuditRecord,
  checkpointHead,
  type TrailResult,
  validateCluster,
  verifyTrail,
} from '../../core/audit';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb/dynamodb-local';
import { AUDIT_KEY_OPTIONS, checkpointsOf, NO_KEY, recordKeyOf } from '../audit-options';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const AUDIT_HELP = `Usage: plumbline audit init [--table T] [--endpoint URL] [--region R]
       plumbline audit keygen [--key-file F]
       plumbline audit query --cluster C [--app A] [--commit SHA] [--since 24h] [--limit N] [-o json]
       plumbline audit verify --cluster C [KEY] [--checkpoints s3://BUCKET/PREFIX|DIR [--max-checkpoint-age 48h|off]]
                              [--accept-legacy SEQ] [--anchor SEQ[:HASH]] [-o json]
       plumbline audit checkpoint --cluster C [KEY] --checkpoints s3://BUCKET/PREFIX|DIR
  KEY: --kms-key KEY (a KMS HMAC key: the stack's AuditMacKeyArn) or --key-file F
       (default $PLUMBLINE_AUDIT_KEY_FILE, else ~/.plumbline/audit-key.json)

The audit trail: one hash chain per cluster in DynamoDB (table: --table, $PLUMBLINE_AUDIT_TABLE or
plumbline-audit; --endpoint for DynamoDB Local), each record authenticated by a MAC under the record
key. keygen writes a local key file (mode 0600) with a record key and a content-hash key. query reads
the trail newest first (by app or full commit id; --since takes 90m, 24h, 7d or an ISO time). verify
recomputes every link, hash and MAC and exits 1 naming the first broken seq; with --checkpoints
($PLUMBLINE_AUDIT_CHECKPOINTS) it also holds the chain against every signed checkpoint, so records
deleted from the end up to the newest checkpoint show, and it fails when a record older than
--max-checkpoint-age (default 48h; off to skip) is covered by no checkpoint (checkpoints missing,
looked for in the wrong place, or no longer written). Records without a MAC fail unless
--accept-legacy SEQ says records up to SEQ predate MACs. checkpoint signs the current head and
writes it (the deployment's reconcile function does this on its schedule).
`;

const COMMON = {
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = {
  init: COMMON,
  query: {
    ...COMMON,
    cluster: { type: 'string' },
    app: { type: 'string' },
    commit: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
  },
  verify: {
    ...COMMON,
    ...AUDIT_KEY_OPTIONS,
    cluster: { type: 'string' },
    anchor: { type: 'string' },
    'accept-legacy': { type: 'string' },
    'max-checkpoint-age': { type: 'string' },
  },
  checkpoint: { ...COMMON, ...AUDIT_KEY_OPTIONS, cluster: { type: 'string' } },
  keygen: { 'key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
} as const;

type Sub = keyof typeof OPTIONS;
type Flags = Partial<Record<string, string | boolean>>;

export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(AUDIT_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!(sub in OPTIONS)) throw new UsageError(`unknown audit command '${sub}'; run 'plumbline audit --help'`);
  const { values } = parseArgs({ args: rest, options: OPTIONS[sub as Sub], strict: true });
  const flags = values as Flags;
  if (flags.help) {
    io.out(AUDIT_HELP);
    return 0;
  }
  // `-o table` is the default human output, accepted by name as issue #6 spells it.
  if (flags.output !== undefined && flags.output !== 'json' && flags.output !== 'table')
    throw new UsageError(`-o supports table or json, got "${String(flags.output)}"`);
  if (sub === 'keygen') return keygen(flags, io);
  const table = str(flags.table) ?? process.env.PLUMBLINE_AUDIT_TABLE ?? 'plumbline-audit';
  const client = new DynamoDBClient(clientConfig(flags));
  const store = new DynamoDbAuditStore({ tableName: table, client });
  try {
    if (sub === 'init') {
      const created = await createAuditTable(client, table);
      io.out(`audit table ${table} ${created ? 'created' : 'already exists'}\n`);
      return 0;
    }
    const cluster = clusterOf(flags);
    if (sub === 'query') return await query(store, cluster, flags, io);
    if (sub === 'checkpoint') return await checkpoint(store, cluster, flags, io);
    return await verify(store, cluster, flags, io);
  } catch (err: unknown) {
    // A missing table means a wrong --table, --endpoint or region: bad input.
    if (err instanceof AuditTableNotFoundError) throw new UsageError(err.message, { cause: err });
    throw err;
  } finally {
    client.destroy();
  }
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function clientConfig(flags: Flags): DynamoDBClientConfig {
  const endpoint = str(flags.endpoint);
  let loopback = false;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new UsageError(`--endpoint "${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--endpoint "${endpoint}" is not an http(s) URL`);
    loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  }
  const region = str(flags.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (region === undefined && !loopback) throw new UsageError('--region is required (or set AWS_REGION)');
  // DynamoDB Local ignores credentials; without any in the environment, the SDK would not even send.
  const dummy = loopback && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE;
  return {
    region: region ?? LOCAL_REGION,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(dummy ? { credentials: LOCAL_CREDENTIALS } : {}),
  };
}

export function clusterOf(flags: Flags): string {
  const cluster = str(flags.cluster);
  if (!cluster) throw new UsageError('--cluster C is required');
  try {
    return validateCluster(cluster);
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** `90m`, `24h`, `7d`, `2w`, or an ISO date or time. */
export function parseSince(text: string, now: number = Date.now()): string {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (match) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(match[1]) * unit * 1000).toISOString();
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time))
    throw new UsageError(`invalid --since "${text}": use e.g. 90m, 24h, 7d or an ISO time`);
  return new Date(time).toISOString();
}

async function query(store: DynamoDbAuditStore, cluster: string, flags: Flags, io: CliIo): Promise<number> {
  const limitText = str(flags.limit) ?? '50';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 10_000)
    throw new UsageError(`--limit must be a number from 1 to 10000, got "${limitText}"`);
  const app = str(flags.app);
  const commit = str(flags.commit);
  if (commit !== undefined && !/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(commit))
    throw new UsageError(`--commit takes a full commit id (40 or 64 hex digits), got "${commit}"`);
  const since = str(flags.since);
  const records = await store.query({
    cluster,
    limit,
    ...(app !== undefined ? { app } : {}),
    ...(commit !== undefined ? { commit: commit.toLowerCase() } : {}),
    ...(since !== undefined ? { since: parseSince(since) } : {}),
  });
  if (flags.output === 'json') io.out(`${JSON.stringify({ cluster, records })}\n`);
  else io.out(formatRecords(cluster, records));
  return 0;
}

/** Text from the table is shown to people: no terminal control sequences in it. */
function clean(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value).replace(/[\p{Cc}]/gu, '?')
    : '';
}

function changesCell(r: AuditRecord): string {
  const counts = r.counts ?? {};
  const parts = (['created', 'configured', 'deleted', 'failed', 'skipped'] as const)
    .filter((a) => (counts[a] ?? 0) > 0)
    .map((a) => `${counts[a]} ${a}`);
  return (
    (parts.length > 0 ? parts.join(', ') : 'no changes') + (r.truncated ? ' (change set truncated)' : '')
  );
}

export function formatRecords(cluster: string, records: readonly AuditRecord[]): string {
  if (records.length === 0) return `no audit records for cluster ${cluster}\n`;
  const rows = [
    ['SEQ', 'TIME', 'APP', 'COMMIT', 'TRIGGER', 'OUTCOME', 'CHANGES'],
    ...records.map((r) => [
      clean(r.seq),
      clean(r.ts)
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z'),
      clean(r.app),
      clean(r.commit).slice(0, 12) || '-',
      clean(r.trigger),
      // A failed attempt says whether it is retried (transient) or final (permanent).
      clean(r.outcome) + (r.failure ? ` (${clean(r.failure)})` : ''),
      changesCell(r),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '),
  );
  return `${lines.join('\n')}\n`;
}

function parseAnchor(text: string | undefined): { seq: number; hash?: string } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,12})(?::([0-9a-f]{64}))?$/.exec(text);
  if (!match || Number(match[1]) < 1)
    throw new UsageError(`invalid --anchor "${text}": want SEQ or SEQ:HASH`);
  return { seq: Number(match[1]), ...(match[2] ? { hash: match[2] } : {}) };
}

function keygen(flags: Flags, io: CliIo): number {
  const path = str(flags['key-file']) ?? defaultKeyFile();
  try {
    generateKeyFile(path);
  } catch (err: unknown) {
    if (err instanceof AuditKeyError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  io.out(`audit key written to ${path} (mode 0600): keep it, verify needs it for every record it made\n`);
  return 0;
}

function keyFlags(flags: Flags) {
  return {
    'kms-key': str(flags['kms-key']),
    'key-file': str(flags['key-file']),
    checkpoints: str(flags.checkpoints),
    region: str(flags.region),
  };
}

async function checkpoint(
  store: DynamoDbAuditStore,
  cluster: string,
  flags: Flags,
  io: CliIo,
): Promise<number> {
  const key = recordKeyOf(keyFlags(flags));
  if (!key) throw new UsageError(NO_KEY);
  const where = checkpointsOf(keyFlags(flags), { mustExist: false });
  if (!where) throw new UsageError('--checkpoints s3://BUCKET/PREFIX or DIR is required');
  try {
    const out = await checkpointHead(cluster, store, where.store, key.mac);
    if (out.outcome === 'empty') io.out(`chain of cluster ${cluster} is empty: nothing to checkpoint\n`);
    else
      io.out(
        `checkpoint of cluster ${cluster} at seq ${out.seq} ${out.outcome === 'written' ? 'written to' : 'already in'} ${where.where}\n`,
      );
    return 0;
  } finally {
    key.close();
    where.close();
  }
}

function parseLegacy(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,12}$/.test(text)) throw new UsageError(`invalid --accept-legacy "${text}": want a seq`);
  return Number(text);
}

async function verify(store: DynamoDbAuditStore, cluster: string, flags: Flags, io: CliIo): Promise<number> {
  const anchor = parseAnchor(str(flags.anchor));
  const acceptLegacyThrough = parseLegacy(str(flags['accept-legacy']));
  const key = recordKeyOf(keyFlags(flags));
  if (!key) throw new UsageError(NO_KEY);
  const maxAge = parseMaxAge(str(flags['max-checkpoint-age']));
  const where = checkpointsOf(keyFlags(flags), { mustExist: true });
  try {
    let anchored: string | undefined;
    // When each record was written, by seq: to tell records no checkpoint covers for too long.
    const times: number[] = [];
    async function* tapped(): AsyncIterable<AuditRecord> {
      for await (const record of store.scan(cluster)) {
        if (record.seq === anchor?.seq) anchored = record.hash;
        times[record.seq] = Date.parse(record.ts);
        yield record;
      }
    }
    const refs = where ? await where.store.list(cluster) : undefined;
    let result: TrailResult = await verifyTrail({
      cluster,
      records: tapped(),
      mac: key.mac,
      ...(where && refs ? { checkpoints: { refs, read: (ref) => where.store.read(ref) } } : {}),
      ...(acceptLegacyThrough !== undefined ? { acceptLegacyThrough } : {}),
    });
    if (result.ok && anchor && anchored === undefined)
      result = broken(
        result,
        anchor.seq,
        'gap',
        `seq ${anchor.seq} (the anchor) is missing: the chain ends at seq ${result.head?.seq ?? 0}`,
      );
    else if (result.ok && anchor?.hash && anchored !== anchor.hash)
      result = broken(
        result,
        anchor.seq,
        'hash-mismatch',
        `seq ${anchor.seq}: hash differs from the anchor (the chain was rewritten from there)`,
      );
    if (result.ok && where && maxAge !== undefined && result.head) {
      const first = (result.checkpoint?.seq ?? 0) + 1;
      const written = times[first];
      if (first <= result.head.seq && written !== undefined && Date.now() - written > maxAge)
        result = broken(
          result,
          first,
          'checkpoint-missing',
          `seq ${first} was written ${new Date(written).toISOString()} and no checkpoint in ${where.where} covers it (${result.checkpoint ? `the newest is at seq ${result.checkpoint.seq}` : 'there are none'}): checkpoints are missing, looked for in the wrong place, or no longer written, so records deleted from the end would not show`,
        );
    }
    if (flags.output === 'json') io.out(`${JSON.stringify({ cluster, ...result })}\n`);
    else io.out(formatVerify(cluster, result, where?.where));
    return result.ok ? 0 : 1;
  } finally {
    key.close();
    where?.close();
  }
}

function formatVerify(cluster: string, result: TrailResult, checkpoints: string | undefined): string {
  const lines: string[] = [];
  if (result.broken)
    lines.push(`chain of cluster ${cluster} broken at seq ${result.broken.seq}: ${result.broken.message}`);
  else if (result.head)
    lines.push(
      `chain of cluster ${cluster} verified: ${result.count} records, head seq ${result.head.seq} hash ${result.head.hash}`,
    );
  else lines.push(`chain of cluster ${cluster} is empty`);
  if (result.unauthenticated)
    lines.push(
      `warning: seq 1..${result.unauthenticated.through} carry no MAC (accepted by --accept-legacy): they rest on the MACs after them`,
    );
  if (!result.broken) {
    if (result.checkpoint)
      lines.push(
        `checkpoints: ${result.checkpoint.count} in ${checkpoints}, the newest at seq ${result.checkpoint.seq} (${result.checkpoint.time}); records after it rest on their MACs alone`,
      );
    else if (checkpoints) lines.push(`checkpoints: none yet in ${checkpoints}`);
    else
      lines.push('checkpoints: not checked (no --checkpoints): records deleted from the end would not show');
  }
  return `${lines.join('\n')}\n`;
}

/** `--max-checkpoint-age`: milliseconds, undefined for `off`; 48 hours by default. */
function parseMaxAge(text: string | undefined): number | undefined {
  if (text === 'off') return undefined;
  const match = /^(\d{1,6})(m|h|d)$/.exec(text ?? '48h');
  if (!match) throw new UsageError(`invalid --max-checkpoint-age "${text}": want e.g. 90m, 48h, 7d or off`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : match[2] === 'h' ? 3_600_000 : 86_400_000);
}

function broken(
  result: TrailResult,
  seq: number,
  reason: 'gap' | 'hash-mismatch' | 'checkpoint-missing',
  message: string,
): TrailResult {
  const { head: _head, ...rest } = result;
  return { ...rest, ok: false, broken: { seq, reason, message } };
}
