import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { DynamoDbAuditStore } from '../lib/adapters/aws/audit-dynamodb';
import { KmsAuditMac } from '../lib/adapters/aws/audit-kms-mac';
import { DynamoDbPipelineState } from '../lib/adapters/aws/pipeline-state';
import type { AuditStore, CheckpointRun } from '../lib/core/audit';
// From its file: the pipeline's index would bring the sync engine into this bundle.
import { type OrphanState, reportOrphans } from '../lib/core/pipeline/orphans';
import { auditCheckpointer } from './shared/checkpoints';
import { type Deployment, deploymentFromEnv, requiredEnv } from './shared/deployment';
import { GitSources } from './shared/git';
import { CHECKPOINT_FAILED_MESSAGE, REPOSITORY_SKIPPED_MESSAGE, SERVICE_NAME } from './shared/metric-names';
import type { BranchHead, RepoConfigSource } from './shared/ports';
import { enqueue, type SyncMessage } from './shared/queue';
import { annotate, traced, traceInvocation } from './shared/tracing';

export interface ReconcileDeps {
  readonly deployment: Deployment;
  readonly queueUrl: string;
  readonly sqs: SQSClient;
  readonly repoConfig: RepoConfigSource;
  readonly branchHead: BranchHead;
  /** Where apps removed from plumbline.yaml are found (inventories) and reported (#14). */
  readonly orphans?: { readonly state: OrphanState; readonly audit: AuditStore };
  /** Signs and stores each cluster's audit chain head that moved (ADR 0018); production: checkpoints.ts. */
  readonly checkpoint?: (clusters: readonly string[]) => Promise<CheckpointRun>;
  readonly logger?: Logger;
}

export interface ReconcileResult {
  readonly enqueued: number;
  /** Repositories whose head or plumbline.yaml could not be read: retried on the next tick. */
  readonly failedRepositories: readonly string[];
  /** Apps reported as orphaned on this tick. */
  readonly orphaned?: number;
}

/**
 * The schedule → one drift-check message per app per cluster, read from each repository's
 * plumbline.yaml at its branch head. A repository that fails does not stop the others.
 */
export function createReconcileHandler(
  deps: () => ReconcileDeps,
): (event: ScheduledEvent) => Promise<ReconcileResult> {
  return (event) => traceInvocation('reconcile', () => reconcile(event));
  async function reconcile(event: ScheduledEvent): Promise<ReconcileResult> {
    annotate({ schedule: event.id });
    const d = deps();
    const logger = d.logger ?? defaultLogger;
    logger.resetKeys();
    logger.appendKeys({ scheduleId: event.id });
    const clusters = new Set(d.deployment.clusters.map((c) => c.name));
    const messages: SyncMessage[] = [];
    const failedRepositories: string[] = [];
    // Every cluster, also one whose last app was removed: its inventories are orphans.
    const declared = new Map([...clusters].map((c) => [c, new Set<string>()]));
    const heads: { repo: string; commit: string }[] = [];
    for (const repo of d.deployment.repositories) {
      try {
        const commit = await d.branchHead(repo.url, repo.branch);
        const config = await d.repoConfig.load(repo.url, commit);
        heads.push({ repo: repo.url, commit });
        for (const app of config.apps) {
          declared.get(app.cluster)?.add(app.name);
          if (!clusters.has(app.cluster)) {
            logger.warn('app targets a cluster this deployment does not allow', {
              repo: repo.url,
              app: app.name,
              cluster: app.cluster,
              commit,
            });
            continue;
          }
          messages.push({
            repo: repo.url,
            cluster: app.cluster,
            app: app.name,
            commit,
            ref: `refs/heads/${repo.branch}`,
            trigger: 'schedule',
            triggerId: event.id,
          });
        }
      } catch (err: unknown) {
        failedRepositories.push(repo.url);
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        logger.error(REPOSITORY_SKIPPED_MESSAGE, { repo: repo.url, error: error.split('\n')[0] });
      }
    }
    const enqueued = await enqueue(d.sqs, d.queueUrl, messages);
    logger.info('drift checks enqueued', { enqueued, failedRepositories });
    if (d.checkpoint) {
      // A checkpoint that fails is logged, not retried: the next tick checkpoints the head it finds.
      const run = await d.checkpoint([...clusters]);
      for (const f of run.failed) logger.error(CHECKPOINT_FAILED_MESSAGE, { ...f });
      if (run.written.length > 0) logger.info('audit checkpoints written', { clusters: run.written });
    }
    if (failedRepositories.length === d.deployment.repositories.length && failedRepositories.length > 0) {
      // Every repository failed: fail the invocation so EventBridge retries and the error metric shows it.
      throw new Error(`no repository could be read (${failedRepositories.length})`);
    }
    // An app of a repository that could not be read would look orphaned: report only on a full read.
    if (!d.orphans || failedRepositories.length > 0) return { enqueued, failedRepositories };
    const [only] = heads.length === 1 ? heads : [];
    const orphaned = await reportOrphans(
      { ...d.orphans, warn: (message, attributes) => logger.warn(message, attributes) },
      declared,
      { triggerId: event.id, ...(only ? { repo: only.repo, commit: only.commit } : {}) },
    );
    return { enqueued, failedRepositories, orphaned: orphaned.length };
  }
}

const defaultLogger = new Logger({ serviceName: SERVICE_NAME });
let production: ReconcileDeps | undefined;

function productionDeps(): ReconcileDeps {
  production ??= (() => {
    const deployment = deploymentFromEnv();
    const git = new GitSources(deployment.repositories, traced(new SecretsManagerClient({})));
    const dynamodb = traced(new DynamoDBClient({}));
    return {
      deployment,
      queueUrl: requiredEnv('QUEUE_URL'),
      sqs: traced(new SQSClient({})),
      repoConfig: git.repoConfig,
      branchHead: git.branchHead,
      orphans: {
        state: new DynamoDbPipelineState({ tableName: requiredEnv('STATE_TABLE'), client: dynamodb }),
        audit: new DynamoDbAuditStore({
          tableName: requiredEnv('AUDIT_TABLE'),
          client: dynamodb,
          mac: new KmsAuditMac({
            keyId: requiredEnv('AUDIT_MAC_KEY_ARN'),
            client: traced(new KMSClient({})),
          }),
        }),
      },
      checkpoint: auditCheckpointer({
        auditTable: requiredEnv('AUDIT_TABLE'),
        macKeyArn: requiredEnv('AUDIT_MAC_KEY_ARN'),
        checkpoints: requiredEnv('AUDIT_CHECKPOINTS'),
      }),
    };
  })();
  return production;
}

export const handler = createReconcileHandler(productionDeps);
