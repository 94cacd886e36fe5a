import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVES } from '../../lib/core/pipeline/redelivery';

/**
 * The sync queue: FIFO, one message group per cluster, so syncs of a cluster never overlap (DESIGN.md).
 * A message in flight holds its group: for at most the function's timeout plus 30 s when an
 * invocation crashes or times out (the visibility timeout; Lambda needs it at least the timeout),
 * and for the backoff the function sets after a transient failure (lib/core/pipeline/redelivery.ts,
 * at most 5 minutes). After MAX_RECEIVES receives the message goes to the dead-letter queue.
 */
export class SyncQueue extends Construct {
  readonly key: Key;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: { readonly functionTimeout: Duration }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'Plumbline sync queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      visibilityTimeout: props.functionTimeout.plus(Duration.seconds(30)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });
  }
}
