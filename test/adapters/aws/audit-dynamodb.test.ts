import { createHash } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAuditStore } from '../../../lib/adapters/aws/audit-dynamodb';
import { encodeItem } from '../../../lib/adapters/aws/audit-item';
import {
  type AuditChange,
  type AuditDraft,
  type AuditRecord,
  type ChainResult,
  ChainVerifier,
  sealRecord,
  verifyChain,
} from '../../../lib/core/audit';
import { mapPool } from '../../../lib/core/sync/pool';
import { useDynamoDbLocal } from '../../helpers/dynamodb';

const db = useDynamoDbLocal();
const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);

function draft(overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    app: 'shop',
    commit: COMMIT_A,
    trigger: 'webhook',
    outcome: 'succeeded',
    who: { author: 'Ada <ada@example.com>' },
    ts: '2026-11-26T12:00:00.000Z',
    durationMs: 10,
    changes: [{ id: 'apps/Deployment/shop/web', action: 'configured', contentHash: 'c'.repeat(64) }],
    counts: { created: 0, configured: 1, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    ...overrides,
  };
}

function store(table: string): DynamoDbAuditStore {
  return new DynamoDbAuditStore({ tableName: table, client: db.client() });
}

async function verify(s: DynamoDbAuditStore, cluster: string): Promise<ChainResult> {
  const verifier = new ChainVerifier();
  try {
    for await (const record of s.scan(cluster, { pageSize: 7 })) if (verifier.push(record)) break;
  } catch (err: unknown) {
    const seq = (err as { seq?: number }).seq;
    verifier.fail(err instanceof Error ? err.message : String(err), seq);
  }
  return verifier.result();
}

async function appendMany(
  s: DynamoDbAuditStore,
  cluster: string,
  n: number,
  from = 0,
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) out.push(await s.append(cluster, draft({ deliveryId: `d-${from + i}` })));
  return out;
}

describe('DynamoDbAuditStore on DynamoDB Local', () => {
  it('writes the public key schema and chains records from the genesis hash', async () => {
    const table = await db.newAuditTable();
    const s = store(table);
    const [first, second] = await appendMany(s, 'prod', 2);
    expect(first).toMatchObject({ cluster: 'prod', seq: 1, prevHash: '0'.repeat(64) });
    expect(second).toMatchObject({ seq: 2, prevHash: first?.hash });
    const raw = await db.client().send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'CLUSTER#prod' }, sk: { S: 'SEQ#000000000002' } },
      }),
    );
    expect(raw.Item).toMatchObject({
      appKey: { S: 'prod#shop' },
      commit: { S: COMMIT_A },
      ts: { S: '2026-11-26T12:00:00.000Z' },
      hash: { S: second?.hash },
    });
    expect(await s.head('prod')).toEqual(second);
    expect(await s.head('other')).toBeUndefined();
  });

  it('gives concurrent writers in separate stores one gap-free chain with no fork', async () => {
    const table = await db.newAuditTable();
    const writers = Array.from({ length: 5 }, () => store(table));
    const jobs = Array.from({ length: 50 }, (_, i) => i);
    const started = Date.now();
    // Every append is in flight at once: 10 per store, 5 stores racing for each seq.
    await mapPool(jobs, 50, (i) =>
      writers[i % writers.length]!.append('prod', draft({ deliveryId: `d-${i}` })),
    );
    const elapsed = Date.now() - started;
    const records: AuditRecord[] = [];
    for await (const r of store(table).scan('prod')) records.push(r);
    expect(records.map((r) => r.seq)).toEqual(jobs.map((i) => i + 1));
    expect(new Set(records.map((r) => r.deliveryId)).size).toBe(50);
    expect(verifyChain(records)).toMatchObject({ ok: true, count: 50 });
    expect(elapsed).toBeLessThan(30_000);
  });

  it('gives twenty writers appending once each at the same moment seqs 1..20', async () => {
    const table = await db.newAuditTable();
    const writers = Array.from({ length: 20 }, () => store(table));
    await mapPool(writers, 20, (w, i) => w.append('prod', draft({ deliveryId: `w-${i}` })));
    expect(await verify(store(table), 'prod')).toMatchObject({ ok: true, count: 20, head: { seq: 20 } });
  });

  it('gives two stores appending 25 each in parallel seqs 1..50', async () => {
    const table = await db.newAuditTable();
    const [a, b] = [store(table), store(table)];
    const results = await mapPool([a, b], 2, (s, w) =>
      mapPool(
        Array.from({ length: 25 }, (_, i) => i),
        25,
        (i) => s.append('prod', draft({ deliveryId: `${w}-${i}` })),
      ),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await verify(store(table), 'prod')).toMatchObject({ ok: true, count: 50, head: { seq: 50 } });
  });

  it('queries by cluster, app, commit, since and limit, newest first, through Query only', async () => {
    const table = await db.newAuditTable();
    const s = store(table);
    const at = (minute: number) => `2026-11-26T12:${String(minute).padStart(2, '0')}:00.000Z`;
    await s.append('prod', draft({ app: 'shop', commit: COMMIT_A, ts: at(1) }));
    await s.append('prod', draft({ app: 'blog', commit: COMMIT_A, ts: at(2) }));
    await s.append('prod', draft({ app: 'shop', commit: COMMIT_B, ts: at(3) }));
    await s.append('staging', draft({ app: 'shop', commit: COMMIT_B, ts: at(4) }));
    await s.append('prod', draft({ app: 'shop', ts: at(5), commit: undefined }));
    const seqs = (records: AuditRecord[]) => records.map((r) => `${r.cluster}/${r.seq}`);
    expect(seqs(await s.query({ cluster: 'prod' }))).toEqual(['prod/4', 'prod/3', 'prod/2', 'prod/1']);
    expect(seqs(await s.query({ cluster: 'prod', app: 'shop' }))).toEqual(['prod/4', 'prod/3', 'prod/1']);
    expect(seqs(await s.query({ cluster: 'prod', commit: COMMIT_B }))).toEqual(['prod/3']);
    expect(seqs(await s.query({ cluster: 'staging', commit: COMMIT_B }))).toEqual(['staging/1']);
    expect(seqs(await s.query({ cluster: 'prod', app: 'shop', commit: COMMIT_A }))).toEqual(['prod/1']);
    expect(seqs(await s.query({ cluster: 'prod', since: at(2) }))).toEqual(['prod/4', 'prod/3', 'prod/2']);
    expect(seqs(await s.query({ cluster: 'prod', app: 'shop', since: at(2) }))).toEqual(['prod/4', 'prod/3']);
    expect(seqs(await s.query({ cluster: 'prod', limit: 2 }))).toEqual(['prod/4', 'prod/3']);
    expect(seqs(await s.query({ cluster: 'prod', app: 'shop', commit: COMMIT_A, limit: 1 }))).toEqual([
      'prod/1',
    ]);
    expect(await s.query({ cluster: 'prod', app: 'nope' })).toEqual([]);
  });

  it('reads back records that verify, whatever their strings hold', async () => {
    const table = await db.newAuditTable();
    const s = store(table);
    await s.append(
      'prod',
      draft({ app: 'ünïcødé-😀', error: 'lone \ud800 surrogate, "quotes", \n newline', who: {} }),
    );
    expect(await verify(s, 'prod')).toMatchObject({ ok: true, count: 1 });
  });

  it('stores a large change set compressed and a huge one truncated, and both verify', async () => {
    const table = await db.newAuditTable();
    const s = store(table);
    const changes = (n: number): AuditChange[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `apps/Deployment/team-${i % 40}/service-with-a-rather-long-name-${i}`,
        action: 'configured',
        reason: 'image changed',
        contentHash: createHash('sha256').update(String(i)).digest('hex'),
      }));
    const big = await s.append('prod', draft({ changes: changes(3000) }));
    const huge = await s.append('prod', draft({ changes: changes(30_000) }));
    expect(big.truncated).toBeUndefined();
    expect(huge).toMatchObject({ truncated: true, changeCount: 30_000 });
    const doc = DynamoDBDocumentClient.from(db.client());
    const raw = await doc.send(
      new GetCommand({ TableName: table, Key: { pk: 'CLUSTER#prod', sk: 'SEQ#000000000001' } }),
    );
    expect(raw.Item?.changesGz).toBeInstanceOf(Uint8Array);
    const records: AuditRecord[] = [];
    for await (const r of s.scan('prod')) records.push(r);
    expect(records[0]?.changes).toHaveLength(3000);
    expect(verifyChain(records)).toMatchObject({ ok: true, count: 2 });
  });

  describe('verify', () => {
    let table: string;
    let records: AuditRecord[];
    const key = (seq: number) => ({ pk: 'CLUSTER#prod', sk: `SEQ#${String(seq).padStart(12, '0')}` });
    const doc = () =>
      DynamoDBDocumentClient.from(db.client(), { marshallOptions: { removeUndefinedValues: true } });
    const get = async (seq: number) =>
      (await doc().send(new GetCommand({ TableName: table, Key: key(seq) }))).Item as Record<string, unknown>;
    const put = async (item: Record<string, unknown>) =>
      doc().send(new PutCommand({ TableName: table, Item: item }));

    beforeEach(async () => {
      table = await db.newAuditTable();
      records = await appendMany(store(table), 'prod', 10);
    });

    it('accepts the untouched chain', async () => {
      expect(await verify(store(table), 'prod')).toEqual({
        ok: true,
        count: 10,
        head: { seq: 10, hash: records[9]?.hash },
      });
    });

    it('catches an item overwritten with PutItem', async () => {
      await put({ ...(await get(4)), outcome: 'failed' });
      expect(await verify(store(table), 'prod')).toMatchObject({
        ok: false,
        broken: { seq: 4, reason: 'hash-mismatch' },
      });
    });

    it('catches a deleted item as a gap', async () => {
      await db.client().send(
        new DeleteItemCommand({
          TableName: table,
          Key: { pk: { S: 'CLUSTER#prod' }, sk: { S: key(6).sk } },
        }),
      );
      expect(await verify(store(table), 'prod')).toMatchObject({
        ok: false,
        broken: { seq: 6, reason: 'gap' },
      });
    });

    it('catches a record replaced by a forgery with a recomputed hash, at the next seq', async () => {
      // A record properly chained onto seq 1 and hashed, written over seq 2.
      const fake = sealRecord('prod', draft({ outcome: 'failed' }), records[0]);
      await put(encodeItem(fake, false));
      expect(await verify(store(table), 'prod')).toMatchObject({
        ok: false,
        broken: { seq: 3, reason: 'prev-hash-mismatch' },
      });
    });

    it('catches two records swapped between their keys', async () => {
      const [three, four] = [await get(3), await get(4)];
      await put({ ...four, ...key(3) });
      await put({ ...three, ...key(4) });
      expect(await verify(store(table), 'prod')).toMatchObject({
        ok: false,
        broken: { seq: 3, reason: 'prev-hash-mismatch' },
      });
    });

    it('catches an item moved out of its app index and an item with a foreign sort key', async () => {
      await put({ ...(await get(2)), appKey: 'prod#other' });
      expect(await verify(store(table), 'prod')).toMatchObject({
        ok: false,
        broken: { seq: 2, reason: 'malformed' },
      });
      await db.client().send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'CLUSTER#staging' }, sk: { S: 'SEQ#x' } },
        }),
      );
      expect(await verify(store(table), 'staging')).toMatchObject({
        ok: false,
        broken: { seq: 1, reason: 'malformed' },
      });
    });
  });

  it('says plainly when the table does not exist', async () => {
    await expect(store('missing').head('prod')).rejects.toThrow(
      "audit table missing does not exist (create it with 'plumbline audit init')",
    );
  });

  it('started DynamoDB Local in reasonable time', () => {
    expect(db.startupMs()).toBeGreaterThan(0);
    expect(db.startupMs()).toBeLessThan(30_000);
  });
});
