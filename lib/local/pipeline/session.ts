import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DirCheckpointStore } from '../../adapters/audit/checkpoint-dir';
import { type AuditKeyFile, generateKeyFile } from '../../adapters/audit/key-file';
import { DynamoDbAuditStore } from '../../adapters/aws/audit-dynamodb';
import { createAuditTable } from '../../adapters/aws/audit-table';
import { DynamoDbPipelineState } from '../../adapters/aws/pipeline-state';
import { createStateTable } from '../../adapters/aws/state-dynamodb';
import { ChartSource } from '../../adapters/charts';
import { GitSources } from '../../adapters/git/sources';
import { checkpointClusters } from '../../core/audit';
import { type ClusterPolicy, reportOrphans, runSyncJob, type SyncJob } from '../../core/pipeline';
import { Redactor } from '../../core/redact';
import { startChartRepository } from '../charts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal } from '../dynamodb';
import { type GitPush, startGitServer } from '../git-server';
import { type Sandbox, startSandbox } from '../sandbox';
import { seedRepository, type WorkRepo } from './git-repo';
import { PushWebhooks } from './push-webhooks';
import { LocalFifo } from './queue';
import { localSyncPorts } from './sync-ports';
import { startWebhookServer } from './webhook-server';

export const LOCAL_CLUSTER = 'local';
/** The chart repository address examples/config-repo names: replaced by the served one when seeded. */
export const EXAMPLE_CHART_REPOSITORY = 'http://charts.plumbline.invalid';
const BRANCH = 'main';
/**
 * The CRD of the example is cluster-scoped, so locally the policy allows cluster-scoped objects;
 * a deployment allows them per cluster (#7). Namespaces: the example uses only `default`.
 */
export const LOCAL_POLICY: ClusterPolicy = { allowedNamespaces: ['default'], clusterScoped: true };

/** What a user needs, printed and written to .plumbline/local.json. */
export interface LocalInfo {
  readonly gitRemote: string;
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly kubeconfig: string;
  readonly auditTable: string;
  readonly dynamodbEndpoint: string;
  readonly cluster: string;
  /** This run's random record and content-hash keys (mode 0600; gone when the session stops). */
  readonly auditKeyFile: string;
  /** This run's checkpoints, written on each tick. */
  readonly auditCheckpoints: string;
}

export interface SyncLine {
  readonly job: SyncJob;
  readonly status: string;
  readonly outcome?: string;
  readonly counts?: Record<string, number>;
  readonly auditSeq?: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface LocalOptions {
  readonly exampleDir: string;
  /** A real cluster's kubeconfig (kind, k3d); default: the sandbox. */
  readonly clusterKubeconfig?: string;
  readonly log: (line: string) => void;
  readonly onSync?: (line: SyncLine) => void;
}

export interface LocalSession {
  readonly info: LocalInfo;
  readonly sandbox?: Sandbox;
  readonly work: WorkRepo;
  readonly queue: LocalFifo;
  /** The push webhooks the git server sent (#8): one signed delivery per ref a push moved. */
  readonly webhooks: PushWebhooks;
  readonly audit: DynamoDbAuditStore;
  readonly auditKey: AuditKeyFile;
  readonly checkpoints: DirCheckpointStore;
  /** The schedule's tick: a drift check (trigger 'schedule') per app at the branch head. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts every part; on a failure part-way, stops what had started and rethrows. */
export async function startLocal(options: LocalOptions): Promise<LocalSession> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const temp = mkdtempSync(join(tmpdir(), 'plumbline-local-'));
    stops.push(async () => rmSync(temp, { recursive: true, force: true }));
    const [dynamo, sandbox] = await Promise.all([
      startDynamoDbLocal(),
      options.clusterKubeconfig ? Promise.resolve(undefined) : startSandbox({ controllerDelayMs: 10 }),
    ]);
    stops.push(() => dynamo.stop());
    if (sandbox) stops.push(() => sandbox.stop());
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    stops.push(async () => client.destroy());
    const auditTable = 'plumbline-audit';
    const stateTable = 'plumbline-state';
    await Promise.all([createAuditTable(client, auditTable), createStateTable(client, stateTable)]);

    const root = join(temp, 'git');
    mkdirSync(root);
    // Like a git host, the server sends a push webhook after each push, once the endpoint is up.
    let onPush: ((push: GitPush) => Promise<void>) | undefined;
    const gitServer = await startGitServer({ root, onPush: (push) => onPush?.(push) });
    stops.push(() => gitServer.stop());
    const gitRemote = `${gitServer.url}/config.git`;
    // The example's remote chart comes from a chart repository served here, on a port chosen now:
    // its address is written into plumbline.yaml and plumbline.lock as the repository is seeded.
    const served = join(options.exampleDir, 'chart-repository');
    const chartRepo = existsSync(served) ? await startChartRepository(served) : undefined;
    if (chartRepo) stops.push(() => chartRepo.stop());
    const work = await seedRepository(
      options.exampleDir,
      root,
      temp,
      gitRemote,
      chartRepo ? { [EXAMPLE_CHART_REPOSITORY]: chartRepo.url } : {},
    );

    const git = new GitSources(
      [{ url: gitRemote, branch: BRANCH, provider: 'github' }],
      undefined,
      join(temp, 'cache'),
    );
    // Random per run, like a deployment's keys: never a constant a reader of the code could use.
    const auditKey = generateKeyFile(join(temp, 'audit-key.json'));
    // Made now, so that `audit verify --checkpoints` works before the first checkpoint.
    mkdirSync(join(temp, 'checkpoints'), { mode: 0o700 });
    const checkpoints = new DirCheckpointStore(join(temp, 'checkpoints'));
    const audit = new DynamoDbAuditStore({ tableName: auditTable, client, mac: auditKey.mac });
    const kubeconfigPath = options.clusterKubeconfig ?? sandbox?.kubeconfigPath ?? '';
    const kubeconfig = sandbox?.kubeconfig ?? readFileSync(kubeconfigPath, 'utf8');
    const last: { detail?: Record<string, unknown> } = {};
    const ports = await localSyncPorts({
      git,
      repo: gitRemote,
      dynamodb: client,
      stateTable,
      audit,
      cluster: LOCAL_CLUSTER,
      kubeconfig,
      secretsFile: join(options.exampleDir, 'secrets.json'),
      contentHashKey: auditKey.contentHashKey,
      publish: (detail) => {
        last.detail = detail;
      },
      warn: (message, attributes) => options.log(`warning: ${message} ${JSON.stringify(attributes)}`),
      ...(chartRepo
        ? { charts: new ChartSource({ allowList: [chartRepo.url], cacheDir: join(temp, 'charts') }) }
        : {}),
    });
    const redactor = new Redactor();
    const queue = new LocalFifo(async (job) => {
      const started = Date.now();
      last.detail = undefined;
      try {
        const result = await runSyncJob(job, ports, LOCAL_POLICY, redactor);
        // Set by publish during the run (the narrowing above does not see it).
        const counts = (last.detail as Record<string, unknown> | undefined)?.counts;
        options.onSync?.({
          job,
          status: result.status,
          durationMs: Date.now() - started,
          ...(result.outcome ? { outcome: result.outcome } : {}),
          ...(result.auditSeq !== undefined ? { auditSeq: result.auditSeq } : {}),
          ...(counts ? { counts: counts as Record<string, number> } : {}),
        });
      } catch (err: unknown) {
        const error = redactor.redact(err instanceof Error ? err.message.split('\n')[0]! : String(err));
        options.onSync?.({ job, status: 'error', durationMs: Date.now() - started, error });
      }
    });

    const webhookSecret = randomBytes(24).toString('hex');
    const webhook = await startWebhookServer({
      secret: webhookSecret,
      repo: gitRemote,
      branch: BRANCH,
      cluster: LOCAL_CLUSTER,
      loadConfig: (commit) => git.repoConfig.load(gitRemote, commit),
      changedPaths: (before, after) => git.changedPaths(gitRemote, before, after),
      enqueue: (job) => queue.enqueue(job),
      log: options.log,
    });
    stops.push(() => webhook.stop());
    // Jobs still running use the parts above: let them finish before those stop.
    stops.push(() => queue.drained());
    const webhooks = new PushWebhooks({
      url: webhook.url,
      secret: webhookSecret,
      home: join(temp, '.home'),
      log: options.log,
    });
    onPush = (push) => (push.url === gitRemote ? webhooks.deliver(push) : Promise.resolve());
    // Deliveries in flight enqueue jobs: they finish before the queue is drained.
    stops.push(async () => {
      onPush = undefined;
      await webhooks.settled();
    });

    let ticks = 0;
    const tick = async (): Promise<number> => {
      // As the reconcile function does: the chain head as this tick finds it, signed.
      const run = await checkpointClusters([LOCAL_CLUSTER], audit, checkpoints, auditKey.mac);
      for (const f of run.failed) options.log(`warning: audit checkpoint not written: ${f.error}`);
      const head = await git.branchHead(gitRemote, BRANCH);
      const config = await git.repoConfig.load(gitRemote, head);
      const id = `schedule-${Date.now()}-${++ticks}`;
      const apps = config.apps.filter((a) => a.cluster === LOCAL_CLUSTER);
      for (const app of apps)
        queue.enqueue({
          repo: gitRemote,
          cluster: LOCAL_CLUSTER,
          app: app.name,
          commit: head,
          ref: `refs/heads/${BRANCH}`,
          trigger: 'schedule',
          triggerId: id,
        });
      // As the reconcile function does: apps removed from plumbline.yaml are reported as orphaned.
      await reportOrphans(
        {
          state: new DynamoDbPipelineState({ tableName: stateTable, client }),
          audit,
          warn: (message, attributes) => options.log(`warning: ${message} ${JSON.stringify(attributes)}`),
        },
        new Map([[LOCAL_CLUSTER, new Set(apps.map((a) => a.name))]]),
        { triggerId: id, repo: gitRemote, commit: head },
      );
      return apps.length;
    };
    const info: LocalInfo = {
      gitRemote,
      webhookUrl: webhook.url,
      webhookSecret,
      kubeconfig: kubeconfigPath,
      auditTable,
      dynamodbEndpoint: dynamo.endpoint,
      cluster: LOCAL_CLUSTER,
      auditKeyFile: auditKey.path,
      auditCheckpoints: checkpoints.dir,
    };
    return {
      info,
      ...(sandbox ? { sandbox } : {}),
      work,
      queue,
      webhooks,
      audit,
      auditKey,
      checkpoints,
      tick,
      stop,
    };
  } catch (err: unknown) {
    await stop();
    throw err;
  }
}

/** Writes the session's info where scripts and the README look for it. */
export function writeLocalInfo(file: string, info: LocalInfo): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}
