import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromNodeRequest, writeNodeResponse } from '../../adapters/webhooks';
import { planFanOut } from '../../core/fanout';
import type { SyncJob } from '../../core/pipeline';
import type { RepoConfig } from '../../core/repo-config';
import {
  createWebhookVerifier,
  dedupeKey,
  InMemoryDedupe,
  isZeroCommit,
  type NormalizedPush,
  receiveWebhook,
  sameRepository,
} from '../../core/webhooks';

export const WEBHOOK_PATH = '/webhooks/github';

export interface WebhookServerOptions {
  readonly secret: string;
  readonly repo: string;
  readonly branch: string;
  readonly cluster: string;
  readonly loadConfig: (commit: string) => Promise<RepoConfig>;
  readonly changedPaths: (before: string, after: string) => Promise<string[]>;
  readonly enqueue: (job: SyncJob) => void;
  readonly log: (line: string) => void;
}

export interface WebhookServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * POST /webhooks/github on 127.0.0.1: the webhook Lambda's steps (functions/webhook.ts) with the
 * pure core — verify the HMAC, dedupe the delivery, fan out to the apps the push changed — then
 * the local FIFO instead of SQS.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const verifier = createWebhookVerifier({ provider: 'github', secret: options.secret });
  const dedupe = new InMemoryDedupe();
  const jobsFor = async (push: NormalizedPush): Promise<SyncJob[]> => {
    // As the webhook Lambda does: a push names its repository, and only the tracked one is synced.
    if (!sameRepository(push.repoUrl, options.repo)) {
      options.log(`webhook ${push.deliveryId}: push to ${push.repoUrl} ignored (not ${options.repo})`);
      return [];
    }
    if (push.ref !== `refs/heads/${options.branch}` || isZeroCommit(push.after)) return [];
    const plan = await planFanOut(push, await options.loadConfig(push.after), {
      branch: options.branch,
      changedPaths: options.changedPaths,
    });
    return plan.requests
      .filter((r) => r.cluster === options.cluster)
      .map((r) => ({
        repo: options.repo,
        cluster: r.cluster,
        app: r.app,
        commit: r.commit,
        ref: r.ref,
        trigger: 'webhook' as const,
        triggerId: r.deliveryId,
      }));
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== WEBHOOK_PATH) {
        req.resume();
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 404, kind: 'rejected', reason: `POST ${WEBHOOK_PATH} only` }));
        return;
      }
      const read = await fromNodeRequest(req, { maxBodyBytes: verifier.maxBodyBytes });
      if (!read.ok) return writeNodeResponse(res, read);
      let claimed: string | undefined;
      try {
        const result = await receiveWebhook(read.request, { verifier, dedupe });
        if (result.kind !== 'push') {
          options.log(
            `webhook ${result.kind} (${result.status})${'reason' in result ? `: ${result.reason}` : ''}`,
          );
          return writeNodeResponse(res, result);
        }
        claimed = dedupeKey(result);
        const jobs: SyncJob[] = [];
        for (const push of result.pushes) jobs.push(...(await jobsFor(push)));
        for (const job of jobs) options.enqueue(job);
        options.log(
          `webhook ${result.deliveryId}: ${jobs.length} app(s) enqueued${jobs.length ? ` (${jobs.map((j) => j.app).join(', ')})` : ''}`,
        );
        writeNodeResponse(res, result, { enqueued: jobs.length });
      } catch (err: unknown) {
        options.log(`webhook failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        // Released, as the webhook function does: a redelivery of this delivery is taken, not dropped.
        if (claimed !== undefined) await dedupe.forget(claimed);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 500, kind: 'error', reason: 'internal error' }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
