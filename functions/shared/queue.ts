import { createHash } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SyncJob } from '../../lib/core/pipeline/ports';

/** A sync queue message: from a push (webhook) or from the schedule (drift check); the sync job it runs. */
export type SyncMessage = SyncJob;

const BATCH = 10;

export class EnqueueError extends Error {
  constructor(
    message: string,
    readonly failed: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EnqueueError';
  }
}

/**
 * SQS drops a FIFO message whose id it saw in the last 5 minutes. The id is the cluster, app,
 * commit and trigger (delivery id or schedule tick): a redelivery of a push collapses, but a
 * rollback pushed within 5 minutes (X, then Y, then X again) is a new delivery and is synced;
 * with the commit alone it was dropped and the cluster stayed at Y.
 */
export function deduplicationId(message: SyncMessage): string {
  const parts = [message.cluster, message.app, message.commit, message.trigger, message.triggerId];
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

function entry(message: SyncMessage, index: number): SendMessageBatchRequestEntry {
  return {
    Id: String(index),
    MessageBody: JSON.stringify(message),
    // One group per cluster: syncs of a cluster never overlap (DESIGN.md).
    MessageGroupId: message.cluster,
    MessageDeduplicationId: deduplicationId(message),
  };
}

/**
 * Sends in batches of 10; entries SQS refuses are retried once. Throws EnqueueError naming how many
 * were not sent; the rest stay sent (FIFO deduplication makes a retry of the whole call safe).
 */
export async function enqueue(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly SyncMessage[],
): Promise<number> {
  let failed = 0;
  for (let start = 0; start < messages.length; start += BATCH) {
    let entries = messages.slice(start, start + BATCH).map((m, i) => entry(m, start + i));
    for (let attempt = 0; attempt < 2 && entries.length > 0; attempt++) {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const refused = new Set((out.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((e) => refused.has(e.Id));
    }
    failed += entries.length;
  }
  if (failed > 0)
    throw new EnqueueError(`${failed} of ${messages.length} sync messages not enqueued`, failed);
  return messages.length;
}
