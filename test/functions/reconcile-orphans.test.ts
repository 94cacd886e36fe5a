import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createReconcileHandler, type ReconcileDeps } from '../../functions/reconcile';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState, ORPHANED_ITEM_ATTRIBUTES } from '../../lib/adapters/aws/pipeline-state';
import { createStateTable, DynamoDbInventoryStore } from '../../lib/adapters/aws/state-dynamodb';
import { parseId } from '../../lib/core/manifests/object';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { captureOutput, DEPLOYMENT, REPO, REPO_CONFIG, scheduledEvent } from './events';

const dynamo = useDynamoDbLocal();
const sqsMock = mockClient(SQSClient);
const HEAD = 'a'.repeat(40);
const OTHER = 'https://gitlab.com/acme/other-config.git';
const GONE_IDS = ['rbac.authorization.k8s.io/ClusterRoleBinding//gone-admin', '/ConfigMap/apps/gone-config'];
const noRevision = { dryRun: false, expected: undefined };
const created = (ids: readonly string[]) => ({
  entries: ids.map((id) => ({ id: parseId(id), origin: 'created' as const })),
});

/**
 * An app removed from plumbline.yaml (finding 4, second half): its inventory stays in the state
 * table, and the next reconcile reports it once, on DynamoDB Local.
 */
describe('functions/reconcile (orphaned apps)', () => {
  let stateTable: string;
  let audit: DynamoDbAuditStore;
  let clock = Date.parse('2026-12-07T08:00:00Z');
  const inventory = (cluster: string) =>
    new DynamoDbInventoryStore({ tableName: stateTable, client: dynamo.client(), now: () => clock }, cluster);

  /** A sync's save: conditional on the revision it read. */
  const saveAgain = async (app: string, ids: readonly string[]) => {
    const stored = await inventory('prod').load(app);
    await inventory('prod').save(app, 'apps', created(ids), { dryRun: false, expected: stored?.revision });
  };

  beforeAll(async () => {
    stateTable = `state-orphans-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    audit = new DynamoDbAuditStore({ tableName: await dynamo.newAuditTable(), client: dynamo.client() });
    // web is still declared; gone was removed from plumbline.yaml; empty holds nothing.
    await inventory('prod').save('web', 'apps', created(['/ConfigMap/apps/web-config']), noRevision);
    await inventory('prod').save('gone', 'apps', created(GONE_IDS), noRevision);
    await inventory('prod').save('empty', 'apps', created([]), noRevision);
  });
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterAll(() => sqsMock.restore());

  function handlerWith(overrides: Partial<ReconcileDeps> = {}) {
    return createReconcileHandler(() => ({
      deployment: DEPLOYMENT,
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/plumbline.fifo',
      sqs: new SQSClient({ region: 'eu-west-1' }),
      branchHead: async () => HEAD,
      repoConfig: { load: async () => REPO_CONFIG },
      orphans: {
        state: new DynamoDbPipelineState({ tableName: stateTable, client: dynamo.client() }),
        audit,
      },
      logger: new Logger({ serviceName: 'plumbline' }),
      ...overrides,
    }));
  }
  const orphanRecords = async () =>
    (await audit.query({ cluster: 'prod' })).filter((r) => r.outcome === 'orphaned');

  it('records an app no longer declared as orphaned, listing its objects, which stay in place', async () => {
    const { result, output } = await captureOutput(() => handlerWith()(scheduledEvent('tick-1')));
    expect(result).toEqual({ enqueued: 3, failedRepositories: [], orphaned: 1 });
    const records = await orphanRecords();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      app: 'gone',
      repo: REPO,
      commit: HEAD,
      trigger: 'schedule',
      deliveryId: 'tick-1',
      outcome: 'orphaned',
      counts: { skipped: 2, deleted: 0 },
      reason: expect.stringContaining(
        'its 2 objects are left in place, and plumbline prune-app removes them',
      ),
    });
    expect(records[0]?.changes.map((c) => [c.id, c.action, c.reason])).toEqual(
      [...GONE_IDS].sort().map((id) => [id, 'skipped', 'orphaned: left in place']),
    );
    expect(output).toContain('app orphaned');
  });

  it('marks it reported with only the attributes the reconcile role may put (no commit, inventory or draft)', async () => {
    const { Item } = await DynamoDBDocumentClient.from(dynamo.client()).send(
      new GetCommand({ TableName: stateTable, Key: { pk: 'CLUSTER#prod', sk: 'ORPHANED#gone' } }),
    );
    expect(Object.keys(Item ?? {}).sort()).toEqual([...ORPHANED_ITEM_ATTRIBUTES].sort());
  });

  it('reports it once, not on every tick, and again after the app came back and was removed again', async () => {
    await captureOutput(() => handlerWith()(scheduledEvent('tick-2')));
    expect(await orphanRecords()).toHaveLength(1);
    // Declared again and synced: the inventory is saved anew. Then removed again.
    clock += 60_000;
    await saveAgain('gone', GONE_IDS);
    const { result } = await captureOutput(() => handlerWith()(scheduledEvent('tick-3')));
    expect(result).toMatchObject({ orphaned: 1 });
    expect((await orphanRecords()).map((r) => r.deliveryId)).toEqual(['tick-3', 'tick-1']);
  });

  it('reports nothing while a repository cannot be read: its apps would look orphaned', async () => {
    clock += 60_000;
    await saveAgain('gone', GONE_IDS);
    const deployment = {
      ...DEPLOYMENT,
      repositories: [...DEPLOYMENT.repositories, { url: OTHER, branch: 'main', provider: 'gitlab' as const }],
    };
    const { result } = await captureOutput(() =>
      handlerWith({
        deployment,
        branchHead: async (url) => {
          if (url === OTHER) throw new Error('503');
          return HEAD;
        },
      })(scheduledEvent('tick-4')),
    );
    expect(result).toEqual({ enqueued: 3, failedRepositories: [OTHER] });
    expect(await orphanRecords()).toHaveLength(2);
  });

  it('appends the records an orphaned app kept when their append failed, before its orphan record, once', async () => {
    const state = new DynamoDbPipelineState({ tableName: stateTable, client: dynamo.client() });
    // Its last sync changed the cluster, its record could not be appended, then the app was removed.
    await inventory('stage').save('left', 'apps', created(['/ConfigMap/apps/left-config']), noRevision);
    await state.keep('stage', {
      app: 'left',
      commit: 'c'.repeat(40),
      trigger: 'webhook',
      deliveryId: 'push-left',
      outcome: 'succeeded',
      who: {},
      ts: new Date(Date.now() - 60_000).toISOString(),
      durationMs: 5,
      changes: [{ id: '/ConfigMap/apps/left-config', action: 'created' }],
      counts: { created: 1, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    });
    const ofLeft = async () =>
      (await audit.query({ cluster: 'stage', app: 'left' })).map((r) => [r.seq, r.deliveryId, r.outcome]);
    await captureOutput(() => handlerWith()(scheduledEvent('tick-5')));
    const first = await ofLeft();
    expect(first).toEqual([
      [expect.any(Number), 'tick-5', 'orphaned'],
      [expect.any(Number), 'push-left', 'succeeded'],
    ]);
    expect(first[0]![0]).toBeGreaterThan(first[1]![0] as number);
    // Reported again after a new save: the kept record is in the trail already, so not appended twice.
    clock += 60_000;
    await inventory('stage').save('left', 'apps', created(['/ConfigMap/apps/left-config']), {
      dryRun: false,
      expected: (await inventory('stage').load('left'))?.revision,
    });
    await captureOutput(() => handlerWith()(scheduledEvent('tick-6')));
    expect((await ofLeft()).map(([, delivery]) => delivery)).toEqual(['tick-6', 'tick-5', 'push-left']);
  });
});
