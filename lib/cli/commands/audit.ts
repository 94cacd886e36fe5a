import { parseArgs } from 'node:util';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditStore } from '../../adapters/aws/audit-dynamodb';
import { AuditItemError, AuditTableNotFoundError } from '../../adapters/aws/audit-errors';
import { createAuditTable } from '../../adapters/aws/audit-table';
import { type AuditRecord, type ChainResult, ChainVerifier, validateCluster } from '../../core/audit';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb/dynamodb-local';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const AUDIT_HELP = `Usage: plumbline audit init   [--table T] [--endpoint URL] [--region R]
       plumbline audit query  --cluster C [--app A] [--commit SHA] [--since 24h] [--limit N] [-o json]
       plumbline audit verify --cluster C [--anchor SEQ[:HASH]] [-o json]

The audit trail: one hash chain per cluster in DynamoDB (table: --table, $PLUMBLINE_AUDIT_TABLE or
plumbline-audit; --endpoint for DynamoDB Local). query reads it newest first (by app or full commit
id through the byApp and byCommit indexes; --since takes 90m, 24h, 7d or an ISO time). verify
recomputes the chain and exits 1 naming the first broken seq. A deleted last record leaves no
trace in the chain itself: --anchor checks a seq (and hash) recorded elsewhere is still there.
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
  verify: { ...COMMON, cluster: { type: 'string' }, anchor: { type: 'string' } },
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

async function verify(store: DynamoDbAuditStore, cluster: string, flags: Flags, io: CliIo): Promise<number> {
  const anchor = parseAnchor(str(flags.anchor));
  const verifier = new ChainVerifier();
  let anchored: string | undefined;
  try {
    for await (const record of store.scan(cluster)) {
      if (verifier.push(record)) break;
      if (record.seq === anchor?.seq) anchored = record.hash;
    }
  } catch (err: unknown) {
    if (!(err instanceof AuditItemError)) throw err;
    verifier.fail(err.message.replace(/^seq \d+: /, ''), err.seq);
  }
  let result: ChainResult = verifier.result();
  if (result.ok && anchor && anchored === undefined)
    result = broken(
      result.count,
      anchor.seq,
      'gap',
      `seq ${anchor.seq} (the anchor) is missing: the chain ends at seq ${result.head?.seq ?? 0}`,
    );
  else if (result.ok && anchor?.hash && anchored !== anchor.hash)
    result = broken(
      result.count,
      anchor.seq,
      'hash-mismatch',
      `seq ${anchor.seq}: hash differs from the anchor (the chain was rewritten from there)`,
    );
  if (flags.output === 'json') io.out(`${JSON.stringify({ cluster, ...result })}\n`);
  else if (!result.ok)
    io.out(`chain of cluster ${cluster} broken at seq ${result.broken.seq}: ${result.broken.message}\n`);
  else if (result.head)
    io.out(
      `chain of cluster ${cluster} verified: ${result.count} records, head seq ${result.head.seq} hash ${result.head.hash}\n`,
    );
  else io.out(`chain of cluster ${cluster} is empty\n`);
  return result.ok ? 0 : 1;
}

function broken(count: number, seq: number, reason: 'gap' | 'hash-mismatch', message: string): ChainResult {
  return { ok: false, count, broken: { seq, reason, message } };
}
