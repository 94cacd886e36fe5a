import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createReconcileHandler } from '../../functions/reconcile';
import type { Deployment } from '../../functions/shared/deployment';
import { GitSources } from '../../functions/shared/git';
import type { SyncMessage } from '../../functions/shared/queue';
import { createSyncHandler } from '../../functions/sync';
import { createWebhookHandler } from '../../functions/webhook';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { createStateTable, DynamoDbDeliveryDedupe } from '../../lib/adapters/aws/state-dynamodb';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import {
  commitFiles,
  type GitFixture,
  head,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';
import {
  captureOutput,
  githubPush,
  lambdaContext,
  PUSH,
  SECRET,
  scheduledEvent,
  sqsEvent,
  sqsRecord,
} from './events';
import { localSyncDeps } from './sync-deps';

const dynamo = useDynamoDbLocal();
const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111111111111/Plumbline-SyncQueue.fifo';

const PLUMBLINE_YAML = `version: 1
apps:
  - { name: web, path: apps/web, cluster: prod, namespace: default, selfHeal: false }
  - { name: api, path: apps/api, cluster: prod, namespace: default, selfHeal: true }
`;
const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

/**
 * The three handlers chained as AWS runs them, with real parts: a git server, DynamoDB Local and the
 * sandbox; SQS and EventBridge (no local twin) through aws-sdk-client-mock, whose captured
 * SendMessageBatch entries become the sync function's SQS event.
 */
describe('webhook → queue → sync, and schedule → queue → sync', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let work: WorkRepo;
  let url: string;
  let first: string;
  let audit: DynamoDbAuditStore;
  let webhook: ReturnType<typeof createWebhookHandler>;
  let reconcile: ReturnType<typeof createReconcileHandler>;
  let sync: ReturnType<typeof createSyncHandler>;

  beforeAll(async () => {
    [sandbox, gitFixture] = await Promise.all([startSandbox({ controllerDelayMs: 10 }), startGitFixture()]);
    url = await gitFixture.bare('platform-config');
    work = await makeWorkRepo(url);
    first = await commitFiles(
      work,
      {
        'plumbline.yaml': PLUMBLINE_YAML,
        'apps/web/cm.yaml': configMap('web-config', 'one'),
        'apps/api/cm.yaml': configMap('api-config', 'one'),
      },
      'first',
    );
    await push(work);
    const stateTable = `state-chain-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    audit = new DynamoDbAuditStore({ tableName: await dynamo.newAuditTable(), client: dynamo.client() });
    const deployment: Deployment = {
      repositories: [{ url, branch: 'main', provider: 'github' }],
      clusters: [
        {
          name: 'prod',
          region: 'eu-west-1',
          roleArn: 'arn:aws:iam::111111111111:role/plumbline-prod',
          allowedNamespaces: ['default'],
          clusterScoped: false,
        },
      ],
    };
    // Each function has its own container, so its own git cache.
    const gitOf = (name: string) =>
      new GitSources(deployment.repositories, undefined, tempDir(`chain-${name}`));
    const webhookGit = gitOf('webhook');
    const reconcileGit = gitOf('reconcile');
    const syncGit = gitOf('sync');
    const logger = new Logger({ serviceName: 'plumbline' });
    const metrics = new Metrics({ namespace: 'Plumbline', serviceName: 'plumbline' });
    const sqsClient = new SQSClient({ region: 'eu-west-1' });
    webhook = createWebhookHandler(() => ({
      deployment,
      queueUrl: QUEUE,
      sqs: sqsClient,
      dedupe: new DynamoDbDeliveryDedupe({ tableName: stateTable, client: dynamo.client() }),
      secret: async () => SECRET,
      repoConfig: webhookGit.repoConfig,
      changedPaths: webhookGit.changedPaths,
      logger,
      metrics,
    }));
    reconcile = createReconcileHandler(() => ({
      deployment,
      queueUrl: QUEUE,
      sqs: sqsClient,
      repoConfig: reconcileGit.repoConfig,
      branchHead: reconcileGit.branchHead,
      logger,
    }));
    sync = createSyncHandler(() => ({
      ...localSyncDeps({ deployment, git: syncGit, dynamodb: dynamo.client(), stateTable, audit, sandbox }),
      secrets: () => ({ getSecretStrings: async () => new Map() }),
      events: new EventBridgeClient({ region: 'eu-west-1' }),
      contentHashKey: async () => 'k'.repeat(64),
      signatureTrust: {},
      logger,
      metrics,
    }));
  }, 60_000);
  afterAll(async () => {
    sqs.restore();
    eventBridge.restore();
    await gitFixture?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  });

  /** What the functions enqueued, delivered to the sync function as SQS would, one message per event. */
  async function deliverQueued(): Promise<SyncMessage[]> {
    const messages = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.MessageBody!) as SyncMessage);
    for (const message of messages) {
      const { result } = await captureOutput(() => sync(sqsEvent(sqsRecord(message)), lambdaContext()));
      expect(result).toEqual({ batchItemFailures: [] });
    }
    return messages;
  }
  const configMaps = () => sandbox.core.registry.lookup('', 'v1', 'configmaps')!;
  const value = (name: string) =>
    (sandbox.core.get(configMaps(), 'default', name) as { data?: { value?: string } } | undefined)?.data
      ?.value;

  it('syncs only the app an authenticated push changed, found by diffing the commits on a cold cache', async () => {
    const second = await commitFiles(
      work,
      { 'apps/web/cm.yaml': configMap('web-config', 'two') },
      'web: two',
    );
    await push(work);
    // GitHub's payload for this push, without per-commit file lists: the function diffs the commits.
    const payload = {
      ...PUSH,
      before: first,
      after: second,
      repository: { ...(PUSH.repository as object), clone_url: url, html_url: url },
      commits: [],
      head_commit: null,
    };
    const { result } = await captureOutput(() => webhook(githubPush(payload, 'chain-delivery-1')));
    expect(result.statusCode).toBe(202);
    const messages = await deliverQueued();
    expect(messages.map((m) => [m.app, m.commit, m.trigger, m.triggerId])).toEqual([
      ['web', second, 'webhook', 'chain-delivery-1'],
    ]);
    expect(value('web-config')).toBe('two');
    expect(value('api-config')).toBeUndefined();
    const [record] = await audit.query({ cluster: 'prod' });
    expect(record).toMatchObject({
      app: 'web',
      commit: second,
      trigger: 'webhook',
      deliveryId: 'chain-delivery-1',
      outcome: 'succeeded',
    });

    // A forged delivery enqueues nothing.
    sqs.resetHistory();
    const forged = githubPush(payload, 'chain-delivery-2', 'not-the-secret');
    expect((await captureOutput(() => webhook(forged))).result.statusCode).toBe(401);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toEqual([]);
  });

  it('skips a validly signed delivery three commits behind the head: the cluster keeps the head, the record says stale', async () => {
    const pushOf = (before: string, after: string) => ({
      ...PUSH,
      before,
      after,
      repository: { ...(PUSH.repository as object), clone_url: url, html_url: url },
      commits: [],
      head_commit: null,
    });
    const old = await head(work);
    let before = old;
    for (const value of ['three', 'four', 'five']) {
      const after = await commitFiles(work, { 'apps/web/cm.yaml': configMap('web-config', value) }, value);
      await push(work);
      // GitHub delivers each push; each is applied in turn.
      expect(
        (await captureOutput(() => webhook(githubPush(pushOf(before, after), `push-${value}`)))).result
          .statusCode,
      ).toBe(202);
      before = after;
    }
    await deliverQueued();
    expect(value('web-config')).toBe('five');
    sqs.resetHistory();

    // A delivery of the push to `old`, three commits behind the head, validly signed: redelivered, or late.
    const replay = githubPush(pushOf(first, old), 'chain-delivery-replayed');
    expect((await captureOutput(() => webhook(replay))).result.statusCode).toBe(202);
    const [message] = await deliverQueued();
    expect(message).toMatchObject({ app: 'web', commit: old, trigger: 'webhook' });
    expect(value('web-config')).toBe('five');
    const [record] = await audit.query({ cluster: 'prod' });
    expect(record).toMatchObject({
      app: 'web',
      commit: old,
      deliveryId: 'chain-delivery-replayed',
      outcome: 'stale',
      reason: expect.stringContaining(`nor a descendant of the last commit applied (${before})`),
    });
  });

  it('checks every app at the branch head on the schedule: drift recorded for a detect-only app, the other synced', async () => {
    const live = sandbox.core.get(configMaps(), 'default', 'web-config')!;
    sandbox.core.persist(configMaps(), live, { ...live, data: { value: 'edited' } }, { dryRun: false });
    const { result } = await captureOutput(() => reconcile(scheduledEvent('chain-tick-1')));
    expect(result).toEqual({ enqueued: 2, failedRepositories: [] });
    const messages = await deliverQueued();
    expect(messages.map((m) => [m.app, m.trigger, m.triggerId]).sort()).toEqual([
      ['api', 'schedule', 'chain-tick-1'],
      ['web', 'schedule', 'chain-tick-1'],
    ]);
    expect(value('web-config')).toBe('edited');
    expect(value('api-config')).toBe('one');
    const records = await audit.query({ cluster: 'prod' });
    expect(
      records
        .slice(0, 2)
        .map((r) => [r.app, r.trigger, r.outcome])
        .sort(),
    ).toEqual([
      ['api', 'schedule', 'succeeded'],
      ['web', 'schedule', 'drift'],
    ]);
  });
});
