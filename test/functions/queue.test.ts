import { deduplicationId, type SyncMessage } from '../../functions/shared/queue';

describe('SQS FIFO deduplication ids', () => {
  const push = (commit: string, delivery: string): SyncMessage => ({
    repo: 'https://git.example.com/platform/config.git',
    cluster: 'prod',
    app: 'web',
    commit,
    ref: 'refs/heads/main',
    trigger: 'webhook',
    triggerId: delivery,
  });

  it('collapses a redelivery of the same push, and keeps a rollback pushed within 5 minutes', () => {
    const x = 'a'.repeat(40);
    const y = 'b'.repeat(40);
    expect(deduplicationId(push(x, 'delivery-1'))).toBe(deduplicationId(push(x, 'delivery-1')));
    // X, then Y, then X again: the third is a new delivery of an old commit, and must be synced.
    const ids = [push(x, 'delivery-1'), push(y, 'delivery-2'), push(x, 'delivery-3')].map(deduplicationId);
    expect(new Set(ids).size).toBe(3);
    expect(deduplicationId({ ...push(x, 'tick-1'), trigger: 'schedule' })).not.toBe(
      deduplicationId(push(x, 'tick-1')),
    );
    // SQS allows at most 128 characters.
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
  });
});
