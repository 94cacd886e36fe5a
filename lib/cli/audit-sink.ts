import type { SyncResult } from '../core/sync';

/**
 * The HMAC key that stands in for Secret values in the content hashes of CLI records:
 * PLUMBLINE_AUDIT_HMAC_KEY, else one derived from the cluster name — stable, so hashes compare
 * across runs, but guessable: set the variable where Secret contents matter (#6, ADR 0006).
 */
export function auditHashKey(cluster: string): string {
  return process.env.PLUMBLINE_AUDIT_HMAC_KEY ?? `plumbline-audit/${cluster}`;
}

export interface AuditFlags {
  readonly 'audit-table'?: string;
  readonly 'dynamodb-endpoint'?: string;
  readonly region?: string;
  readonly cluster?: string;
}

/**
 * `sync --audit-table T --cluster C [--dynamodb-endpoint URL]`: the CLI's sync appends its record to
 * the cluster's audit chain, as the Lambda does. Loaded only when asked: the AWS SDK is heavy.
 * Returns the record's seq.
 */
export async function appendSyncAudit(
  result: SyncResult,
  flags: AuditFlags,
  trigger: 'manual' = 'manual',
): Promise<number | undefined> {
  const table = flags['audit-table'];
  if (!table) return undefined;
  const [{ DynamoDbAuditStore }, { draftFromSync }, audit] = await Promise.all([
    import('../adapters/aws/audit-dynamodb.js'),
    import('../core/audit/index.js'),
    import('./commands/audit.js'),
  ]);
  const cluster = audit.clusterOf({ cluster: flags.cluster });
  const store = new DynamoDbAuditStore({
    tableName: table,
    clientConfig: audit.clientConfig({ endpoint: flags['dynamodb-endpoint'], region: flags.region }),
  });
  try {
    const record = await store.append(
      cluster,
      draftFromSync(result, {
        trigger,
        ...(result.contentHashes ? { contentHashes: result.contentHashes } : {}),
      }),
    );
    return record.seq;
  } finally {
    store.close();
  }
}
