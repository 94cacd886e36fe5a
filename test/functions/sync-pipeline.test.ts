import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { GitSources } from '../../functions/shared/git';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState } from '../../lib/adapters/aws/pipeline-state';
import {
  createStateTable,
  DynamoDbInventoryStore,
  DynamoDbSyncClaims,
} from '../../lib/adapters/aws/state-dynamodb';
import { KubeHttp, KubernetesCluster } from '../../lib/adapters/kubernetes';
import { rendererFor } from '../../lib/adapters/renderers';
import { JsonFileSecretStore } from '../../lib/adapters/secrets/json-file';
import { runSyncJob, type SyncJob, type SyncJobPorts } from '../../lib/core/pipeline';
import { Redactor } from '../../lib/core/redact';
import { DEFAULT_RENDER_LIMITS } from '../../lib/core/render';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { fixturePath } from '../helpers/fixtures';
import { commitFiles, type GitFixture, makeWorkRepo, push, startGitFixture, tempDir } from '../helpers/git';
import { sandboxRequest } from '../helpers/http';

const dynamo = useDynamoDbLocal();

const PLUMBLINE_YAML = `version: 1
apps:
  - name: shop
    path: apps/shop
    cluster: prod
    namespace: default
    selfHeal: false
`;

/** The sync Lambda's pipeline (functions/sync.ts) with real parts: a git server, the sandbox, DynamoDB Local. */
describe('runSyncJob', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let url: string;
  let commit: string;
  let ports: SyncJobPorts;
  let audit: DynamoDbAuditStore;
  const events: Record<string, unknown>[] = [];
  /** What reportStatus was told: trigger id, state, description. */
  const statuses: [string, string, string][] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    gitFixture = await startGitFixture();
    url = await gitFixture.bare('config');
    const work = await makeWorkRepo(url);
    const files: Record<string, string> = { 'plumbline.yaml': PLUMBLINE_YAML };
    for (const f of ['config.yaml', 'deployment.yaml', 'service.json'])
      files[`apps/shop/${f}`] = readFileSync(fixturePath('apps', 'shop', f), 'utf8');
    files['apps/other/cm.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-for-shop\n';
    commit = await commitFiles(work, files, 'first');
    await push(work);
    const stateTable = `state-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    const auditTable = await dynamo.newAuditTable();
    audit = new DynamoDbAuditStore({ tableName: auditTable, client: dynamo.client() });
    const git = new GitSources(
      [{ url, branch: 'main', provider: 'github' }],
      undefined,
      tempDir('git-cache'),
    );
    const secretsFile = join(tempDir('secrets'), 'secrets.json');
    writeFileSync(secretsFile, '{}');
    ports = {
      claims: new DynamoDbSyncClaims({ tableName: stateTable, client: dynamo.client() }),
      repo: await git.reader(url),
      renderer: (config) => rendererFor(config),
      render: (renderer, repoRoot, appPath) =>
        renderer.render({ repoRoot, appPath, limits: DEFAULT_RENDER_LIMITS }),
      connect: async () => {
        const kc = new k8s.KubeConfig();
        kc.loadFromString(sandbox.kubeconfig);
        const http = new KubeHttp(kc);
        return {
          cluster: new KubernetesCluster(http),
          inventory: new DynamoDbInventoryStore({ tableName: stateTable, client: dynamo.client() }, 'prod'),
          close: () => http.close(),
        };
      },
      secrets: { store: new JsonFileSecretStore(secretsFile), prefix: 'plumbline/prod/' },
      audit,
      state: new DynamoDbPipelineState({ tableName: stateTable, client: dynamo.client() }),
      publish: async (detail) => {
        events.push(detail);
      },
      remainingMs: () => 600_000,
      reportStatus: async (j, state, description) => {
        statuses.push([j.triggerId, state, description]);
      },
    };
  });
  beforeEach(() => {
    statuses.length = 0;
  });
  afterAll(async () => {
    await gitFixture.stop();
    await sandbox.stop();
  });

  const job = (trigger: SyncJob['trigger'], triggerId: string): SyncJob => ({
    repo: url,
    cluster: 'prod',
    app: 'shop',
    commit,
    ref: 'refs/heads/main',
    trigger,
    triggerId,
  });
  const policy = { allowedNamespaces: ['default'], clusterScoped: false };

  it('fetches the commit, renders only the app, applies it, and records and publishes the outcome', async () => {
    const result = await runSyncJob(job('webhook', 'delivery-1'), ports, policy, new Redactor());
    expect(result).toMatchObject({ status: 'synced', outcome: 'succeeded', auditSeq: 1 });
    expect(
      (await sandbox.core.get(sandbox.core.registry.lookup('apps', 'v1', 'deployments')!, 'default', 'shop'))
        ?.metadata,
    ).toBeDefined();
    expect(
      sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'configmaps')!, 'default', 'not-for-shop'),
    ).toBeUndefined();
    expect(events[0]).toMatchObject({
      cluster: 'prod',
      app: 'shop',
      commit,
      outcome: 'succeeded',
      auditSeq: 1,
    });
    const [record] = await audit.query({ cluster: 'prod', limit: 1 });
    expect(record).toMatchObject({
      app: 'shop',
      commit,
      trigger: 'webhook',
      deliveryId: 'delivery-1',
      repo: url,
      who: { author: 'Dev Eloper <dev@example.com>' },
    });
    expect(statuses).toEqual([
      ['delivery-1', 'pending', 'shop on prod: syncing'],
      ['delivery-1', 'success', 'shop on prod: synced (4 created, 0 configured, 0 deleted)'],
    ]);
  });

  it('runs a redelivered message once: the second delivery is a duplicate and writes no record', async () => {
    expect(await runSyncJob(job('webhook', 'delivery-1'), ports, policy, new Redactor())).toEqual({
      status: 'duplicate',
    });
    expect((await audit.query({ cluster: 'prod' })).length).toBe(1);
    expect(statuses).toEqual([]);
  });

  it('checks a detect-only app for drift on the schedule and records the drifted object without changing it', async () => {
    const deployments = sandbox.core.registry.lookup('apps', 'v1', 'deployments')!;
    const live = sandbox.core.get(deployments, 'default', 'shop')!;
    sandbox.core.persist(
      deployments,
      live,
      { ...live, spec: { ...(live.spec as object), replicas: 9 } },
      { dryRun: false },
    );
    const result = await runSyncJob(job('schedule', 'tick-1'), ports, policy, new Redactor());
    expect(result).toMatchObject({ status: 'drift-checked', outcome: 'drift' });
    const [record] = await audit.query({ cluster: 'prod', limit: 1 });
    expect(record?.changes).toEqual([
      { id: 'apps/Deployment/default/shop', action: 'skipped', reason: 'drift: .spec.replicas' },
    ]);
    expect(sandbox.core.get(deployments, 'default', 'shop')).toMatchObject({ spec: { replicas: 9 } });
    // A scheduled check posts no "pending": only its result.
    expect(statuses).toEqual([['tick-1', 'failure', 'shop on prod: drift in 1 object(s)']]);
  });

  it('records a refused app (namespace outside the allow-list) as refused, without retrying', async () => {
    const result = await runSyncJob(
      job('webhook', 'delivery-2'),
      ports,
      { allowedNamespaces: ['elsewhere'], clusterScoped: false },
      new Redactor(),
    );
    expect(result).toMatchObject({ status: 'failed', outcome: 'refused' });
    const [record] = await audit.query({ cluster: 'prod', limit: 1 });
    expect(record).toMatchObject({
      outcome: 'refused',
      error: expect.stringMatching(/namespace "default".*not allowed/),
    });
    expect((await audit.query({ cluster: 'prod' })).map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(statuses[1]).toEqual([
      'delivery-2',
      'failure',
      expect.stringMatching(/^shop on prod: refused: .*namespace "default"/),
    ]);
    expect(statuses[1]![2].length).toBeLessThanOrEqual(140);
  });

  it('never fails or retries a job because its commit status cannot be reported: it warns', async () => {
    const warnings: [string, Record<string, unknown>][] = [];
    const result = await runSyncJob(
      job('webhook', 'delivery-3'),
      {
        ...ports,
        reportStatus: async () => {
          throw new Error('GitHub said 502\nwith a second line');
        },
        warn: (message, attributes) => warnings.push([message, attributes]),
      },
      policy,
      new Redactor(),
    );
    expect(result).toMatchObject({ status: 'synced', outcome: 'succeeded', auditSeq: 4 });
    expect(warnings).toEqual([
      ['commit status not reported', { state: 'pending', error: 'Error: GitHub said 502' }],
      ['commit status not reported', { state: 'success', error: 'Error: GitHub said 502' }],
    ]);
  });

  it('records a transient failure, reports an error status, then throws for a retry', async () => {
    const result = runSyncJob(
      job('webhook', 'delivery-4'),
      {
        ...ports,
        connect: async () => {
          throw new Error('connect ECONNRESET 10.0.0.1:443');
        },
      },
      policy,
      new Redactor(),
    );
    await expect(result).rejects.toThrow('ECONNRESET');
    expect(statuses).toEqual([
      ['delivery-4', 'pending', 'shop on prod: syncing'],
      ['delivery-4', 'error', 'shop on prod: Error: connect ECONNRESET 10.0.0.1:443; will retry'],
    ]);
    const [record] = await audit.query({ cluster: 'prod', limit: 1 });
    expect(record).toMatchObject({
      seq: 5,
      commit,
      deliveryId: 'delivery-4',
      outcome: 'failed',
      failure: 'transient',
      error: 'Error: connect ECONNRESET 10.0.0.1:443',
    });
  });
  it('passes on what the API server warned of with an apply', async () => {
    const warnings: [string, Record<string, unknown>][] = [];
    await sandboxRequest(sandbox, 'DELETE', '/api/v1/namespaces/default/configmaps/shop-config');
    const warning = 'a deprecated field was used';
    sandbox.faults.add({ verb: 'apply', path: '/configmaps/shop-config$', warning, times: 1 });
    const result = await runSyncJob(
      job('webhook', 'delivery-warned'),
      { ...ports, warn: (message, attributes) => warnings.push([message, attributes]) },
      policy,
      new Redactor(),
    );
    expect(result).toMatchObject({ status: 'synced', outcome: 'succeeded' });
    expect(warnings).toEqual([
      [
        'the API server warned of applied objects',
        {
          cluster: 'prod',
          app: 'shop',
          commit,
          objects: [{ object: 'ConfigMap/default/shop-config', warnings: [warning] }],
        },
      ],
    ]);
  });
  it('leases a claim for the time the invocation has left plus 20 s, ending before SQS redelivers', async () => {
    const leases: number[] = [];
    const claims: SyncJobPorts['claims'] = {
      claim: (cluster, app, c, trigger, lease) => {
        leases.push(lease);
        return ports.claims.claim(cluster, app, c, trigger, lease);
      },
      release: (...args) => ports.claims.release(...args),
      complete: (...args) => ports.claims.complete(...args),
    };
    await runSyncJob(
      job('webhook', 'delivery-lease'),
      { ...ports, claims, remainingMs: () => 300_000 },
      policy,
      new Redactor(),
    );
    // A 5-minute function: the lease ends at 5 min 20 s, before the 5 min 30 s visibility timeout.
    expect(leases).toEqual([320]);
  });
});
