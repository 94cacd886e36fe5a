import 'aws-sdk-client-mock-jest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createReconcileHandler, type ReconcileDeps } from '../../functions/reconcile';
import type { SyncMessage } from '../../functions/shared/queue';
import { DirCheckpointStore } from '../../lib/adapters/audit/checkpoint-dir';
import { checkpointClusters, HmacAuditMac } from '../../lib/core/audit';
import { captureOutput, DEPLOYMENT, REPO, REPO_CONFIG, scheduledEvent } from './events';

const sqsMock = mockClient(SQSClient);
const HEAD = 'a'.repeat(40);
const OTHER = 'https://gitlab.com/acme/other-config.git';

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

function handlerWith(overrides: Partial<ReconcileDeps> = {}) {
  const deps: ReconcileDeps = {
    deployment: DEPLOYMENT,
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/plumbline.fifo',
    sqs: new SQSClient({ region: 'eu-west-1' }),
    branchHead: async (url, branch) => {
      expect([url, branch]).toEqual([REPO, 'main']);
      return HEAD;
    },
    repoConfig: { load: async () => REPO_CONFIG },
    logger: new Logger({ serviceName: 'plumbline' }),
    ...overrides,
  };
  return createReconcileHandler(() => deps);
}

const sent = () =>
  sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => ({
      group: e.MessageGroupId,
      dedupe: e.MessageDeduplicationId,
      msg: JSON.parse(e.MessageBody!) as SyncMessage,
    }));

describe('functions/reconcile', () => {
  it('enqueues one drift check per app per allowed cluster at the branch head', async () => {
    const handler = handlerWith();
    const { result } = await captureOutput(() => handler(scheduledEvent('tick-1')));
    expect(result).toEqual({ enqueued: 3, failedRepositories: [] });
    expect(sent().map((s) => [s.group, s.msg.app, s.msg.commit, s.msg.trigger, s.msg.triggerId])).toEqual([
      ['prod', 'web', HEAD, 'schedule', 'tick-1'],
      ['prod', 'api', HEAD, 'schedule', 'tick-1'],
      ['stage', 'web-stage', HEAD, 'schedule', 'tick-1'],
    ]);
  });

  it('gives each schedule tick its own deduplication ids, so a check is not dropped as a repeat', async () => {
    const handler = handlerWith();
    await captureOutput(() => handler(scheduledEvent('tick-1')));
    const first = sent().map((s) => s.dedupe);
    sqsMock.resetHistory();
    await captureOutput(() => handler(scheduledEvent('tick-2')));
    const second = sent().map((s) => s.dedupe);
    expect(new Set([...first, ...second]).size).toBe(6);
  });

  it('keeps going past a repository it cannot read, and fails only when none can be read', async () => {
    const deployment = {
      ...DEPLOYMENT,
      repositories: [...DEPLOYMENT.repositories, { url: OTHER, branch: 'main', provider: 'gitlab' as const }],
    };
    const partly = handlerWith({
      deployment,
      branchHead: async (url) => {
        if (url === OTHER) throw new Error('fetch failed: 503\nsecond line');
        return HEAD;
      },
    });
    const { result, output } = await captureOutput(() => partly(scheduledEvent()));
    expect(result).toEqual({ enqueued: 3, failedRepositories: [OTHER] });
    expect(output).toContain('fetch failed: 503');
    expect(output).not.toContain('second line');

    const none = handlerWith({ branchHead: () => Promise.reject(new Error('offline')) });
    await expect(captureOutput(() => none(scheduledEvent()))).rejects.toThrow(
      'no repository could be read (1)',
    );
  });

  it('checkpoints each cluster whose audit chain head moved, and logs a cluster it cannot checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reconcile-cp-'));
    const store = new DirCheckpointStore(dir);
    const mac = new HmacAuditMac(randomBytes(32), 'test');
    const heads: Record<string, { seq: number; hash: string } | undefined> = {
      prod: { seq: 3, hash: 'a'.repeat(64) },
      stage: undefined,
    };
    const audit = {
      head: async (cluster: string) => {
        if (cluster === 'stage' && heads.stage === undefined && heads.prod?.seq === 4)
          throw new Error('Query failed');
        return heads[cluster];
      },
    };
    const handler = handlerWith({
      checkpoint: (clusters) => checkpointClusters(clusters, audit, store, mac),
    });
    await captureOutput(() => handler(scheduledEvent('tick-1')));
    expect(readdirSync(join(dir, 'prod'))).toEqual([`000000000003-${'a'.repeat(64)}.json`]);
    // The same head: nothing new. A moved head: one more checkpoint; stage's failure is logged.
    await captureOutput(() => handler(scheduledEvent('tick-2')));
    heads.prod = { seq: 4, hash: 'b'.repeat(64) };
    const { result, output } = await captureOutput(() => handler(scheduledEvent('tick-3')));
    expect(result.enqueued).toBe(3);
    expect(readdirSync(join(dir, 'prod'))).toHaveLength(2);
    expect(output).toMatch(/audit checkpoint not written.*"cluster":"stage".*Query failed/);
  });
});
