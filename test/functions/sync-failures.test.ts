import 'aws-sdk-client-mock-jest';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment } from '../../functions/shared/deployment';
import { eksConnector } from '../../functions/shared/eks';
import { GitSources } from '../../functions/shared/git';
import type { SyncMessage } from '../../functions/shared/queue';
import { createSyncHandler, type SyncDeps } from '../../functions/sync';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { EksClusterAccess } from '../../lib/adapters/aws/cluster-access';
import { SecretsManagerStore } from '../../lib/adapters/aws/secrets-manager';
import { SqsRedelivery } from '../../lib/adapters/aws/sqs-redelivery';
import { createStateTable } from '../../lib/adapters/aws/state-dynamodb';
import type { AuditRecord } from '../../lib/core/audit';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { commitFiles, type GitFixture, makeWorkRepo, push, startGitFixture, tempDir } from '../helpers/git';
import { captureOutput, lambdaContext, sqsEvent, sqsRecord } from './events';
import { localSyncDeps } from './sync-deps';

const dynamo = useDynamoDbLocal();
const sts = mockClient(STSClient);
const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/Plumbline-SyncQueue.fifo';
const ROLE = 'arn:aws:iam::111111111111:role/plumbline-prod';
const YAML = `version: 1
apps:
  - name: web
    path: apps/web
    cluster: prod
    namespace: default
`;
const CONFIG_MAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "1"\n';

const stsFailure = (name: string, status: number) =>
  new STSServiceException({
    name,
    message:
      name === 'AccessDenied'
        ? `User: arn:aws:sts::111111111111:assumed-role/Plumbline-sync/x is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`
        : `${name}: try again`,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });

/**
 * functions/sync.ts when a job fails: a permanent failure is recorded and its message deleted; a
 * transient one is recorded and delivered again after a backoff. DynamoDB Local holds the audit
 * trail and claims; SQS and STS, without a local twin, are mocked.
 */
describe('functions/sync failures', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let url: string;
  let commit: string;
  let audit: DynamoDbAuditStore;
  let handler: ReturnType<typeof createSyncHandler>;
  /** How the job reaches the cluster: through STS (mocked) as in production, or the sandbox. */
  let viaSts = true;

  beforeAll(async () => {
    [sandbox, gitFixture] = await Promise.all([startSandbox(), startGitFixture()]);
    url = await gitFixture.bare('failures');
    const work = await makeWorkRepo(url);
    commit = await commitFiles(work, { 'plumbline.yaml': YAML, 'apps/web/cm.yaml': CONFIG_MAP }, 'web');
    await push(work);
    const stateTable = `state-failures-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    audit = new DynamoDbAuditStore({ tableName: await dynamo.newAuditTable(), client: dynamo.client() });
    const deployment: Deployment = {
      repositories: [{ url, branch: 'main', provider: 'github' }],
      clusters: [
        {
          name: 'prod',
          region: 'eu-west-1',
          roleArn: ROLE,
          allowedNamespaces: ['default'],
          clusterScoped: false,
        },
      ],
    };
    const local = localSyncDeps({
      deployment,
      git: new GitSources(deployment.repositories, undefined, tempDir('git-cache')),
      dynamodb: dynamo.client(),
      stateTable,
      audit,
      sandbox,
    });
    const viaRole = eksConnector(
      new EksClusterAccess({
        sts: () => new STSClient({ region: 'eu-west-1' }),
        sleep: async () => undefined,
      }),
    );
    const deps: SyncDeps = {
      ...local,
      connect: (cluster, job) => (viaSts ? viaRole(cluster, job) : local.connect(cluster, job)),
      secrets: () => new SecretsManagerStore({ client: new SecretsManagerClient({ region: 'eu-west-1' }) }),
      events: new EventBridgeClient({ region: 'eu-west-1' }),
      contentHashKey: async () => 'k'.repeat(64),
      signatureTrust: {},
      redelivery: new SqsRedelivery({ queueUrl: QUEUE_URL, client: new SQSClient({ region: 'eu-west-1' }) }),
      logger: new Logger({ serviceName: 'plumbline' }),
      metrics: new Metrics({ namespace: 'Plumbline', serviceName: 'plumbline' }),
    };
    handler = createSyncHandler(() => deps);
  }, 60_000);
  afterAll(async () => {
    await gitFixture?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => {
    viaSts = true;
    sts.reset();
    sqs.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    sandbox.resetStats();
  });

  const message = (triggerId: string): SyncMessage => ({
    repo: url,
    cluster: 'prod',
    app: 'web',
    commit,
    ref: 'refs/heads/main',
    trigger: 'webhook',
    triggerId,
  });
  const invoke = (...records: ReturnType<typeof sqsRecord>[]) =>
    captureOutput(() => handler(sqsEvent(...records), lambdaContext(300_000)));
  const recordOf = async (triggerId: string): Promise<AuditRecord[]> =>
    (await audit.query({ cluster: 'prod' })).filter((r) => r.deliveryId === triggerId);
  const visibilityCalls = () => sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input);

  it('records a permanent failure (AssumeRole AccessDenied), counts SyncFailed and deletes the message', async () => {
    sts.on(AssumeRoleCommand).rejects(stsFailure('AccessDenied', 403));
    const record = sqsRecord(message('denied'));
    const { result, output } = await invoke(record);

    // Not reported as a failure: Lambda deletes it and the cluster's FIFO group moves on.
    expect(result).toEqual({ batchItemFailures: [] });
    expect(visibilityCalls()).toEqual([]);
    // Tried once: a permanent failure is not retried by the adapter either.
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(output).toMatch(/"SyncFailed":1/);
    expect(output).not.toMatch(/"SyncRetried"/);
    const [failed, ...others] = await recordOf('denied');
    expect(others).toEqual([]);
    expect(failed).toMatchObject({ outcome: 'failed', failure: 'permanent', commit });
    expect(failed?.error).toContain(`cannot assume ${ROLE} for cluster prod`);
    expect(failed?.error).toContain('not authorized to perform: sts:AssumeRole');
    expect(sandbox.stats().total).toBe(0);

    // Delivered again all the same (at least once): it runs once, with no second record.
    expect((await invoke(sqsRecord(message('denied'), 2))).result).toEqual({ batchItemFailures: [] });
    expect(await recordOf('denied')).toHaveLength(1);
  });

  it('records a transient failure, delays the retry by 30 s, and the retry runs (the claim is released)', async () => {
    sts.on(AssumeRoleCommand).rejects(stsFailure('InternalFailure', 503));
    const first = sqsRecord(message('flaky'));
    const { result, output } = await invoke(first);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: first.messageId }] });
    expect(visibilityCalls()).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: first.receiptHandle, VisibilityTimeout: 30 },
    ]);
    expect(output).toMatch(/"SyncRetried":1/);
    expect(output).not.toMatch(/"SyncFailed"/);
    expect(await recordOf('flaky')).toEqual([
      expect.objectContaining({ outcome: 'failed', failure: 'transient' }),
    ]);

    // STS is back: the redelivery (ApproximateReceiveCount 2) syncs, 30 s later rather than after a lease.
    viaSts = false;
    const again = sqsRecord(message('flaky'), 2);
    expect((await invoke(again)).result).toEqual({ batchItemFailures: [] });
    expect((await recordOf('flaky')).map((r) => r.outcome)).toEqual(['succeeded', 'failed']);
  });

  it('backs off 30, 60, 120, 240, 300 s, and sends the last attempt to the dead-letter queue at once', async () => {
    sts.on(AssumeRoleCommand).rejects(stsFailure('Throttling', 400));
    const delays: number[] = [];
    let lastOutput = '';
    for (let receive = 1; receive <= 6; receive++) {
      sqs.resetHistory();
      const { result, output } = await invoke(sqsRecord(message('throttled'), receive));
      expect(result.batchItemFailures).toHaveLength(1);
      delays.push(visibilityCalls()[0]?.VisibilityTimeout ?? -1);
      lastOutput = output;
    }
    expect(delays).toEqual([30, 60, 120, 240, 300, 0]);
    // Given up: counted as a failed sync as well, and said so.
    expect(lastOutput).toMatch(/"SyncFailed":1/);
    expect(lastOutput).not.toMatch(/"SyncRetried"/);
    expect(lastOutput).toContain('message to the dead-letter queue');
  });

  it('still reports a transient failure when the delay cannot be set (the queue timeout applies)', async () => {
    sts.on(AssumeRoleCommand).rejects(stsFailure('InternalFailure', 500));
    sqs.on(ChangeMessageVisibilityCommand).rejects(new Error('ReceiptHandle is invalid'));
    const record = sqsRecord(message('no-delay'));
    const { result, output } = await invoke(record);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(output).toContain('sync retry delay not set');
  });

  it('moves the group on past a message no retry can mend: the next one in the batch syncs', async () => {
    viaSts = false;
    const bad = sqsRecord('{"repo": "not json');
    const good = sqsRecord(message('after-a-bad-one'));
    const { result, output } = await invoke(bad, good);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(output).toContain('SyncMessageError: the sync message is not JSON');
    expect((await recordOf('after-a-bad-one')).map((r) => r.outcome)).toEqual(['succeeded']);
  });
});
