import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbAuditStore } from '../lib/adapters/aws/audit-dynamodb';
import { EksClusterAccess } from '../lib/adapters/aws/cluster-access';
import { SecretsManagerStore } from '../lib/adapters/aws/secrets-manager';
import { DynamoDbInventoryStore, DynamoDbSyncClaims } from '../lib/adapters/aws/state-dynamodb';
// Imported from their files, not the index: the index re-exports PooledKubeConfig, which would
// pull client-node into the bundle.
import { KubernetesCluster } from '../lib/adapters/kubernetes/cluster';
import { KubeHttp } from '../lib/adapters/kubernetes/http';
import { rendererFor } from '../lib/adapters/renderers';
import { JobBusyError, runSyncJob, type SyncJob, type SyncJobPorts } from '../lib/core/pipeline';
import { Redactor } from '../lib/core/redact';
import { DEFAULT_RENDER_LIMITS } from '../lib/core/render';
import { type Deployment, deploymentFromEnv, requiredEnv } from './shared/deployment';
import { GitSources } from './shared/git';
import { SERVICE_NAME } from './shared/metric-names';

const logger = new Logger({ serviceName: SERVICE_NAME });

interface Container {
  readonly deployment: Deployment;
  readonly git: GitSources;
  readonly access: EksClusterAccess;
  readonly claims: DynamoDbSyncClaims;
  readonly audit: DynamoDbAuditStore;
  readonly secrets: SecretsManagerStore;
  readonly events: EventBridgeClient;
  readonly stateTable: string;
}

let container: Container | undefined;

/** Adapters built once per container: git caches, assumed roles and tokens survive warm invocations. */
function containerOf(): Container {
  container ??= (() => {
    const deployment = deploymentFromEnv();
    const stateTable = requiredEnv('STATE_TABLE');
    return {
      deployment,
      git: new GitSources(deployment.repositories),
      access: new EksClusterAccess(),
      claims: new DynamoDbSyncClaims({ tableName: stateTable }),
      audit: new DynamoDbAuditStore({ tableName: requiredEnv('AUDIT_TABLE') }),
      secrets: new SecretsManagerStore(),
      events: new EventBridgeClient({}),
      stateTable,
    };
  })();
  return container;
}

function parseJob(body: string): SyncJob {
  const raw = JSON.parse(body) as Partial<SyncJob>;
  for (const key of ['repo', 'cluster', 'app', 'commit', 'ref', 'trigger', 'triggerId'] as const) {
    if (typeof raw[key] !== 'string' || raw[key] === '') throw new Error(`sync message without ${key}`);
  }
  return raw as SyncJob;
}

async function processRecord(
  body: string,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<void> {
  const c = containerOf();
  const job = parseJob(body);
  const cluster = c.deployment.clusters.find((k) => k.name === job.cluster);
  if (!cluster) throw new Error(`cluster ${job.cluster} is not part of this deployment`);
  logger.appendKeys({ cluster: job.cluster, app: job.app, commit: job.commit, delivery: job.triggerId });
  const redactor = new Redactor();
  const ports: SyncJobPorts = {
    claims: c.claims,
    repo: await c.git.reader(job.repo),
    renderer: (config) => rendererFor(config, { redactor }),
    render: (renderer, repoRoot, appPath) =>
      renderer.render({ repoRoot, appPath, limits: DEFAULT_RENDER_LIMITS }),
    connect: async (j) => {
      const kc = await c.access.kubeConfig(
        { name: cluster.name, region: cluster.region, roleArn: cluster.roleArn },
        { app: j.app, commit: j.commit },
      );
      const http = new KubeHttp(kc);
      return {
        cluster: new KubernetesCluster(http),
        inventory: new DynamoDbInventoryStore({ tableName: c.stateTable }, cluster.name),
        close: () => http.close(),
      };
    },
    secrets: { store: c.secrets, prefix: `plumbline/${cluster.name}/` },
    audit: c.audit,
    publish: async (detail) => {
      await c.events.send(
        new PutEventsCommand({
          Entries: [{ Source: 'plumbline', DetailType: 'plumbline.sync', Detail: JSON.stringify(detail) }],
        }),
      );
    },
    remainingMs: () => context.getRemainingTimeInMillis(),
  };
  const result = await runSyncJob(
    job,
    ports,
    { allowedNamespaces: cluster.allowedNamespaces, clusterScoped: cluster.clusterScoped },
    redactor,
  );
  logger.info('sync job finished', {
    status: result.status,
    outcome: result.outcome,
    auditSeq: result.auditSeq,
  });
}

/** SQS FIFO, batch size 1, reportBatchItemFailures: a message that fails is delivered again. */
export async function handler(
  event: SQSEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await processRecord(record.body, context);
    } catch (err: unknown) {
      const busy = err instanceof JobBusyError;
      logger[busy ? 'warn' : 'error']('sync job will be retried', {
        messageId: record.messageId,
        error: err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : 'unknown',
      });
      failures.push({ itemIdentifier: record.messageId });
    } finally {
      logger.resetKeys();
    }
  }
  return { batchItemFailures: failures };
}
