import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbAuditStore } from '../lib/adapters/aws/audit-dynamodb';
import { KmsAuditMac } from '../lib/adapters/aws/audit-kms-mac';
import { EksClusterAccess } from '../lib/adapters/aws/cluster-access';
import { DynamoDbPipelineState } from '../lib/adapters/aws/pipeline-state';
import { SqsRedelivery } from '../lib/adapters/aws/sqs-redelivery';
import { DynamoDbInventoryStore, DynamoDbSyncClaims } from '../lib/adapters/aws/state-dynamodb';
import type { ChartKeyring, RegistryCredentials } from '../lib/adapters/charts';
import { GitHubCommitStatus } from '../lib/adapters/github/commit-status';
// Imported from its file, not the index: the index re-exports PooledKubeConfig, which would pull
// client-node into the bundle.
import { KubernetesCluster } from '../lib/adapters/kubernetes/cluster';
import { rendererFor } from '../lib/adapters/renderers';
import type { AuditStore } from '../lib/core/audit';
import { PlumblineError } from '../lib/core/errors';
import {
  afterFailure,
  JobBusyError,
  type PipelineState,
  runSyncJob,
  type SyncJob,
  type SyncJobPorts,
  type SyncJobResult,
} from '../lib/core/pipeline';
import { Redactor } from '../lib/core/redact';
import type { SecretStore } from '../lib/core/secrets';
import { createSignatureVerifier, type SignatureVerifier } from '../lib/core/signatures';
import type { InventoryStore } from '../lib/core/sync';
import { chartKeyringFromBundle } from './shared/chart-keyring';
import { chartSourceFor, clusterRegistryCredentials } from './shared/charts';
import {
  type DeployedCluster,
  type DeployedRepository,
  type Deployment,
  deploymentFromEnv,
  requiredEnv,
  sameRepository,
} from './shared/deployment';
import { clusterSecrets, eksConnector, type KubeConnection } from './shared/eks';
import { GitSources } from './shared/git';
import { errorLine, kept, once } from './shared/memo';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './shared/metric-names';
import { parseSignatureTrusts, type SignatureTrusts, signatureTrustOf } from './shared/signature-trust';
import { annotate, traced, traceInvocation } from './shared/tracing';

export interface SyncDeps {
  readonly deployment: Deployment;
  /** The job's repository; its fetch cache survives warm invocations. */
  readonly repository: (url: string) => Promise<SyncJobPorts['repo']>;
  readonly claims: SyncJobPorts['claims'];
  readonly audit: AuditStore;
  /** Last applied commits and audit records kept when an append failed (the state table). */
  readonly state: PipelineState;
  /** The app inventories of one cluster. */
  readonly inventory: (cluster: string) => InventoryStore;
  /** Production: EksClusterAccess (the cluster's role, its endpoint and an EKS token) and KubeHttp. */
  readonly connect: (cluster: DeployedCluster, job: SyncJob) => Promise<KubeConnection>;
  /** The cluster's app secrets (`plumbline/<cluster>/…`), read as the cluster's role; one store per job. */
  readonly secrets: (cluster: DeployedCluster, job: SyncJob) => SecretStore;
  /** Remote chart registry logins (Amazon ECR) as the cluster's role; omitted: anonymous pulls only. */
  readonly registryCredentials?: (cluster: DeployedCluster, job: SyncJob) => RegistryCredentials;
  /** Keys that must sign every remote chart's provenance (the deployment's chartKeyring). */
  readonly chartKeyring?: ChartKeyring;
  readonly events: EventBridgeClient;
  /** The audit HMAC key that stands in for Secret values in content hashes; read once per container. */
  readonly contentHashKey: () => Promise<string>;
  /** Trusted signing keys by repository: a repository listed must deploy signed commits. */
  readonly signatureTrust: SignatureTrusts;
  /** Where a repository with `commitStatus` gets its statuses (production: GitHub). */
  readonly commitStatus?: (repo: DeployedRepository) => CommitStatusPort;
  /** When SQS delivers a failed message again (production: SqsRedelivery); omitted: the queue's visibility timeout. */
  readonly redelivery?: Pick<SqsRedelivery, 'delay'>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** What the handler needs of GitHubCommitStatus. */
export type CommitStatusPort = Pick<GitHubCommitStatus, 'report' | 'current'>;

type LambdaContext = Pick<Context, 'getRemainingTimeInMillis'>;

const JOB_FIELDS = ['repo', 'cluster', 'app', 'commit', 'ref', 'trigger', 'triggerId'] as const;

/** A message this deployment cannot run (malformed, or naming what it does not deploy): never retried. */
class SyncMessageError extends PlumblineError {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SyncMessageError';
  }
}

function parseJob(body: string): SyncJob {
  let raw: Partial<Record<(typeof JOB_FIELDS)[number], unknown>>;
  try {
    raw = JSON.parse(body) as typeof raw;
  } catch (err: unknown) {
    throw new SyncMessageError('the sync message is not JSON', { cause: err });
  }
  for (const key of JOB_FIELDS) {
    if (typeof raw?.[key] !== 'string' || raw[key] === '') {
      throw new SyncMessageError(`sync message without ${key}`);
    }
  }
  if (raw.trigger !== 'webhook' && raw.trigger !== 'schedule') {
    throw new SyncMessageError(`sync message with unknown trigger ${JSON.stringify(raw.trigger)}`);
  }
  return raw as SyncJob;
}

/**
 * SQS FIFO (batch size 1, reportBatchItemFailures) → runSyncJob (#7). A permanent failure is
 * recorded by runSyncJob and its message deleted, so the cluster's group moves on; a transient one
 * is reported and delivered again after a backoff (lib/core/pipeline/redelivery.ts). On a FIFO
 * queue, so is every message after it in the batch, which keeps a cluster's syncs in order.
 */
export function createSyncHandler(
  deps: () => SyncDeps,
): (event: SQSEvent, context: LambdaContext) => Promise<SQSBatchResponse> {
  const verifiers = new Map<string, Promise<SignatureVerifier>>();
  let hashKey: (() => Promise<string>) | undefined;
  const verifierFor = (d: SyncDeps, url: string): Promise<SignatureVerifier> | undefined => {
    const trust = signatureTrustOf(d.signatureTrust, url);
    if (!trust) return undefined;
    return kept(verifiers, url, () => createSignatureVerifier(trust));
  };

  async function processRecord(record: SQSRecord, d: SyncDeps, context: LambdaContext): Promise<void> {
    const logger = d.logger ?? defaultLogger;
    const metrics = d.metrics ?? defaultMetrics;
    const job = parseJob(record.body);
    const cluster = d.deployment.clusters.find((k) => k.name === job.cluster);
    if (!cluster) throw new SyncMessageError(`cluster ${job.cluster} is not part of this deployment`);
    const repo = d.deployment.repositories.find((r) => sameRepository(r.url, job.repo));
    if (!repo) throw new SyncMessageError(`repository ${job.repo} is not part of this deployment`);
    // Only forward compares the commit with the head of this ref: it must be the deployed branch.
    if (job.ref !== `refs/heads/${repo.branch}`)
      throw new SyncMessageError(`sync message for ref ${job.ref}, not the branch ${repo.branch} deployed`);
    logger.appendKeys({ cluster: job.cluster, app: job.app, commit: job.commit, delivery: job.triggerId });
    annotate({
      cluster: job.cluster,
      app: job.app,
      commit: job.commit,
      trigger: job.trigger,
      delivery: job.triggerId,
    });
    hashKey ??= once(d.contentHashKey);
    const redactor = new Redactor();
    const signatures = await verifierFor(d, repo.url);
    const ports: SyncJobPorts = {
      claims: d.claims,
      repo: await d.repository(repo.url),
      renderer: (config) =>
        rendererFor(config, {
          redactor,
          charts: chartSourceFor(d.deployment, d.registryCredentials?.(cluster, job), d.chartKeyring),
        }),
      render: (renderer, repoRoot, appPath, limits) => renderer.render({ repoRoot, appPath, limits }),
      connect: async (j) => {
        const { http, principal } = await d.connect(cluster, j);
        return {
          cluster: new KubernetesCluster(http),
          inventory: d.inventory(cluster.name),
          ...(principal ? { principal } : {}),
          close: () => http.close(),
        };
      },
      secrets: { store: d.secrets(cluster, job), prefix: `plumbline/${cluster.name}/` },
      audit: d.audit,
      state: d.state,
      publish: async (detail) => {
        const out = await d.events.send(
          new PutEventsCommand({
            Entries: [{ Source: 'plumbline', DetailType: 'plumbline.sync', Detail: JSON.stringify(detail) }],
          }),
        );
        // The audit record is written: a lost event is logged, not worth a second sync.
        if (out.FailedEntryCount) logger.warn('sync event not published', { entries: out.Entries });
      },
      remainingMs: () => context.getRemainingTimeInMillis(),
      contentHashKey: await hashKey(),
      ...(signatures ? { signatures } : {}),
      ...(repo.commitStatus && d.commitStatus ? { reportStatus: statusReporter(d.commitStatus(repo)) } : {}),
      warn: (message, attributes) => logger.warn(message, attributes),
    };
    const started = Date.now();
    const result = await runSyncJob(
      job,
      ports,
      { allowedNamespaces: cluster.allowedNamespaces, clusterScoped: cluster.clusterScoped },
      redactor,
    );
    recordMetrics(metrics, result, Date.now() - started);
    logger.info('sync job finished', {
      messageId: record.messageId,
      receiveCount: record.attributes.ApproximateReceiveCount,
      status: result.status,
      outcome: result.outcome,
      auditSeq: result.auditSeq,
    });
  }

  return (event, context) => traceInvocation('sync', () => handle(event, context));
  async function handle(event: SQSEvent, context: LambdaContext): Promise<SQSBatchResponse> {
    const d = deps();
    const logger = d.logger ?? defaultLogger;
    const metrics = d.metrics ?? defaultMetrics;
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    try {
      for (const record of event.Records) {
        if (failures.length > 0) {
          failures.push({ itemIdentifier: record.messageId });
          continue;
        }
        try {
          await processRecord(record, d, context);
        } catch (err: unknown) {
          if (await failed(record, err, d, logger, metrics))
            failures.push({ itemIdentifier: record.messageId });
        } finally {
          logger.resetKeys();
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    return { batchItemFailures: failures };
  }
}

/**
 * A job that threw. Permanent: logged, counted as SyncFailed, and deleted (false) — runSyncJob has
 * recorded it when it knew the job; a message it could not even parse has no record to write.
 * Transient: counted as SyncRetried (as SyncFailed when it is given up), delivered again after a
 * backoff (true).
 */
async function failed(
  record: SQSRecord,
  err: unknown,
  d: SyncDeps,
  logger: Logger,
  metrics: Metrics,
): Promise<boolean> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const next = afterFailure(err, receiveCount);
  const fields = { messageId: record.messageId, receiveCount, error: errorLine(err) };
  if (next.action === 'drop') {
    logger.error('sync job failed permanently; message deleted', fields);
    metrics.addMetric(METRIC.syncFailed, MetricUnit.Count, 1);
    return false;
  }
  const busy = err instanceof JobBusyError;
  logger[busy ? 'warn' : 'error'](
    next.lastAttempt
      ? 'sync job failed on its last attempt; message to the dead-letter queue'
      : 'sync job will be retried',
    { ...fields, delaySeconds: next.delaySeconds },
  );
  metrics.addMetric(next.lastAttempt ? METRIC.syncFailed : METRIC.syncRetried, MetricUnit.Count, 1);
  try {
    await d.redelivery?.delay(record.receiptHandle, next.delaySeconds);
  } catch (delayErr: unknown) {
    // The message still comes back, after the queue's visibility timeout instead.
    logger.warn('sync retry delay not set', { messageId: record.messageId, error: errorLine(delayErr) });
  }
  return true;
}

/**
 * Commit statuses, context `plumbline/<cluster>/<app>`. A push's sync posts each state; a scheduled
 * check posts only a change from what the commit shows, since GitHub keeps at most 1,000 statuses per
 * commit and context and an unchanged branch head is checked every few minutes.
 */
function statusReporter(port: CommitStatusPort): NonNullable<SyncJobPorts['reportStatus']> {
  return async (job, state, description) => {
    const target = { repoUrl: job.repo, commit: job.commit, context: `plumbline/${job.cluster}/${job.app}` };
    if (job.trigger === 'schedule' && (await port.current(target)) === state) return;
    await port.report({ ...target, state, description });
  };
}

function recordMetrics(metrics: Metrics, result: SyncJobResult, durationMs: number): void {
  if (result.status === 'duplicate') return;
  metrics.addMetric(METRIC.syncDuration, MetricUnit.Milliseconds, durationMs);
  if (result.outcome === 'failed' || result.outcome === 'refused')
    metrics.addMetric(METRIC.syncFailed, MetricUnit.Count, 1);
  else if (result.outcome === 'drift') metrics.addMetric(METRIC.driftDetected, MetricUnit.Count, 1);
  else if (result.status === 'synced') metrics.addMetric(METRIC.syncSucceeded, MetricUnit.Count, 1);
}

/**
 * The trusted signing keys. The stack's esbuild `define` replaces this very expression with the
 * keys read at synth time (infra/constructs/plumbline.ts); tests set it as an environment variable.
 */
export function signatureTrustFromEnv(): SignatureTrusts {
  return parseSignatureTrusts(process.env.PLUMBLINE_SIGNATURE_TRUST);
}

async function secretString(client: SecretsManagerClient, secretId: string, what: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!out.SecretString) throw new Error(`${what} has no string value`);
  return out.SecretString;
}

const defaultLogger = new Logger({ serviceName: SERVICE_NAME });
const defaultMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

let production: SyncDeps | undefined;

/** Adapters built once per container: git caches, assumed roles and tokens survive warm invocations. */
function productionDeps(): SyncDeps {
  production ??= (() => {
    const deployment = deploymentFromEnv();
    const stateTable = requiredEnv('STATE_TABLE');
    const hmacSecretArn = requiredEnv('AUDIT_HMAC_SECRET_ARN');
    const signatureTrust = signatureTrustFromEnv();
    const ownSecrets = traced(new SecretsManagerClient({}));
    const dynamodb = traced(new DynamoDBClient({}));
    const git = new GitSources(deployment.repositories, ownSecrets);
    const access = new EksClusterAccess();
    return {
      deployment,
      repository: (url) => git.reader(url),
      claims: new DynamoDbSyncClaims({ tableName: stateTable, client: dynamodb }),
      audit: new DynamoDbAuditStore({
        tableName: requiredEnv('AUDIT_TABLE'),
        client: dynamodb,
        // Each record is MAC'd in KMS: the role may GenerateMac, never read the key (ADR 0018).
        mac: new KmsAuditMac({ keyId: requiredEnv('AUDIT_MAC_KEY_ARN'), client: traced(new KMSClient({})) }),
      }),
      state: new DynamoDbPipelineState({ tableName: stateTable, client: dynamodb }),
      inventory: (cluster) =>
        new DynamoDbInventoryStore({ tableName: stateTable, client: dynamodb }, cluster),
      connect: eksConnector(access),
      secrets: clusterSecrets(access),
      registryCredentials: clusterRegistryCredentials(access),
      ...(chartKeyringFromBundle() ? { chartKeyring: chartKeyringFromBundle() } : {}),
      events: traced(new EventBridgeClient({})),
      contentHashKey: () => secretString(ownSecrets, hmacSecretArn, 'the audit HMAC key'),
      signatureTrust,
      // GitSources keeps the token (the repository's credentials secret) for the container's life.
      commitStatus: (repo) => new GitHubCommitStatus({ token: () => git.apiToken(repo.url) }),
      redelivery: new SqsRedelivery({
        queueUrl: requiredEnv('QUEUE_URL'),
        client: traced(new SQSClient({})),
      }),
    };
  })();
  return production;
}

export const handler = createSyncHandler(productionDeps);
