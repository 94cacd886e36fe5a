import 'aws-sdk-client-mock-jest';
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BatchGetSecretValueCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment } from '../../functions/shared/deployment';
import { clusterSecrets, eksConnector } from '../../functions/shared/eks';
import { GitSources } from '../../functions/shared/git';
import type { SyncMessage } from '../../functions/shared/queue';
import { createSyncHandler, type SyncDeps, signatureTrustFromEnv } from '../../functions/sync';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { EksClusterAccess } from '../../lib/adapters/aws/cluster-access';
import { SecretsManagerStore } from '../../lib/adapters/aws/secrets-manager';
import { createStateTable } from '../../lib/adapters/aws/state-dynamodb';
import type { AuditRecord } from '../../lib/core/audit';
import type { CommitState } from '../../lib/core/pipeline';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { fixturePath } from '../helpers/fixtures';
import {
  allowedSigners,
  commitFiles,
  type GitFixture,
  git,
  makeSshKey,
  makeWorkRepo,
  push,
  run,
  type SshKey,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';
import { captureOutput, lambdaContext, sqsEvent, sqsRecord } from './events';
import { localSyncDeps } from './sync-deps';

const dynamo = useDynamoDbLocal();
const sm = mockClient(SecretsManagerClient);
const eventBridge = mockClient(EventBridgeClient);

const HMAC_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AuditHmacKey-AbCdEf';
const DB_PASSWORD = 'Tr0ub4dor&3-sync-handler';
const PRINCIPAL = 'arn:aws:sts::111111111111:assumed-role/plumbline-prod/plumbline-shop-0123456789ab';

const SHOP_YAML = `version: 1
apps:
  - name: shop
    path: apps/shop
    cluster: prod
    namespace: default
    selfHeal: false
`;
const SIGNED_YAML = `version: 1
apps:
  - name: signed
    path: apps/signed
    cluster: prod
    namespace: default
`;
const DB_SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: shop-db
stringData:
  password: "\${secretsmanager:plumbline/prod/shop-db#password}"
`;
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: signed\ndata:\n  value: "${value}"\n`;

/** functions/sync.ts in-process: realistic SQS FIFO events, the sandbox, DynamoDB Local, a git server. */
describe('functions/sync', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let shopUrl: string;
  let signedUrl: string;
  let signedWork: WorkRepo;
  let shopCommit: string;
  let signer: SshKey;
  let stranger: SshKey;
  let audit: DynamoDbAuditStore;
  let handler: ReturnType<typeof createSyncHandler>;
  const statusCalls: string[][] = [];
  let shownState: CommitState | undefined;

  beforeAll(async () => {
    [sandbox, gitFixture, signer, stranger] = await Promise.all([
      startSandbox({ controllerDelayMs: 10 }),
      startGitFixture(),
      makeSshKey('ed25519'),
      makeSshKey('ed25519'),
    ]);
    shopUrl = await gitFixture.bare('config');
    signedUrl = await gitFixture.bare('signed-config');
    const shopWork = await makeWorkRepo(shopUrl);
    const files: Record<string, string> = {
      'plumbline.yaml': SHOP_YAML,
      'apps/shop/db-secret.yaml': DB_SECRET,
    };
    for (const f of ['config.yaml', 'deployment.yaml', 'service.json'])
      files[`apps/shop/${f}`] = readFileSync(fixturePath('apps', 'shop', f), 'utf8');
    shopCommit = await commitFiles(shopWork, files, 'shop');
    await push(shopWork);
    signedWork = await makeWorkRepo(signedUrl);

    const stateTable = `state-sync-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    audit = new DynamoDbAuditStore({ tableName: await dynamo.newAuditTable(), client: dynamo.client() });
    const deployment: Deployment = {
      repositories: [
        { url: shopUrl, branch: 'main', provider: 'github', commitStatus: true },
        { url: signedUrl, branch: 'main', provider: 'github' },
      ],
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
    // As the stack's define would embed it: only the signed repository has a policy.
    process.env.PLUMBLINE_SIGNATURE_TRUST = JSON.stringify({
      [signedUrl]: { allowedSigners: allowedSigners([{ principal: 'dev@example.com', key: signer }]) },
    });
    const git = new GitSources(deployment.repositories, undefined, tempDir('git-cache'));
    const ownSecrets = new SecretsManagerClient({ region: 'eu-west-1' });
    const deps: SyncDeps = {
      ...localSyncDeps({
        deployment,
        git,
        dynamodb: dynamo.client(),
        stateTable,
        audit,
        sandbox,
        principal: PRINCIPAL,
      }),
      secrets: (cluster) =>
        new SecretsManagerStore({ client: new SecretsManagerClient({ region: cluster.region }) }),
      events: new EventBridgeClient({ region: 'eu-west-1' }),
      contentHashKey: async () => {
        const out = await ownSecrets.send(new GetSecretValueCommand({ SecretId: HMAC_SECRET_ARN }));
        return out.SecretString!;
      },
      signatureTrust: signatureTrustFromEnv(),
      // GitHub has no local twin: the adapter is tested against an HTTP server of its own.
      commitStatus: () => ({
        report: async (input) => {
          statusCalls.push(['report', input.context, input.state, input.description]);
        },
        current: async (input) => {
          statusCalls.push(['current', input.context]);
          return shownState;
        },
      }),
      logger: new Logger({ serviceName: 'plumbline' }),
      metrics: new Metrics({ namespace: 'Plumbline', serviceName: 'plumbline' }),
    };
    handler = createSyncHandler(() => deps);
  }, 60_000);
  afterAll(async () => {
    delete process.env.PLUMBLINE_SIGNATURE_TRUST;
    await gitFixture?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => {
    statusCalls.length = 0;
    shownState = undefined;
    sm.reset();
    sm.on(GetSecretValueCommand, { SecretId: HMAC_SECRET_ARN }).resolves({ SecretString: 'k'.repeat(64) });
    sm.on(BatchGetSecretValueCommand).resolves({
      SecretValues: [
        { Name: 'plumbline/prod/shop-db', SecretString: JSON.stringify({ password: DB_PASSWORD }) },
      ],
      Errors: [],
    });
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });

  const shopMessage = (overrides: Partial<SyncMessage> = {}): SyncMessage => ({
    repo: shopUrl,
    cluster: 'prod',
    app: 'shop',
    commit: shopCommit,
    ref: 'refs/heads/main',
    trigger: 'webhook',
    triggerId: '2b3f2a40-cab0-11f0-8f7e-5e4a1c2f7a01',
    ...overrides,
  });
  const invoke = (...records: ReturnType<typeof sqsRecord>[]) =>
    captureOutput(() => handler(sqsEvent(...records), lambdaContext()));
  const records = (): Promise<AuditRecord[]> => audit.query({ cluster: 'prod' });
  const events = () =>
    eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => ({ source: e.Source, type: e.DetailType, detail: JSON.parse(e.Detail!) }));
  const lookup = (group: string, version: string, plural: string) =>
    sandbox.core.registry.lookup(group, version, plural)!;

  it('syncs the app a push names: objects in the cluster, one record with who and content hashes, one event', async () => {
    const { result } = await invoke(sqsRecord(shopMessage()));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sandbox.core.get(lookup('apps', 'v1', 'deployments'), 'default', 'shop')).toBeDefined();
    const secret = sandbox.core.get(lookup('', 'v1', 'secrets'), 'default', 'shop-db') as {
      data: Record<string, string>;
    };
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe(DB_PASSWORD);
    expect(sm).toHaveReceivedCommandWith(BatchGetSecretValueCommand, {
      SecretIdList: ['plumbline/prod/shop-db'],
    });

    const [record, ...others] = await records();
    expect(others).toEqual([]);
    expect(record).toMatchObject({
      seq: 1,
      app: 'shop',
      repo: shopUrl,
      commit: shopCommit,
      trigger: 'webhook',
      deliveryId: shopMessage().triggerId,
      outcome: 'succeeded',
      who: { author: 'Dev Eloper <dev@example.com>', principal: PRINCIPAL },
    });
    expect(record?.who.signer).toBeUndefined();
    expect(record?.changes.map((c) => [c.id, c.action]).sort()).toEqual([
      ['/ConfigMap/default/shop-config', 'created'],
      ['/Secret/default/shop-db', 'created'],
      ['/Secret/default/shop-secret', 'created'],
      ['/Service/default/shop', 'created'],
      ['apps/Deployment/default/shop', 'created'],
    ]);
    for (const change of record?.changes ?? []) expect(change.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toContain(DB_PASSWORD);

    expect(events()).toEqual([
      {
        source: 'plumbline',
        type: 'plumbline.sync',
        detail: expect.objectContaining({
          app: 'shop',
          commit: shopCommit,
          outcome: 'succeeded',
          auditSeq: 1,
        }),
      },
    ]);
  });

  it('runs a redelivered message once: no second record or event, no failure, the HMAC key read once', async () => {
    const first = await invoke(sqsRecord(shopMessage(), 2));
    const again = await invoke(sqsRecord(shopMessage(), 3));
    expect(first.result).toEqual({ batchItemFailures: [] });
    expect(again.result).toEqual({ batchItemFailures: [] });
    expect((await records()).length).toBe(1);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    // Read by the first test's invocation and kept for the container's life.
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('deletes a malformed message, which no retry can mend, and counts it as a failed sync', async () => {
    const bad = sqsRecord('{"repo": "https://example.com/x.git", "cluster": "prod"');
    const incomplete = sqsRecord(JSON.stringify({ repo: shopUrl, cluster: 'prod', app: 'shop' }));
    const { result, output } = await invoke(bad);
    expect(result.batchItemFailures).toEqual([]);
    expect(output).toContain('SyncMessageError: the sync message is not JSON');
    expect(output).toContain('sync job failed permanently; message deleted');
    expect(output).toMatch(/"SyncFailed":1/);
    expect((await invoke(incomplete)).result.batchItemFailures).toEqual([]);
    expect((await records()).length).toBe(1);
  });

  it("refuses a message naming another ref than its repository's branch: nothing from that branch is applied", async () => {
    // Only forward asks for the head of the message's ref: a message naming a side branch would pass
    // with that branch's head, an unreviewed or old commit.
    const work = await makeWorkRepo(shopUrl);
    await git(work.dir, [...work.remoteConfig, 'fetch', '-q', 'origin', 'main']);
    await git(work.dir, ['reset', '-q', '--hard', 'FETCH_HEAD']);
    const side = await commitFiles(
      work,
      {
        'apps/shop/side.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-side\ndata:\n  a: "1"\n',
      },
      'side',
    );
    await push(work, 'side');
    const before = (await records()).length;
    const message = sqsRecord(shopMessage({ commit: side, ref: 'refs/heads/side', triggerId: 'side-ref' }));
    sandbox.resetStats();
    const { result, output } = await invoke(message);
    expect(result.batchItemFailures).toEqual([]);
    expect(output).toContain('SyncMessageError: sync message for ref refs/heads/side');
    expect(sandbox.stats().total).toBe(0);
    expect((await records()).length).toBe(before);
  });

  it('checks a detect-only app for drift on a scheduled message and records who, without changing it', async () => {
    const deployments = lookup('apps', 'v1', 'deployments');
    const live = sandbox.core.get(deployments, 'default', 'shop')!;
    sandbox.core.persist(
      deployments,
      live,
      { ...live, spec: { ...(live.spec as object), replicas: 7 } },
      { dryRun: false },
    );
    const tick = shopMessage({ trigger: 'schedule', triggerId: 'cdc73f9d-aea9-11e3-9d5a-835b769c0d9c' });
    const { result, output } = await invoke(sqsRecord(tick));
    expect(result).toEqual({ batchItemFailures: [] });
    const [record] = await records();
    expect(record).toMatchObject({
      seq: 2,
      trigger: 'schedule',
      outcome: 'drift',
      who: { author: 'Dev Eloper <dev@example.com>', principal: PRINCIPAL },
      changes: [{ id: 'apps/Deployment/default/shop', action: 'skipped', reason: 'drift: .spec.replicas' }],
    });
    expect(sandbox.core.get(deployments, 'default', 'shop')).toMatchObject({ spec: { replicas: 7 } });
    expect(events()[0]?.detail).toMatchObject({ trigger: 'schedule', outcome: 'drift', auditSeq: 2 });
    expect(output).toMatch(/"DriftDetected":1/);
  });

  it('sets commit statuses for a repository with commitStatus: each state of a push, only a change on the schedule', async () => {
    await invoke(sqsRecord(shopMessage({ triggerId: 'status-push' })));
    expect(statusCalls).toEqual([
      ['report', 'plumbline/prod/shop', 'pending', 'shop on prod: syncing'],
      ['report', 'plumbline/prod/shop', 'success', expect.stringMatching(/^shop on prod: (in sync|synced)/)],
    ]);
    const deployments = lookup('apps', 'v1', 'deployments');
    const live = sandbox.core.get(deployments, 'default', 'shop')!;
    const drifted = { ...live, spec: { ...(live.spec as object), replicas: 5 } };
    sandbox.core.persist(deployments, live, drifted, { dryRun: false });
    // The commit already shows the drift the check finds: nothing posted.
    statusCalls.length = 0;
    shownState = 'failure';
    const tick = (id: string) => sqsRecord(shopMessage({ trigger: 'schedule', triggerId: id }));
    await invoke(tick('status-tick-1'));
    expect(statusCalls).toEqual([['current', 'plumbline/prod/shop']]);
    // It shows success: the drift is posted, without a "pending" first.
    statusCalls.length = 0;
    shownState = 'success';
    await invoke(tick('status-tick-2'));
    expect(statusCalls).toEqual([
      ['current', 'plumbline/prod/shop'],
      ['report', 'plumbline/prod/shop', 'failure', 'shop on prod: drift in 1 object(s)'],
    ]);
  });

  describe('a repository that requires signed commits', () => {
    const signedMessage = (commit: string, triggerId: string): SyncMessage => ({
      repo: signedUrl,
      cluster: 'prod',
      app: 'signed',
      commit,
      ref: 'refs/heads/main',
      trigger: 'webhook',
      triggerId,
    });

    it('refuses an unsigned commit: a refused record naming commit and reason, no request to the cluster, no retry', async () => {
      const commit = await commitFiles(
        signedWork,
        { 'plumbline.yaml': SIGNED_YAML, 'apps/signed/cm.yaml': configMap('unsigned') },
        'unsigned',
      );
      await push(signedWork);
      sandbox.resetStats();
      const { result, output } = await invoke(sqsRecord(signedMessage(commit, 'delivery-unsigned')));
      expect(result).toEqual({ batchItemFailures: [] });
      expect(sandbox.stats().total).toBe(0);
      const [record] = await records();
      expect(record).toMatchObject({ app: 'signed', commit, outcome: 'refused' });
      expect(record?.error).toBe(`signature refused (unsigned): commit ${commit}: the commit is not signed`);
      expect(record?.who).toEqual({ author: 'Dev Eloper <dev@example.com>' });
      expect(events()[0]?.detail).toMatchObject({ app: 'signed', outcome: 'refused' });
      expect(output).toMatch(/"SyncFailed":1/);
      expect((await invoke(sqsRecord(signedMessage(commit, 'delivery-unsigned'), 2))).result).toEqual({
        batchItemFailures: [],
      });
      expect((await records()).filter((r) => r.commit === commit).length).toBe(1);
    });

    it('refuses a commit signed by a key that is not an allowed signer', async () => {
      const commit = await commitFiles(
        signedWork,
        { 'apps/signed/cm.yaml': configMap('stranger') },
        'signed by a stranger',
        stranger,
      );
      await push(signedWork);
      sandbox.resetStats();
      await invoke(sqsRecord(signedMessage(commit, 'delivery-stranger')));
      const [record] = await records();
      expect(record?.error).toMatch(
        new RegExp(`^signature refused \\(unknown-key\\): commit ${commit}: signed by SSH key SHA256:`),
      );
      expect(sandbox.stats().total).toBe(0);
    });

    it('deploys a commit signed by an allowed SSH key and records the signer', async () => {
      const commit = await commitFiles(
        signedWork,
        { 'apps/signed/cm.yaml': configMap('signed') },
        'signed',
        signer,
      );
      await push(signedWork);
      const { result } = await invoke(sqsRecord(signedMessage(commit, 'delivery-signed')));
      expect(result).toEqual({ batchItemFailures: [] });
      const fingerprint = (await run('ssh-keygen', ['-lf', `${signer.privateKeyPath}.pub`])).split(' ')[1];
      const [record] = await records();
      expect(record).toMatchObject({
        app: 'signed',
        commit,
        outcome: 'succeeded',
        who: { author: 'Dev Eloper <dev@example.com>', signer: fingerprint, principal: PRINCIPAL },
      });
      expect(sandbox.core.get(lookup('', 'v1', 'configmaps'), 'default', 'signed')).toMatchObject({
        data: { value: 'signed' },
      });
    });
  });
});

describe('production cluster access (functions/shared/eks.ts)', () => {
  const sts = mockClient(STSClient);
  const eks = mockClient(EKSClient);
  afterAll(() => {
    sts.restore();
    eks.restore();
  });

  it('connects as the cluster role and names the assumed-role session as the principal', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 900_000),
      },
      AssumedRoleUser: { AssumedRoleId: 'AROA1:plumbline-shop-0123456789ab', Arn: PRINCIPAL },
    });
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: Buffer.from('CA').toString('base64') },
      },
    });
    const connect = eksConnector(new EksClusterAccess());
    const cluster = {
      name: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::111111111111:role/plumbline-prod',
      allowedNamespaces: ['default'],
      clusterScoped: false,
    };
    const job = {
      repo: 'https://github.com/acme/platform-config.git',
      cluster: 'prod',
      app: 'shop',
      commit: '0123456789abcdef0123456789abcdef01234567',
      ref: 'refs/heads/main',
      trigger: 'webhook' as const,
      triggerId: 'd-1',
    };
    const connection = await connect(cluster, job);
    expect(connection.principal).toBe(PRINCIPAL);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: cluster.roleArn,
      RoleSessionName: 'plumbline-shop-0123456789ab',
    });
    await connection.http.close();

    // App secrets: the same role's credentials, in the cluster's region.
    const cross = { ...cluster, region: 'us-east-2' };
    sm.reset();
    sm.on(BatchGetSecretValueCommand).resolves({ SecretValues: [], Errors: [] });
    await clusterSecrets(new EksClusterAccess())(cross, job).getSecretStrings(['plumbline/prod/db']);
    const client = sm.commandCalls(BatchGetSecretValueCommand)[0]!.thisValue as SecretsManagerClient;
    expect(await client.config.region()).toBe('us-east-2');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 'token' });
  });
});
