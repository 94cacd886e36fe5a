import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitSources } from '../../functions/shared/git';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState } from '../../lib/adapters/aws/pipeline-state';
import { createStateTable } from '../../lib/adapters/aws/state-dynamodb';
import type { AuditStore } from '../../lib/core/audit';
import { runSyncJob, type SyncJob, type SyncJobPorts } from '../../lib/core/pipeline';
import { Redactor } from '../../lib/core/redact';
import { localSyncPorts } from '../../lib/local/pipeline/sync-ports';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import {
  commitFiles,
  forcePush,
  git,
  makeWorkRepo,
  push,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';

const dynamo = useDynamoDbLocal();

const PLUMBLINE_YAML = `version: 1
apps:
  - { name: shop, path: apps/shop, cluster: prod, namespace: default, selfHeal: false, prune: true }
`;
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-config\ndata:\n  value: "${value}"\n`;
const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports: [{ port: 80 }]
`;
const policy = { allowedNamespaces: ['default'], clusterScoped: false };

/**
 * Issue 14, findings 6 and 8, through the sync Lambda's pipeline on real parts: the git server,
 * the sandbox, DynamoDB Local. The tests run in order: each starts from the cluster the last left.
 */
describe('runSyncJob (only forward, every attempt recorded)', () => {
  let sandbox: Sandbox;
  let stopGit: () => Promise<void>;
  let url: string;
  let work: WorkRepo;
  let stateTable: string;
  let audit: DynamoDbAuditStore;
  let state: DynamoDbPipelineState;
  const commits: string[] = [];
  const statuses: [string, string, string][] = [];
  const warnings: [string, Record<string, unknown>][] = [];

  /** The sync function's ports; each call has its own git cache, as a new container would. */
  async function portsWith(overrides: Partial<SyncJobPorts> = {}): Promise<SyncJobPorts> {
    const git = new GitSources([{ url, branch: 'main', provider: 'github' }], undefined, tempDir('cache'));
    const secretsFile = join(tempDir('secrets'), 'secrets.json');
    writeFileSync(secretsFile, '{}');
    return {
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
        warn: (message, attributes) => warnings.push([message, attributes]),
      })),
      state,
      remainingMs: () => 600_000,
      reportStatus: async (j, s, description) => {
        statuses.push([j.triggerId, s, description]);
      },
      ...overrides,
    };
  }
  const job = (commit: string, triggerId: string, trigger: SyncJob['trigger'] = 'webhook'): SyncJob => ({
    repo: url,
    cluster: 'prod',
    app: 'shop',
    commit,
    ref: 'refs/heads/main',
    trigger,
    triggerId,
  });
  const run = async (j: SyncJob, overrides: Partial<SyncJobPorts> = {}, p = policy) =>
    runSyncJob(j, await portsWith(overrides), p, new Redactor());
  const live = () => ({
    value: (
      sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'configmaps')!, 'default', 'shop-config') as
        | { data?: { value?: string } }
        | undefined
    )?.data?.value,
    service:
      sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'services')!, 'default', 'shop') !== undefined,
  });
  const latest = async () => (await audit.query({ cluster: 'prod', limit: 1 }))[0];
  const commitAndPush = async (files: Parameters<typeof commitFiles>[1], message: string) => {
    const sha = await commitFiles(work, files, message);
    await push(work);
    commits.push(sha);
    return sha;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    const gitFixture = await startGitFixture();
    stopGit = () => gitFixture.stop();
    url = await gitFixture.bare('trust');
    work = await makeWorkRepo(url);
    stateTable = `state-trust-${process.pid}`;
    await createStateTable(dynamo.client(), stateTable);
    audit = new DynamoDbAuditStore({ tableName: await dynamo.newAuditTable(), client: dynamo.client() });
    state = new DynamoDbPipelineState({ tableName: stateTable, client: dynamo.client() });
    await commitAndPush(
      {
        'plumbline.yaml': PLUMBLINE_YAML,
        'apps/shop/cm.yaml': configMap('one'),
        'apps/shop/svc.yaml': SERVICE,
      },
      'one',
    );
  }, 60_000);
  beforeEach(() => {
    statuses.length = 0;
    warnings.length = 0;
  });
  afterAll(async () => {
    await stopGit();
    await sandbox.stop();
  });

  describe('only forward (finding 6)', () => {
    it('applies the branch head and keeps it as the last commit applied to the app', async () => {
      expect(await run(job(commits[0]!, 'push-1'))).toMatchObject({ status: 'synced', outcome: 'succeeded' });
      expect(live()).toEqual({ value: 'one', service: true });
      expect((await state.lastApplied('prod', 'shop'))?.commit).toBe(commits[0]);
    });

    it('skips a delivery three commits behind the head: nothing changes, and a stale record names the commits', async () => {
      await commitAndPush({ 'apps/shop/cm.yaml': configMap('two') }, 'two');
      await commitAndPush({ 'apps/shop/svc.yaml': null }, 'three: no Service');
      const head = await commitAndPush({ 'apps/shop/cm.yaml': configMap('four') }, 'four');
      expect(await run(job(head, 'push-4'))).toMatchObject({ status: 'synced', outcome: 'succeeded' });
      expect(live()).toEqual({ value: 'four', service: false });
      const seq = (await latest())?.seq ?? 0;

      // The first push, delivered again (GitHub's Redeliver, or an out-of-order delivery).
      const stale = await run(job(commits[0]!, 'push-1-again'));
      expect(stale).toEqual({ status: 'stale', outcome: 'stale', auditSeq: seq + 1 });
      expect(live()).toEqual({ value: 'four', service: false });
      const record = await latest();
      expect(record).toMatchObject({
        seq: seq + 1,
        outcome: 'stale',
        commit: commits[0],
        counts: { created: 0 },
      });
      expect(record?.reason).toContain(`not the head of refs/heads/main (${head})`);
      expect(record?.reason).toContain(`nor a descendant of the last commit applied (${head})`);
      expect(statuses.at(-1)).toEqual([
        'push-1-again',
        'failure',
        'shop on prod: skipped, stale: the cluster runs a newer commit',
      ]);
      expect((await state.lastApplied('prod', 'shop'))?.commit).toBe(head);
      // The claim completed: the same message again is a duplicate, with no second record.
      expect(await run(job(commits[0]!, 'push-1-again'))).toEqual({ status: 'duplicate' });
      expect((await latest())?.seq).toBe(seq + 1);
    });

    it('skips a redelivered push of a commit between the one applied and the head', async () => {
      expect(await run(job(commits[1]!, 'push-2'))).toMatchObject({ status: 'stale' });
      expect(live()).toEqual({ value: 'four', service: false });
      expect(await latest()).toMatchObject({ outcome: 'stale', commit: commits[1], deliveryId: 'push-2' });
    });

    it('applies a descendant of the last commit applied that is no longer the head, from a cold shallow cache', async () => {
      const five = await commitAndPush({ 'apps/shop/cm.yaml': configMap('five') }, 'five');
      const six = await commitAndPush({ 'apps/shop/cm.yaml': configMap('six') }, 'six');
      expect(await run(job(five, 'push-5'))).toMatchObject({ status: 'synced', outcome: 'succeeded' });
      expect(live().value).toBe('five');
      expect((await state.lastApplied('prod', 'shop'))?.commit).toBe(five);
      expect(await run(job(six, 'push-6'))).toMatchObject({ status: 'synced', outcome: 'succeeded' });
      expect(live().value).toBe('six');
    });

    it('does not apply a commit a force-push dropped, though it descends from the last commit applied', async () => {
      const six = commits.at(-1)!;
      // One container's warm cache, which still holds the dropped commit.
      const warm = await portsWith();
      const dropped = await commitAndPush({ 'apps/shop/cm.yaml': configMap('dropped') }, 'dropped');
      expect(await runSyncJob(job(dropped, 'push-dropped'), warm, policy, new Redactor())).toMatchObject({
        status: 'synced',
      });
      await git(work.dir, ['reset', '-q', '--hard', six]);
      await forcePush(work);
      commits.push(six);
      expect(await runSyncJob(job(six, 'push-back-to-six'), warm, policy, new Redactor())).toMatchObject({
        status: 'synced',
      });
      expect(live().value).toBe('six');
      const late = await runSyncJob(job(dropped, 'push-dropped-late'), warm, policy, new Redactor());
      expect(late).toMatchObject({ status: 'stale' });
      expect((await latest())?.reason).toContain(
        `is no longer on it, though it descends from the last commit applied (${six})`,
      );
      expect(live().value).toBe('six');
    });

    it('treats a commit whose ancestry cannot be decided as stale, and says why', async () => {
      const six = commits.at(-1)!;
      const unknown = 'f'.repeat(40);
      await state.setLastApplied('prod', 'shop', unknown);
      try {
        expect(await run(job(commits[4]!, 'push-5-again'))).toMatchObject({ status: 'stale' });
        expect((await latest())?.reason).toMatch(
          new RegExp(
            `last commit applied \\(${unknown}\\) cannot be decided: commit ${unknown} is not among`,
          ),
        );
        expect(live().value).toBe('six');
      } finally {
        await state.setLastApplied('prod', 'shop', six);
      }
    });
  });

  describe('every attempt recorded (finding 8)', () => {
    it('records a drift check refused by the allow-list, rather than throwing for a retry', async () => {
      const result = await run(
        job(commits.at(-1)!, 'tick-refused', 'schedule'),
        {},
        {
          allowedNamespaces: ['elsewhere'],
          clusterScoped: false,
        },
      );
      expect(result).toMatchObject({ status: 'failed', outcome: 'refused' });
      expect(await latest()).toMatchObject({
        outcome: 'refused',
        trigger: 'schedule',
        deliveryId: 'tick-refused',
        error: expect.stringMatching(/namespace "default".*not allowed/),
      });
    });

    it('keeps the record of a sync whose append failed, and appends it before the next job of the app', async () => {
      const seven = await commitAndPush({ 'apps/shop/cm.yaml': configMap('seven') }, 'seven');
      let failures = 1;
      const flaky: AuditStore = {
        append: (cluster, draft) =>
          failures-- > 0
            ? Promise.reject(new Error('ServiceUnavailable: try again'))
            : audit.append(cluster, draft),
        query: (q) => audit.query(q),
        head: (c) => audit.head(c),
        scan: (c, o) => audit.scan(c, o),
      };
      const before = (await latest())?.seq ?? 0;
      const result = await run(job(seven, 'push-7'), { audit: flaky });
      // The cluster changed and the job is done; its record waits in the state table.
      expect(result).toEqual({ status: 'synced', outcome: 'succeeded' });
      expect(live().value).toBe('seven');
      expect(await audit.query({ cluster: 'prod', commit: seven })).toEqual([]);
      expect(await state.kept('prod', 'shop')).toHaveLength(1);
      expect(warnings.map(([m]) => m)).toContain(
        'audit record not appended: kept in the state table for the next job of the app',
      );

      // The next job of the app (the schedule's drift check) appends it first, then its own.
      expect(await run(job(seven, 'tick-7', 'schedule'))).toMatchObject({ status: 'drift-checked' });
      const [own, kept] = await audit.query({ cluster: 'prod', limit: 2 });
      expect(kept).toMatchObject({
        seq: before + 1,
        commit: seven,
        deliveryId: 'push-7',
        outcome: 'succeeded',
        counts: { configured: 1 },
      });
      expect(own).toMatchObject({ seq: before + 2, deliveryId: 'tick-7', outcome: 'succeeded' });
      expect(await state.kept('prod', 'shop')).toEqual([]);
      expect(warnings.map(([m]) => m)).toContain('kept audit record appended');
    });

    it('appends a kept record once, even when releasing it failed after the append', async () => {
      const eight = await commitAndPush({ 'apps/shop/cm.yaml': configMap('eight') }, 'eight');
      let appendFailures = 1;
      const flaky: AuditStore = {
        append: (cluster, draft) =>
          appendFailures-- > 0
            ? Promise.reject(new Error('ServiceUnavailable'))
            : audit.append(cluster, draft),
        query: (q) => audit.query(q),
        head: (c) => audit.head(c),
        scan: (c, o) => audit.scan(c, o),
      };
      expect(await run(job(eight, 'push-8'), { audit: flaky })).toEqual({
        status: 'synced',
        outcome: 'succeeded',
      });
      let releaseFailures = 1;
      const sticky = Object.create(state) as DynamoDbPipelineState;
      sticky.release = (cluster, app, key) =>
        releaseFailures-- > 0
          ? Promise.reject(new Error('ProvisionedThroughputExceeded'))
          : state.release(cluster, app, key);
      // The next job appends the kept record, fails to release it, and is retried (recorded as transient).
      await expect(run(job(eight, 'tick-8', 'schedule'), { state: sticky })).rejects.toThrow(
        'ProvisionedThroughputExceeded',
      );
      expect(await run(job(eight, 'tick-8-again', 'schedule'), { state: sticky })).toMatchObject({
        status: 'drift-checked',
      });
      const ofPush = (await audit.query({ cluster: 'prod', commit: eight })).filter(
        (r) => r.deliveryId === 'push-8',
      );
      expect(ofPush).toHaveLength(1);
      expect(await state.kept('prod', 'shop')).toEqual([]);
    });
  });
  it('refuses an app whose name on the cluster another repository holds, and touches nothing', async () => {
    const before = live();
    const head = commits[commits.length - 1]!;
    // The same app name from a second repository: both would share shop's inventory and labels.
    const other = { ...job(head, 'other-repo'), repo: `${url}-fork` };
    expect((await state.lastApplied('prod', 'shop'))?.repo).toBe(url);
    sandbox.resetStats();
    expect(await run(other)).toEqual({ status: 'failed', outcome: 'refused', auditSeq: expect.any(Number) });
    expect(await latest()).toMatchObject({
      outcome: 'refused',
      deliveryId: 'other-repo',
      error: expect.stringContaining(
        `app shop on cluster prod is deployed from ${url}; another repository may not`,
      ),
    });
    expect(live()).toEqual(before);
    // Refused before connecting: not one request reached the cluster.
    expect(sandbox.stats().byVerb).toEqual({});
    expect((await state.lastApplied('prod', 'shop'))?.commit).toBe(head);
  });
});
