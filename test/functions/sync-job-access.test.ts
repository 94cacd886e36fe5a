import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitSources } from '../../functions/shared/git';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState } from '../../lib/adapters/aws/pipeline-state';
import { createStateTable } from '../../lib/adapters/aws/state-dynamodb';
import { runSyncJob } from '../../lib/core/pipeline';
import { Redactor } from '../../lib/core/redact';
import { localSyncPorts } from '../../lib/local/pipeline/sync-ports';
import { kubeconfigYaml, type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { commitFiles, makeWorkRepo, push, startGitFixture, tempDir } from '../helpers/git';

const dynamo = useDynamoDbLocal();

const PLUMBLINE_YAML = `version: 1
apps:
  - { name: shop, path: apps/shop, cluster: prod, namespace: default, selfHeal: false, prune: true }
`;
const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules: [{ apiGroups: [""], resources: [pods], verbs: [get] }]
`;

/** A sync job whose access entry (edit) cannot apply the app's Role: a recorded refusal, not a retry (#13). */
describe('runSyncJob with too little cluster access', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      controllerDelayMs: 10,
      limitedTokens: [
        { token: 'edit-token-123', namespaces: ['default'], policy: 'edit', user: 'sync-role' },
      ],
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('refuses before any write and records the refusal naming the field, without a redelivery', async () => {
    const gitFixture = await startGitFixture();
    try {
      const url = await gitFixture.bare('access');
      const work = await makeWorkRepo(url);
      const commit = await commitFiles(
        work,
        {
          'plumbline.yaml': PLUMBLINE_YAML,
          'apps/shop/role.yaml': ROLE,
          'apps/shop/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
        },
        'one',
      );
      await push(work);
      const stateTable = `state-access-${process.pid}`;
      await createStateTable(dynamo.client(), stateTable);
      const audit = new DynamoDbAuditStore({
        tableName: await dynamo.newAuditTable(),
        client: dynamo.client(),
      });
      const secretsFile = join(tempDir('secrets'), 'secrets.json');
      writeFileSync(secretsFile, '{}');
      const ports = {
        ...(await localSyncPorts({
          git: new GitSources([{ url, branch: 'main', provider: 'github' }], undefined, tempDir('cache')),
          repo: url,
          dynamodb: dynamo.client(),
          stateTable,
          audit,
          cluster: 'prod',
          kubeconfig: kubeconfigYaml(sandbox.url, sandbox.caCert, 'edit-token-123'),
          secretsFile,
          publish: () => undefined,
          warn: () => undefined,
        })),
        state: new DynamoDbPipelineState({ tableName: stateTable, client: dynamo.client() }),
        remainingMs: () => 600_000,
        reportStatus: async () => undefined,
      };
      sandbox.resetStats();
      const job = {
        repo: url,
        cluster: 'prod',
        app: 'shop',
        commit,
        ref: 'refs/heads/main',
        trigger: 'webhook' as const,
        triggerId: 'push-1',
      };
      const result = await runSyncJob(
        job,
        ports,
        { allowedNamespaces: ['default'], clusterScoped: false },
        new Redactor(),
      );
      expect(result).toMatchObject({ status: 'failed', outcome: 'refused' });
      const [record] = await audit.query({ cluster: 'prod', limit: 1 });
      expect(record).toMatchObject({ outcome: 'refused', deliveryId: 'push-1' });
      expect(record?.error).toContain(
        'cannot create Role (roles.rbac.authorization.k8s.io) in namespace default: needs clusters[].access: admin',
      );
      const byResource = sandbox.stats().byResource;
      const writes = Object.entries(byResource)
        .filter(([resource]) => !resource.startsWith('authorization.k8s.io/'))
        .reduce(
          (n, [, verbs]) =>
            n + ['create', 'apply', 'patch', 'update', 'delete'].reduce((m, v) => m + (verbs[v] ?? 0), 0),
          0,
        );
      expect(writes).toBe(0);
    } finally {
      await gitFixture.stop();
    }
  }, 120_000);
});
