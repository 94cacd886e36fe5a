import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitSources } from '../../functions/shared/git';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { createStateTable } from '../../lib/adapters/aws/state-dynamodb';
import { runSyncJob, type SyncJobPorts } from '../../lib/core/pipeline';
import { Redactor } from '../../lib/core/redact';
import { localSyncPorts } from '../../lib/local/pipeline/sync-ports';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import {
  commitFiles,
  type GitFixture,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';

const dynamo = useDynamoDbLocal();

const PLUMBLINE_YAML = `version: 1
apps:
  - name: shop
    path: apps/shop
    cluster: prod
    namespace: default
    prune: true
    pruneShare: 20
    pruneAdopted: true
  - name: blank
    path: apps/blank
    cluster: prod
    namespace: default
    allowEmpty: true
`;

function configMap(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
}

/**
 * The sync Lambda's pipeline honours the prune settings of plumbline.yaml (allowEmpty, pruneAdopted,
 * pruneShare) as `plumbline sync --repo` does: real git server, sandbox, DynamoDB Local.
 */
describe('runSyncJob prune settings', () => {
  let sandbox: Sandbox;
  let gitFixture: GitFixture;
  let work: WorkRepo;
  let url: string;
  let ports: SyncJobPorts;
  let delivery = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    gitFixture = await startGitFixture();
    url = await gitFixture.bare('config');
    work = await makeWorkRepo(url);
    const stateTable = `state-prune-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    const audit = new DynamoDbAuditStore({
      tableName: await dynamo.newAuditTable(),
      client: dynamo.client(),
    });
    const git = new GitSources(
      [{ url, branch: 'main', provider: 'github' }],
      undefined,
      tempDir('git-cache'),
    );
    const secretsFile = join(tempDir('secrets'), 'secrets.json');
    writeFileSync(secretsFile, '{}');
    ports = {
      ...(await localSyncPorts({
        git,
        repo: url,
        dynamodb: dynamo.client(),
        stateTable,
        audit,
        cluster: 'prod',
        kubeconfig: sandbox.kubeconfig,
        secretsFile,
        publish: () => undefined,
      })),
      remainingMs: () => 600_000,
      reportStatus: async () => {},
    };
  });
  afterAll(async () => {
    await gitFixture.stop();
    await sandbox.stop();
  });

  const configMaps = () => sandbox.core.registry.lookup('', 'v1', 'configmaps')!;
  const exists = (name: string) => sandbox.core.get(configMaps(), 'default', name) !== undefined;
  const policy = { allowedNamespaces: ['default'], clusterScoped: false };

  async function syncCommit(app: string, files: Record<string, string | null>) {
    const commit = await commitFiles(work, files);
    await push(work);
    delivery += 1;
    return runSyncJob(
      {
        repo: url,
        cluster: 'prod',
        app,
        commit,
        ref: 'refs/heads/main',
        trigger: 'webhook',
        triggerId: `delivery-${delivery}`,
      },
      ports,
      policy,
      new Redactor(),
    );
  }

  it('keeps objects past the app pruneShare, and prunes an adopted object when pruneAdopted is set', async () => {
    // An object that existed before the app: adopted at the first sync.
    sandbox.core.persist(
      configMaps(),
      undefined,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pre', namespace: 'default' },
        data: { k: 'v' },
      },
      { dryRun: false },
    );
    const names = ['a', 'b', 'c', 'd', 'e', 'pre'];
    const first: Record<string, string> = {
      'plumbline.yaml': PLUMBLINE_YAML,
      'apps/blank/README.yaml': '# nothing yet\n',
    };
    for (const n of names) first[`apps/shop/${n}.yaml`] = configMap(n);
    expect(await syncCommit('shop', first)).toMatchObject({ status: 'synced' });

    // 2 of 6 is more than the app's pruneShare of 20%: nothing is deleted.
    const second = await syncCommit('shop', { 'apps/shop/d.yaml': null, 'apps/shop/e.yaml': null });
    expect(exists('d')).toBe(true);
    expect(exists('e')).toBe(true);
    expect(second).toMatchObject({ status: 'synced' });

    // Back to all but the adopted one: 1 of 6 is within the share, and pruneAdopted lets it go.
    await syncCommit('shop', { 'apps/shop/d.yaml': configMap('d'), 'apps/shop/e.yaml': configMap('e') });
    const fourth = await syncCommit('shop', { 'apps/shop/pre.yaml': null });
    expect(fourth).toMatchObject({ status: 'synced' });
    expect(exists('pre')).toBe(false);
  });

  it('syncs an empty render of an app that sets allowEmpty', async () => {
    const result = await syncCommit('blank', { 'apps/blank/README.yaml': '# still nothing\n' });
    expect(result).toMatchObject({ status: 'synced', outcome: 'succeeded' });
  });
});
