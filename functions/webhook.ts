import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoDbDeliveryDedupe } from '../lib/adapters/aws/state-dynamodb';
import { fromApiGatewayV2, toApiGatewayV2Response } from '../lib/adapters/webhooks';
import { planFanOut } from '../lib/core/fanout';
import {
  createWebhookVerifier,
  DEFAULT_DEDUPE_TTL_SECONDS,
  type DeliveryDedupe,
  dedupeKey,
  isZeroCommit,
  type NormalizedPush,
  type Provider,
  receiveWebhook,
  type WebhookVerifier,
} from '../lib/core/webhooks';
import { type Deployment, deploymentFromEnv, requiredEnv, sameRepository } from './shared/deployment';
import { GitSources } from './shared/git';
import { errorLine, kept } from './shared/memo';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './shared/metric-names';
import type { ChangedPaths, RepoConfigSource } from './shared/ports';
import { enqueue, type SyncMessage } from './shared/queue';
import { annotate, traced, traceInvocation } from './shared/tracing';

export interface WebhookDeps {
  readonly deployment: Deployment;
  readonly queueUrl: string;
  readonly sqs: SQSClient;
  readonly dedupe: DeliveryDedupe;
  /** The webhook secret (HMAC key or token); read once per container. */
  readonly secret: () => Promise<string>;
  readonly repoConfig: RepoConfigSource;
  readonly changedPaths?: ChangedPaths;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

type Result = APIGatewayProxyStructuredResultV2;

function json(statusCode: number, body: Record<string, unknown>): Result {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** API Gateway HTTP API → verify → dedupe → fan-out → FIFO queue → 202 (#7). */
export function createWebhookHandler(
  deps: () => WebhookDeps,
): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const verifiers = new Map<Provider, Promise<WebhookVerifier>>();
  return (event) => traceInvocation('webhook', () => receive(event));
  async function receive(event: APIGatewayProxyEventV2): Promise<Result> {
    const d = deps();
    const logger = d.logger ?? defaultLogger;
    const metrics = d.metrics ?? defaultMetrics;
    logger.resetKeys();
    const provider = event.pathParameters?.provider as Provider | undefined;
    if (!provider || !d.deployment.repositories.some((r) => r.provider === provider)) {
      return json(404, { status: 404, kind: 'rejected', reason: 'no repository uses this provider' });
    }
    const verifier = kept(verifiers, provider, () =>
      d.secret().then((secret) => createWebhookVerifier({ provider, secret })),
    );
    /** Set once this invocation holds the delivery's dedupe claim. */
    let claimed: string | undefined;
    try {
      const result = await receiveWebhook(fromApiGatewayV2(event), {
        verifier: await verifier,
        dedupe: d.dedupe,
        // Held briefly until the delivery is enqueued: a run the 9 s limit kills mid-way (a large
        // repository on a cold start) must not turn the provider's redelivery into a "duplicate".
        ttlSeconds: PENDING_CLAIM_SECONDS,
      });
      if (result.kind === 'rejected') {
        logger.warn('webhook rejected', { provider, status: result.status, reason: result.reason });
        return toApiGatewayV2Response(result);
      }
      logger.appendKeys({ deliveryId: result.deliveryId });
      annotate({ provider, delivery: result.deliveryId });
      if (result.kind !== 'push') {
        logger.info('webhook acknowledged', { provider, kind: result.kind, event: result.event });
        return toApiGatewayV2Response(result);
      }
      claimed = dedupeKey(result);
      const messages: SyncMessage[] = [];
      for (const push of result.pushes) messages.push(...(await messagesFor(push, d, logger)));
      const enqueued = await enqueue(d.sqs, d.queueUrl, messages);
      metrics.addMetric(METRIC.messagesEnqueued, MetricUnit.Count, enqueued);
      await keepClaim(d.dedupe, claimed, logger);
      return toApiGatewayV2Response(result, { enqueued });
    } catch (err: unknown) {
      logger.error('webhook failed', { provider, error: errorLine(err) });
      if (claimed !== undefined) await releaseClaim(d.dedupe, claimed, logger);
      return json(500, {
        status: 500,
        kind: 'error',
        reason: 'internal error; a redelivery retries it, and the next scheduled check catches up',
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  }
}

async function messagesFor(push: NormalizedPush, d: WebhookDeps, logger: Logger): Promise<SyncMessage[]> {
  const repo = d.deployment.repositories.find((r) => sameRepository(r.url, push.repoUrl));
  const log = { repo: push.repoUrl, ref: push.ref, commit: push.after };
  if (!repo) {
    logger.info('push to an untracked repository ignored', log);
    return [];
  }
  if (push.ref !== `refs/heads/${repo.branch}` || isZeroCommit(push.after)) {
    logger.info('push ignored', {
      ...log,
      reason: isZeroCommit(push.after) ? 'branch-deleted' : 'other-ref',
    });
    return [];
  }
  const config = await d.repoConfig.load(repo.url, push.after);
  const changedPaths = d.changedPaths;
  const plan = await planFanOut(push, config, {
    branch: repo.branch,
    changedPaths: changedPaths && ((before, after) => changedPaths(repo.url, before, after)),
  });
  const clusters = new Set(d.deployment.clusters.map((c) => c.name));
  const messages: SyncMessage[] = [];
  for (const request of plan.requests) {
    if (!clusters.has(request.cluster)) {
      // The sync function refuses it too; no message for a cluster the deployment does not allow.
      logger.warn('app targets a cluster this deployment does not allow', {
        ...log,
        app: request.app,
        cluster: request.cluster,
      });
      continue;
    }
    messages.push({
      repo: repo.url,
      cluster: request.cluster,
      app: request.app,
      commit: request.commit,
      ref: request.ref,
      trigger: 'webhook',
      triggerId: request.deliveryId,
    });
  }
  logger.info('push fanned out', {
    ...log,
    reason: plan.reason,
    apps: messages.map((m) => `${m.cluster}/${m.app}`),
    ...(plan.error ? { diffError: errorLine(plan.error) } : {}),
  });
  return messages;
}

/** How long a delivery is claimed before it is enqueued: longer than the function's 9 s. */
export const PENDING_CLAIM_SECONDS = 60;

/**
 * Once enqueued, the delivery is claimed for as long as providers redeliver. A claim that cannot be
 * kept expires in a minute: a later redelivery is then enqueued again, which the FIFO deduplication
 * id and the sync claims turn into a no-op, so it is only logged.
 */
async function keepClaim(dedupe: DeliveryDedupe, key: string, logger: Logger): Promise<void> {
  try {
    if (!(await dedupe.keep(key, DEFAULT_DEDUPE_TTL_SECONDS)))
      logger.warn('delivery claim expired before it was kept', {});
  } catch (err: unknown) {
    logger.warn('delivery claim not kept: a later redelivery will be enqueued again', {
      error: errorLine(err),
    });
  }
}

/**
 * A delivery claimed but not (fully) enqueued is released, so the provider's retry of it is accepted
 * instead of dropped as a duplicate (#7). Messages a partial enqueue did send are sent again by the
 * retry: SQS FIFO deduplication and the sync claims make that a no-op. A release that fails only
 * costs the retry; the schedule still catches up, so it is logged and the answer stays 500.
 */
async function releaseClaim(dedupe: DeliveryDedupe, key: string, logger: Logger): Promise<void> {
  try {
    const released = await dedupe.forget(key);
    logger.info('delivery claim released', { released });
  } catch (err: unknown) {
    logger.warn('delivery claim not released: a redelivery will be taken for a duplicate', {
      error: errorLine(err),
    });
  }
}

const defaultLogger = new Logger({ serviceName: SERVICE_NAME });
const defaultMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

let production: WebhookDeps | undefined;

/** Built on the first invocation, kept for the container's life. */
function productionDeps(): WebhookDeps {
  production ??= (() => {
    const secretsClient = traced(new SecretsManagerClient({}));
    const secretArn = requiredEnv('WEBHOOK_SECRET_ARN');
    const deployment = deploymentFromEnv();
    const git = new GitSources(deployment.repositories, secretsClient);
    return {
      deployment,
      queueUrl: requiredEnv('QUEUE_URL'),
      sqs: traced(new SQSClient({})),
      dedupe: new DynamoDbDeliveryDedupe({
        tableName: requiredEnv('STATE_TABLE'),
        client: traced(new DynamoDBClient({})),
      }),
      secret: async () => {
        const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: secretArn }));
        if (!out.SecretString) throw new Error('the webhook secret has no string value');
        return out.SecretString;
      },
      repoConfig: git.repoConfig,
      changedPaths: git.changedPaths,
    };
  })();
  return production;
}

export const handler = createWebhookHandler(productionDeps);
