import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Deployment } from '../../functions/shared/deployment';
import { deduplicationId, type SyncMessage } from '../../functions/shared/queue';
import { parseRepoConfig, type RepoConfig } from '../../lib/core/repo-config';
import { readFixture } from '../helpers/fixtures';

export const SECRET = 'test-webhook-secret-0123456789';
export const REPO = 'https://github.com/acme/platform-config.git';
export const PUSH = JSON.parse(readFixture('webhooks', 'github-push.json')) as {
  before: string;
  after: string;
  [key: string]: unknown;
};

export const DEPLOYMENT: Deployment = {
  repositories: [{ url: REPO, branch: 'main', provider: 'github' }],
  clusters: [
    {
      name: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::1:role/plumbline-prod',
      allowedNamespaces: ['apps'],
      clusterScoped: false,
    },
    {
      name: 'stage',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::1:role/plumbline-stage',
      allowedNamespaces: ['apps'],
      clusterScoped: false,
    },
  ],
};

/** plumbline.yaml of the test repository: web and api on prod, web on stage, one app on a cluster not deployed. */
export const REPO_CONFIG: RepoConfig = parseRepoConfig(`
version: 1
apps:
  - { name: web, path: apps/web, cluster: prod, namespace: apps, dependsOn: [bases/service] }
  - { name: api, path: apps/api, cluster: prod, namespace: apps }
  - { name: web-stage, path: apps/web, cluster: stage, namespace: apps }
  - { name: rogue, path: apps/web, cluster: elsewhere, namespace: apps }
`);

/** An API Gateway HTTP API (payload 2.0) event as Lambda receives it. */
export function httpApiEvent(
  body: string,
  headers: Record<string, string>,
  provider = 'github',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{provider}',
    rawPath: `/webhooks/${provider}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/abc', ...headers },
    pathParameters: { provider },
    requestContext: {
      accountId: '111111111111',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: `/webhooks/${provider}`,
        protocol: 'HTTP/1.1',
        sourceIp: '140.82.115.1',
        userAgent: 'GitHub-Hookshot/abc',
      },
      requestId: 'req-1',
      routeKey: 'POST /webhooks/{provider}',
      stage: '$default',
      time: '26/Nov/2025:13:40:00 +0000',
      timeEpoch: 1764164400000,
    },
    body,
    isBase64Encoded: false,
  };
}

export function githubPush(payload: unknown, deliveryId: string, secret = SECRET): APIGatewayProxyEventV2 {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return httpApiEvent(body, {
    'x-github-event': 'push',
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': signature,
  });
}

export function scheduledEvent(id = 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c'): ScheduledEvent {
  return {
    version: '0',
    id,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '111111111111',
    time: '2025-11-26T13:40:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:111111111111:rule/Plumbline-Schedule'],
    detail: {},
  };
}

export const SYNC_QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111111111111:Plumbline-SyncQueue.fifo';

let sequence = 18_880_000_000_000_000_000n;

/**
 * One SQS FIFO record as Lambda delivers it: the group is the message's cluster and the
 * deduplication id the one the webhook and reconcile functions send. A string body is sent as is
 * (a malformed message).
 */
export function sqsRecord(message: SyncMessage | string, receiveCount = 1): SQSRecord {
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  const sent = Date.now() - 2_000;
  sequence += 1n;
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sent),
      SequenceNumber: String(sequence),
      MessageGroupId: typeof message === 'string' ? 'prod' : message.cluster,
      SenderId: 'AROAEXAMPLE:Plumbline-Webhook',
      MessageDeduplicationId:
        typeof message === 'string'
          ? createHash('sha256').update(body).digest('hex')
          : deduplicationId(message),
      ApproximateFirstReceiveTimestamp: String(sent + 500),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: SYNC_QUEUE_ARN,
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context with a deadline, as the runtime passes it. */
export function lambdaContext(remainingMs = 600_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'Plumbline-SyncFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:Plumbline-SyncFunction',
    memoryLimitInMB: '2048',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/Plumbline-SyncFunction',
    logStreamName: '2025/11/26/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Everything written to stdout and stderr while `fn` runs (Powertools Logger and Metrics write there). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  try {
    return { result: await fn(), output: chunks.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
