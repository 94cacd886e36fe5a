import type { AuditDraft } from '../core/audit';
import { isPermanent } from '../core/errors';
import { Redactor, secretValuesOf } from '../core/redact';
import type { RenderedManifest } from '../core/render';
import { countChanges, PolicyError, type SyncResult } from '../core/sync';
import type { AuditKeyFlags } from './audit-options';
import { AuditUnavailableError, UsageError } from './errors';

export interface AuditFlags extends AuditKeyFlags {
  readonly 'audit-table'?: string;
  readonly 'audit-outbox'?: string;
  readonly 'dynamodb-endpoint'?: string;
  readonly cluster?: string;
}

/** What a sync appended: its seq, the seqs of kept drafts appended first, or where the draft was kept. */
export interface AppendOutcome {
  readonly seq?: number;
  readonly flushed: readonly number[];
  /** The outbox file that holds the draft when the append failed after retries. */
  readonly keptIn?: string;
  readonly error?: string;
}

/** The error line for a record kept in the outbox (undefined when it was appended). */
export function keptLine(appended: AppendOutcome | undefined): string | undefined {
  if (!appended?.keptIn) return undefined;
  return `error: audit record not appended (${appended.error}): kept in ${appended.keptIn}; the next sync to this table and cluster appends it first\n`;
}

export interface SyncAudit {
  /** The HMAC key of Secret values in content hashes: never a constant (ADR 0018). */
  readonly contentHashKey: string;
  /** Seqs of drafts kept by earlier syncs, appended during prepare. */
  readonly flushed: readonly number[];
  append(result: SyncResult): Promise<AppendOutcome>;
  /** A sync that threw (maybe after it changed the cluster): recorded as refused or failed (#14). */
  appendError(err: unknown, sync: ThrownSync): Promise<AppendOutcome>;
  close(): void;
}

/** What is known of a sync that threw. */
export interface ThrownSync {
  readonly app: string;
  readonly revision?: string;
  readonly durationMs: number;
  /** Their Secret values are masked in the recorded error. */
  readonly manifests: readonly RenderedManifest[];
}

/** As the pipeline records a thrown attempt: a policy refusal, or a failure (a CLI sync is not retried). */
function thrownDraft(err: unknown, sync: ThrownSync): AuditDraft {
  const redactor = new Redactor();
  for (const m of sync.manifests) for (const v of secretValuesOf(m.object)) redactor.register(v);
  const refused = err instanceof PolicyError;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return {
    app: sync.app,
    ...(sync.revision !== undefined ? { commit: sync.revision } : {}),
    trigger: 'manual',
    outcome: refused ? 'refused' : 'failed',
    ...(refused ? {} : { failure: isPermanent(err) ? ('permanent' as const) : ('transient' as const) }),
    who: {},
    ts: new Date().toISOString(),
    durationMs: sync.durationMs,
    error: redactor.redact(message),
    changes: [],
    counts: countChanges([]),
  };
}

const RETRY_DELAYS_MS = [250, 1000];

/**
 * `sync --audit-table T --cluster C`: checked before the sync touches the cluster — cluster name,
 * record key, content-hash key, the table reachable and existing, drafts kept by earlier syncs
 * appended — so a sync that cannot be recorded never starts. Loaded only when asked: the AWS SDK is
 * heavy. Returns undefined without --audit-table.
 */
export async function prepareSyncAudit(flags: AuditFlags): Promise<SyncAudit | undefined> {
  const table = flags['audit-table'];
  if (!table) return undefined;
  const [
    { DynamoDbAuditStore },
    { AuditTableNotFoundError },
    core,
    audit,
    options,
    { AuditOutbox, defaultOutboxDir },
  ] = await Promise.all([
    import('../adapters/aws/audit-dynamodb.js'),
    import('../adapters/aws/audit-errors.js'),
    import('../core/audit/index.js'),
    import('./commands/audit.js'),
    import('./audit-options.js'),
    import('./audit-outbox.js'),
  ]);
  if (flags.cluster === undefined)
    throw new UsageError('--audit-table needs --cluster C: the chain it appends to');
  const cluster = audit.clusterOf({ cluster: flags.cluster });
  const key = options.recordKeyOf(flags);
  if (!key) throw new UsageError(options.NO_KEY);
  const contentHashKey = process.env.PLUMBLINE_AUDIT_HMAC_KEY || key.contentHashKey;
  if (!contentHashKey) {
    key.close();
    throw new UsageError(
      'no content-hash key: with --kms-key, set PLUMBLINE_AUDIT_HMAC_KEY to the AuditHmacKeyArn secret',
    );
  }
  const store = new DynamoDbAuditStore({
    tableName: table,
    clientConfig: audit.clientConfig({ endpoint: flags['dynamodb-endpoint'], region: flags.region }),
    mac: key.mac,
  });
  const close = () => {
    store.close();
    key.close();
  };
  const outbox = new AuditOutbox(flags['audit-outbox'] ?? defaultOutboxDir(), table, cluster);
  let flushed: number[];
  try {
    await store.head(cluster);
    // A key that cannot MAC (KMS access, a wrong key usage) is found now, not after the apply.
    await key.mac.mac(core.recordMacMessage('0'.repeat(64)));
    flushed = await outbox.flush(store);
  } catch (err: unknown) {
    close();
    if (err instanceof AuditTableNotFoundError)
      throw new UsageError(`${err.message}; nothing was applied`, { cause: err });
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AuditUnavailableError(`cannot record this sync, so it was not started: ${why}`, { cause: err });
  }
  return {
    contentHashKey,
    flushed,
    close,
    append(result: SyncResult): Promise<AppendOutcome> {
      const draft: AuditDraft = core.draftFromSync(result, {
        trigger: 'manual',
        ...(result.contentHashes ? { contentHashes: result.contentHashes } : {}),
      });
      return appendDraft(draft);
    },
    appendError(err: unknown, sync: ThrownSync): Promise<AppendOutcome> {
      return appendDraft(thrownDraft(err, sync));
    },
  };

  async function appendDraft(draft: AuditDraft): Promise<AppendOutcome> {
    let last: unknown;
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt - 1]));
      try {
        return { seq: (await store.append(cluster, draft)).seq, flushed };
      } catch (err: unknown) {
        last = err;
      }
    }
    // The cluster has changed: the record must not be lost, so it waits on disk for the next sync.
    outbox.keep(draft);
    const error = last instanceof Error ? last.message.split('\n')[0]! : String(last);
    return { flushed, keptIn: outbox.file, error };
  }
}
