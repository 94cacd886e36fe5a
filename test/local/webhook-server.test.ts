import { createHmac } from 'node:crypto';
import type { SyncJob } from '../../lib/core/pipeline';
import { parseRepoConfig } from '../../lib/core/repo-config';
import { startWebhookServer, type WebhookServer } from '../../lib/local/pipeline/webhook-server';

const SECRET = 'local-webhook-secret';
const REPO = 'http://127.0.0.1:9/config.git';
const CONFIG = parseRepoConfig(`version: 1
apps:
  - { name: hello, path: apps/hello, cluster: local, namespace: default }
`);

function push(deliveryId: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    repository: { clone_url: REPO, html_url: REPO },
    commits: [{ id: 'b'.repeat(40), added: [], removed: [], modified: ['apps/hello/cm.yaml'] }],
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
  };
}

/** The local webhook endpoint of `plumbline local` (lib/local/pipeline/webhook-server.ts). */
describe('local webhook server', () => {
  let server: WebhookServer;
  const jobs: SyncJob[] = [];
  let failNextLoad = false;

  beforeAll(async () => {
    server = await startWebhookServer({
      secret: SECRET,
      repo: REPO,
      branch: 'main',
      cluster: 'local',
      loadConfig: async () => {
        if (failNextLoad) {
          failNextLoad = false;
          throw new Error('cannot read plumbline.yaml');
        }
        return CONFIG;
      },
      changedPaths: async () => [],
      enqueue: (job) => jobs.push(job),
      log: () => undefined,
    });
  });
  afterAll(() => server.stop());

  const deliver = async (deliveryId: string): Promise<number> => {
    const { body, headers } = push(deliveryId);
    const res = await fetch(server.url, { method: 'POST', body, headers });
    await res.body?.cancel();
    return res.status;
  };

  it('takes a redelivery of a delivery it failed to fan out, and drops a redelivery of one it enqueued', async () => {
    failNextLoad = true;
    expect(await deliver('d-1')).toBe(500);
    expect(jobs).toEqual([]);
    expect(await deliver('d-1')).toBe(202);
    expect(jobs.map((j) => [j.app, j.triggerId])).toEqual([['hello', 'd-1']]);
    expect(await deliver('d-1')).toBe(200);
    expect(jobs).toHaveLength(1);
  });
});
