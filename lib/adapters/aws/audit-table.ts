import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { AuditStoreError } from './audit-errors';

export const AUDIT_INDEX_BY_APP = 'byApp';
export const AUDIT_INDEX_BY_COMMIT = 'byCommit';

/** The table as DESIGN.md fixes it (the key schema is public). */
export function auditTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'appKey', AttributeType: 'S' },
      { AttributeName: 'commit', AttributeType: 'S' },
      { AttributeName: 'ts', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: AUDIT_INDEX_BY_APP,
        KeySchema: [
          { AttributeName: 'appKey', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        // Sparse: records without a commit (a sync of a working tree) are not in it.
        IndexName: AUDIT_INDEX_BY_COMMIT,
        KeySchema: [
          { AttributeName: 'commit', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the audit table with its two indexes (on-demand) and waits until it is active; returns
 * false when it already exists. For tests, local mode and `plumbline audit init`: the deployed table
 * (point-in-time recovery, deletion protection, customer-managed key) is the CDK stack's (#7).
 */
export async function createAuditTable(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly maxWaitSeconds?: number } = {},
): Promise<boolean> {
  try {
    await client.send(new CreateTableCommand(auditTableDefinition(tableName)));
  } catch (err: unknown) {
    if ((err as { name?: unknown } | null)?.name === 'ResourceInUseException') return false;
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new AuditStoreError(`audit table ${tableName}: CreateTable failed: ${why}`, { cause: err });
  }
  await waitUntilTableExists(
    { client, maxWaitTime: options.maxWaitSeconds ?? 120, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );
  return true;
}
