import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyFile } from '../../lib/adapters/audit/key-file';
import { DynamoDbPipelineState } from '../../lib/adapters/aws/pipeline-state';
import { createStateTable, DynamoDbInventoryStore } from '../../lib/adapters/aws/state-dynamodb';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { sandboxRequest } from '../helpers/http';

const dynamo = useDynamoDbLocal();

/** prune-app on an app the Lambda functions synced: its inventory is in the state table (#14 finding 4). */
describe('plumbline prune-app --state-table', () => {
  let sandbox: Sandbox;
  const table = `state-prune-${process.pid}`;
  beforeAll(async () => {
    sandbox = await startSandbox();
    await createStateTable(dynamo.client(), table);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('deletes what the DynamoDB inventory holds, keeps what the app adopted, and then keeps only that', async () => {
    for (const name of ['lam-a', 'lam-b', 'lam-theirs'])
      await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
        body: JSON.stringify({
          metadata: { name, labels: { 'plumbline.dev/app': 'lam' } },
          data: { k: 'v' },
        }),
      });
    const store = new DynamoDbInventoryStore({ tableName: table, client: dynamo.client() }, 'prod');
    const id = (name: string) => ({ group: '', kind: 'ConfigMap', namespace: 'default', name });
    await store.save(
      'lam',
      'default',
      {
        entries: [
          { id: id('lam-a'), origin: 'created' },
          { id: id('lam-b'), origin: 'created' },
          { id: id('lam-theirs'), origin: 'adopted' },
        ],
      },
      { dryRun: false, expected: undefined },
    );
    // The app's name on the cluster, held by the repository it was deployed from.
    const state = new DynamoDbPipelineState({ tableName: table, client: dynamo.client() });
    await state.setLastApplied('prod', 'lam', 'a'.repeat(40), 'https://git.example.com/platform.git');
    const args = ['prune-app', '--app', 'lam', '--kubeconfig', sandbox.kubeconfigPath];
    const dynamoArgs = [
      '--state-table',
      table,
      '--cluster',
      'prod',
      '--endpoint',
      dynamo.endpoint(),
      '-o',
      'json',
    ];
    const run = await runCli([...args, ...dynamoArgs]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      changes: { subject: string; action: string }[];
      inventoryRemoved: boolean;
    };
    expect(
      out.changes
        .filter((c) => c.action === 'deleted')
        .map((c) => c.subject)
        .sort(),
    ).toEqual(['ConfigMap/default/lam-a', 'ConfigMap/default/lam-b']);
    expect(out.inventoryRemoved).toBe(false);
    expect(
      (await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/configmaps/lam-theirs')).status,
    ).toBe(200);
    expect((await store.load('lam'))?.inventory.entries).toEqual([
      { id: id('lam-theirs'), origin: 'adopted' },
    ]);

    expect((await state.lastApplied('prod', 'lam'))?.repo).toBe('https://git.example.com/platform.git');
    const all = await runCli([...args, '--prune-adopted', ...dynamoArgs]);
    expect(all.code).toBe(0);
    expect(await store.load('lam')).toBeUndefined();
    // Gone with the inventory: another repository may now deploy an app of that name.
    expect((await state.lastApplied('prod', 'lam'))?.repo).toBeUndefined();
    expect(await state.lastApplied('prod', 'lam')).toBeUndefined();
    // Bad input: refused before any request, exit 2.
    const bad = await runCli([...args, '--state-table', table, '--endpoint', dynamo.endpoint()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --state-table needs --cluster C (the inventory is kept per cluster)\n');
  });

  it('records the deletions in the audit trail with --audit-table, and refuses before any request when it cannot', async () => {
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({
        metadata: { name: 'gone-a', labels: { 'plumbline.dev/app': 'gone' } },
        data: { k: 'v' },
      }),
    });
    const store = new DynamoDbInventoryStore({ tableName: table, client: dynamo.client() }, 'prod');
    const id = { group: '', kind: 'ConfigMap', namespace: 'default', name: 'gone-a' };
    await store.save(
      'gone',
      'default',
      { entries: [{ id, origin: 'created' }] },
      { dryRun: false, expected: undefined },
    );
    const home = mkdtempSync(join(tmpdir(), 'prune-app-audit-'));
    const keyFile = join(home, 'key.json');
    generateKeyFile(keyFile);
    const auditTable = await dynamo.newAuditTable();
    const args = [
      'prune-app',
      '--app',
      'gone',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--state-table',
      table,
      '--cluster',
      'prod',
      '--endpoint',
      dynamo.endpoint(),
      '--key-file',
      keyFile,
      '--audit-outbox',
      join(home, 'outbox'),
    ];
    sandbox.resetStats();
    const refused = await runCli([...args, '--audit-table', 'nope']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: audit table nope does not exist/);
    expect(sandbox.stats().total).toBe(0);

    const run = await runCli([...args, '--audit-table', auditTable, '-o', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ auditSeq: 1 });
    const query = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--table',
      auditTable,
      '--endpoint',
      dynamo.endpoint(),
      '-o',
      'json',
    ]);
    const records = (JSON.parse(query.stdout) as { records: { app: string; changes: unknown[] }[] }).records;
    expect(records).toEqual([
      expect.objectContaining({
        app: 'gone',
        outcome: 'succeeded',
        changes: [expect.objectContaining({ id: '/ConfigMap/default/gone-a', action: 'deleted' })],
      }),
    ]);
    const verify = await runCli([
      'audit',
      'verify',
      '--cluster',
      'prod',
      '--table',
      auditTable,
      '--endpoint',
      dynamo.endpoint(),
      '--key-file',
      keyFile,
    ]);
    expect(verify.code).toBe(0);
  });
});
