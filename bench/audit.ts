import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbAuditStore } from '../lib/adapters/aws/audit-dynamodb';
import { encodeItem } from '../lib/adapters/aws/audit-item';
import { createAuditTable } from '../lib/adapters/aws/audit-table';
import { type AuditDraft, type ChainHead, sealRecord } from '../lib/core/audit';
import { startDynamoDbLocal } from '../lib/local/dynamodb';

const SEEDED = 100_000;
const APPENDS = 1_000;

function draft(i: number, app = `app-${i % 50}`): AuditDraft {
  return {
    app,
    commit: i.toString(16).padStart(40, '0'),
    trigger: 'webhook',
    deliveryId: `delivery-${i}`,
    outcome: 'succeeded',
    who: { author: 'dev@example.com' },
    ts: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    durationMs: 800,
    changes: [
      { id: `apps/Deployment/web/${app}`, action: 'configured', contentHash: 'a'.repeat(64) },
      { id: `/ConfigMap/web/${app}-config`, action: 'unchanged' },
    ],
    counts: { created: 0, configured: 1, unchanged: 1, deleted: 0, skipped: 0, failed: 0 },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(2));
}

/** Writes a valid chain of `count` records with BatchWriteItem (seeding, not measuring append). */
async function seed(client: DynamoDBClient, table: string, cluster: string, count: number): Promise<void> {
  let head: ChainHead | undefined;
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const record = sealRecord(cluster, draft(i), head);
    head = { seq: record.seq, hash: record.hash };
    items.push(encodeItem(record, false));
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const batch = items.slice(next, next + 25);
      next += 25;
      let requests = batch.map((item) => ({
        PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
      }));
      while (requests.length > 0) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * The audit trail in DynamoDB Local (#6): the append rate to one cluster's chain, and the time to
 * query the last 100 records of a cluster that holds 100,000.
 */
export async function benchAudit(): Promise<Record<string, unknown>> {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const db = await startDynamoDbLocal();
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const table = 'plumbline-audit-bench';
    await createAuditTable(client, table);
    const store = new DynamoDbAuditStore({ tableName: table, client });
    let started = performance.now();
    for (let i = 0; i < APPENDS; i++) await store.append('single', draft(i));
    const singleSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    await seed(client, table, 'big', SEEDED);
    const seedSeconds = (performance.now() - started) / 1000;
    const queryMs: number[] = [];
    const appQueryMs: number[] = [];
    for (let i = 0; i < 7; i++) {
      let t = performance.now();
      const last = await store.query({ cluster: 'big', limit: 100 });
      queryMs.push(performance.now() - t);
      if (last.length !== 100 || last[0]?.seq !== SEEDED)
        throw new Error(`query returned ${last.length} records, first seq ${last[0]?.seq}`);
      t = performance.now();
      await store.query({ cluster: 'big', app: 'app-7', limit: 100 });
      appQueryMs.push(performance.now() - t);
    }
    return {
      // One writer per cluster is how the deployment runs (SQS FIFO, group = cluster); concurrent
      // writers are correct (tests) but contend for every seq.
      appendsPerSecond: Math.round(APPENDS / singleSeconds),
      seededRecords: SEEDED,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      queryLast100Ms: { median: median(queryMs), runs: queryMs.map((v) => Number(v.toFixed(1))) },
      queryLast100ByAppMs: { median: median(appQueryMs) },
      note: 'DynamoDB Local (Java, in memory) on this machine; the service itself is faster and steadier',
    };
  } finally {
    client.destroy();
    await db.stop();
  }
}
