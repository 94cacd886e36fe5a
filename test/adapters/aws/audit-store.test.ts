import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbAuditStore } from '../../../lib/adapters/aws/audit-dynamodb';
import { encodeItem } from '../../../lib/adapters/aws/audit-item';
import { type AuditDraft, sealRecord } from '../../../lib/core/audit';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

const draft: AuditDraft = {
  app: 'shop',
  trigger: 'manual',
  outcome: 'succeeded',
  who: {},
  ts: '2026-11-26T12:00:00.000Z',
  durationMs: 1,
  changes: [],
  counts: { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
};

function lost(hash: string): ConditionalCheckFailedException {
  const err = new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
  });
  err.Item = { hash: { S: hash } };
  return err;
}

function store(maxAttempts = 5): DynamoDbAuditStore {
  return new DynamoDbAuditStore({
    tableName: 'audit',
    client: new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    maxAttempts,
    sleep: async () => undefined,
  });
}

describe('DynamoDbAuditStore (protocol)', () => {
  it('claims seq 1 with a conditional put when the chain is empty', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    const record = await store().append('prod', draft);
    expect(record.seq).toBe(1);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'audit',
      ConditionExpression: 'attribute_not_exists(pk) AND attribute_not_exists(sk)',
      Item: expect.objectContaining({ pk: 'CLUSTER#prod', sk: 'SEQ#000000000001', appKey: 'prod#shop' }),
    });
  });

  it('re-reads the head and claims the next seq after losing a race', async () => {
    const theirs = sealRecord('prod', { ...draft, app: 'other' }, undefined);
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [] })
      .resolves({ Items: [encodeItem(theirs, false)] });
    ddb.on(PutCommand).rejectsOnce(lost(theirs.hash)).resolves({});
    const record = await store().append('prod', draft);
    expect(record).toMatchObject({ seq: 2, prevHash: theirs.hash });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('takes a failed put that found its own record (an SDK retry) as written, not as a lost race', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).callsFake((input: { Item: { hash: string } }) => {
      throw lost(input.Item.hash);
    });
    const record = await store().append('prod', draft);
    expect(record.seq).toBe(1);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('gives up after a bounded number of lost races', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(lost('f'.repeat(64)));
    await expect(store(3).append('prod', draft)).rejects.toThrow(
      'audit chain of cluster prod: seq 1 lost to other writers 3 times',
    );
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 3);
  });

  it('uses the head it wrote last for the next append, without reading it again', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    const s = store();
    await s.append('prod', draft);
    const second = await s.append('prod', draft);
    expect(second.seq).toBe(2);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('names the table and the operation when DynamoDB fails, and a missing table plainly', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:Query'), {
      name: 'AccessDeniedException',
    });
    ddb.on(QueryCommand).rejects(denied);
    await expect(store().head('prod')).rejects.toThrow(
      'audit table audit: Query failed: AccessDeniedException: User is not authorized to perform: dynamodb:Query',
    );
    ddb
      .on(QueryCommand)
      .rejects(
        Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }),
      );
    await expect(store().head('prod')).rejects.toMatchObject({
      name: 'AuditTableNotFoundError',
      message: "audit table audit does not exist (create it with 'plumbline audit init')",
    });
  });

  it('refuses a bad cluster name or draft before any request', async () => {
    await expect(store().append('a#b', draft)).rejects.toThrow(/invalid cluster name/);
    await expect(store().append('prod', { ...draft, trigger: 'cron' as never })).rejects.toThrow(
      /unknown trigger/,
    );
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
  });
});
