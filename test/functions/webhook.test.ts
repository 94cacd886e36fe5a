import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { SyncMessage } from '../../functions/shared/queue';
import { createWebhookHandler, type WebhookDeps } from '../../functions/webhook';
import { createStateTable, DynamoDbDeliveryDedupe } from '../../lib/adapters/aws/state-dynamodb';
import { parseRepoConfig } from '../../lib/core/repo-config';
import type { DeliveryDedupe } from '../../lib/core/webhooks';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import {
  captureOutput,
  DEPLOYMENT,
  githubPush,
  httpApiEvent,
  PUSH,
  REPO,
  REPO_CONFIG,
  SECRET,
} from './events';

const db = useDynamoDbLocal();
const sqsMock = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111111111111/plumbline.fifo';
let table = '';
let n = 0;

beforeAll(async () => {
  table = 'state-webhook';
  await createStateTable(db.client(), table);
});
beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

function handlerWith(overrides: Partial<WebhookDeps> = {}) {
  const loads: string[] = [];
  const deps: WebhookDeps = {
    deployment: DEPLOYMENT,
    queueUrl: QUEUE,
    sqs: new SQSClient({ region: 'eu-west-1' }),
    dedupe: new DynamoDbDeliveryDedupe({ tableName: table, client: db.client() }),
    secret: async () => SECRET,
    repoConfig: {
      load: async (url, commit) => {
        loads.push(`${url}@${commit}`);
        return REPO_CONFIG;
      },
    },
    logger: new Logger({ serviceName: 'plumbline' }),
    metrics: new Metrics({ namespace: 'Plumbline', serviceName: 'plumbline' }),
    ...overrides,
  };
  return { handler: createWebhookHandler(() => deps), loads };
}

const delivery = () => `delivery-${process.pid}-${++n}`;
const sent = (): SyncMessage[] =>
  sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.MessageBody!) as SyncMessage);
const body = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(String(r.body)) as Record<string, unknown>;

describe('functions/webhook', () => {
  it('enqueues one message per changed app of an allowed cluster, grouped by cluster, and answers 202', async () => {
    const { handler, loads } = handlerWith();
    const id = delivery();
    const { result, output } = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(result.statusCode).toBe(202);
    expect(body(result)).toMatchObject({ kind: 'push', deliveryId: id, enqueued: 2 });
    expect(loads).toEqual([`${REPO}@${PUSH.after}`]);
    const entries = sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries!;
    expect(entries.map((e) => [e.MessageGroupId, JSON.parse(e.MessageBody!).app])).toEqual([
      ['prod', 'web'],
      ['stage', 'web-stage'],
    ]);
    expect(entries[0]!.MessageDeduplicationId).toBe(
      createHash('sha256').update(['prod', 'web', PUSH.after, 'webhook', id].join('\0')).digest('hex'),
    );
    expect(sent()[0]).toEqual({
      repo: REPO,
      cluster: 'prod',
      app: 'web',
      commit: PUSH.after,
      ref: 'refs/heads/main',
      trigger: 'webhook',
      triggerId: id,
    });
    expect(output).toContain(`"deliveryId":"${id}`);
    expect(output).toContain('app targets a cluster this deployment does not allow');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('"pusher"');
    expect(output).not.toContain(PUSH.before);
  });

  it('answers a redelivery 200 duplicate and enqueues nothing (dedupe in DynamoDB Local)', async () => {
    const { handler } = handlerWith();
    const id = delivery();
    await captureOutput(() => handler(githubPush(PUSH, id)));
    sqsMock.resetHistory();
    const { result } = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ kind: 'duplicate', duplicate: true });
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('refuses a bad signature with 401, reads no config and enqueues nothing', async () => {
    const { handler, loads } = handlerWith();
    const { result } = await captureOutput(() => handler(githubPush(PUSH, delivery(), 'wrong-secret')));
    expect(result.statusCode).toBe(401);
    expect(loads).toEqual([]);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('refuses a body over 1 MiB with 413 and a payload it cannot read with 400', async () => {
    const { handler } = handlerWith();
    const big = await captureOutput(() =>
      handler(githubPush({ ...PUSH, pad: 'x'.repeat(1_100_000) }, delivery())),
    );
    expect(big.result.statusCode).toBe(413);
    const bad = githubPush('not an object', delivery());
    const malformed = await captureOutput(() => handler(bad));
    expect(malformed.result.statusCode).toBe(400);
  });

  it('answers 404 for a provider no repository uses', async () => {
    const { handler } = handlerWith();
    const { result } = await captureOutput(() => handler(httpApiEvent('{}', {}, 'gitlab')));
    expect(result.statusCode).toBe(404);
  });

  it('sends a push that changes plumbline.yaml in batches of 10', async () => {
    const apps = Array.from(
      { length: 23 },
      (_, i) => `  - { name: app-${i}, path: apps/a${i}, cluster: prod, namespace: apps }`,
    );
    const config = parseRepoConfig(`version: 1\napps:\n${apps.join('\n')}\n`);
    const { handler } = handlerWith({ repoConfig: { load: async () => config } });
    const push = {
      ...PUSH,
      commits: [{ id: PUSH.after, added: [], removed: [], modified: ['plumbline.yaml'] }],
    };
    const { result } = await captureOutput(() => handler(githubPush(push, delivery())));
    expect(body(result)).toMatchObject({ enqueued: 23 });
    const sizes = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length);
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('retries entries SQS refuses once, then answers 500 without the cause in the body', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false, Message: 'boom' }],
    });
    const { handler } = handlerWith();
    const { result, output } = await captureOutput(() => handler(githubPush(PUSH, delivery())));
    expect(result.statusCode).toBe(500);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(String(result.body)).not.toContain('boom');
    expect(output).toContain('1 of 2 sync messages not enqueued');
  });

  it('releases the claim when SQS fails, so the redelivery of the same delivery is accepted and enqueued', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(new Error('connect ETIMEDOUT sqs.eu-west-1.amazonaws.com'))
      .resolves({ Successful: [], Failed: [] });
    const { handler } = handlerWith();
    const id = delivery();
    const first = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(first.result.statusCode).toBe(500);
    expect(first.output).toContain('delivery claim released');
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    // Not resetHistory(): it restarts sinon's call count, and with it the rejectsOnce.
    const retry = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(retry.result.statusCode).toBe(202);
    expect(body(retry.result)).toMatchObject({ kind: 'push', deliveryId: id, enqueued: 2 });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    // The first call was made and failed; the messages are those of the second.
    const retried = sent().slice(2);
    expect(retried.map((m) => [m.cluster, m.app, m.triggerId])).toEqual([
      ['prod', 'web', id],
      ['stage', 'web-stage', id],
    ]);
    const again = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(again.result.statusCode).toBe(200);
    expect(body(again.result)).toMatchObject({ kind: 'duplicate' });
  });

  it('re-sends a partly enqueued delivery on redelivery with the same FIFO deduplication ids', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolvesOnce({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [], Failed: [] });
    const { handler } = handlerWith();
    const id = delivery();
    expect((await captureOutput(() => handler(githubPush(PUSH, id)))).result.statusCode).toBe(500);
    const dedupeIds = () =>
      sqsMock
        .commandCalls(SendMessageBatchCommand)
        .map((c) => c.args[0].input.Entries!.map((e) => e.MessageDeduplicationId));
    const firstIds = dedupeIds()[0]!;
    expect(firstIds).toHaveLength(2);
    const retry = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(retry.result.statusCode).toBe(202);
    expect(body(retry.result)).toMatchObject({ enqueued: 2 });
    expect(dedupeIds().slice(2)).toEqual([firstIds]);
  });

  it('releases the claim when fan-out fails reading plumbline.yaml', async () => {
    let failures = 1;
    const { handler } = handlerWith({
      repoConfig: {
        load: async () => {
          if (failures-- > 0) throw new Error('git fetch failed: 503');
          return REPO_CONFIG;
        },
      },
    });
    const id = delivery();
    const first = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(first.result.statusCode).toBe(500);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
    const retry = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(retry.result.statusCode).toBe(202);
    expect(body(retry.result)).toMatchObject({ enqueued: 2 });
  });

  it('claims a delivery for a minute until it is enqueued, then for as long as providers redeliver', async () => {
    const ttl = async (id: string) => {
      const out = await db.client().send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: `DELIVERY#webhook#github#${id}` }, sk: { S: 'DELIVERY' } },
        }),
      );
      return Number(out.Item?.ttl?.N) - Math.floor(Date.now() / 1000);
    };
    const id = delivery();
    let whileEnqueueing = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake(async () => {
      whileEnqueueing = await ttl(id);
      return { Successful: [], Failed: [] };
    });
    const { handler } = handlerWith();
    const { result } = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(result.statusCode).toBe(202);
    // A run killed by the 9 s limit before this point leaves a claim that ends within a minute.
    expect(whileEnqueueing).toBeGreaterThan(50);
    expect(whileEnqueueing).toBeLessThanOrEqual(60);
    expect(await ttl(id)).toBeGreaterThan(7 * 24 * 3600 - 60);
  });

  it('answers 500 all the same when releasing the claim fails, and logs it', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('SQS unavailable'));
    const real = new DynamoDbDeliveryDedupe({ tableName: table, client: db.client() });
    const dedupe: DeliveryDedupe = {
      firstSeen: (key, ttl) => real.firstSeen(key, ttl),
      forget: async () => {
        throw new Error('ProvisionedThroughputExceededException: slow down');
      },
      keep: (key, ttl) => real.keep(key, ttl),
    };
    const { handler } = handlerWith({ dedupe });
    const id = delivery();
    const first = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(first.result.statusCode).toBe(500);
    expect(body(first.result)).toMatchObject({ kind: 'error' });
    expect(first.output).toContain('delivery claim not released');
    expect(first.output).toContain('ProvisionedThroughputExceededException: slow down');
    // The claim stayed: the redelivery is taken for a duplicate, and the schedule catches up.
    const retry = await captureOutput(() => handler(githubPush(PUSH, id)));
    expect(retry.result.statusCode).toBe(200);
  });

  it('does not release anything when the claim itself failed', async () => {
    const forgotten: string[] = [];
    const dedupe: DeliveryDedupe = {
      firstSeen: async () => {
        throw new Error('DynamoDB unavailable');
      },
      keep: async () => true,
      forget: async (key) => {
        forgotten.push(key);
        return true;
      },
    };
    const { handler } = handlerWith({ dedupe });
    const { result } = await captureOutput(() => handler(githubPush(PUSH, delivery())));
    expect(result.statusCode).toBe(500);
    expect(forgotten).toEqual([]);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('ignores a push to another branch without reading the repository', async () => {
    const { handler, loads } = handlerWith();
    const { result } = await captureOutput(() =>
      handler(githubPush({ ...PUSH, ref: 'refs/heads/feature' }, delivery())),
    );
    expect(result.statusCode).toBe(202);
    expect(body(result)).toMatchObject({ enqueued: 0 });
    expect(loads).toEqual([]);
  });
});
