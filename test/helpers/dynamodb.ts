import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAuditTable } from '../../lib/adapters/aws/audit-table';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../lib/local/dynamodb';

export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`, once beforeAll has run. */
  readonly endpoint: () => string;
  /** One client per test file, destroyed in afterAll. */
  readonly client: () => DynamoDBClient;
  /** A new audit table with a unique name. */
  readonly newAuditTable: () => Promise<string>;
  /** How long DynamoDB Local took to answer ListTables. */
  readonly startupMs: () => number;
}

/**
 * Starts one DynamoDB Local for the calling test file (beforeAll) and stops it (afterAll). The SDK is
 * given dummy credentials and a region, and never asks the EC2 metadata service.
 */
export function useDynamoDbLocal(): LocalDynamoDb {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_PROFILE;
  let db: DynamoDbLocal | undefined;
  let client: DynamoDBClient | undefined;
  let startupMs = 0;
  let tables = 0;
  beforeAll(async () => {
    const started = Date.now();
    db = await startDynamoDbLocal();
    startupMs = Date.now() - started;
    client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1' });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await db?.stop();
  }, 30_000);
  const need = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('DynamoDB Local is not running: call useDynamoDbLocal() at top level');
    return value;
  };
  return {
    endpoint: () => need(db).endpoint,
    client: () => need(client),
    startupMs: () => startupMs,
    newAuditTable: async () => {
      const name = `audit-${process.pid}-${++tables}`;
      await createAuditTable(need(client), name);
      return name;
    },
  };
}
