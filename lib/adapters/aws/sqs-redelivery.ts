import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * Sets when SQS delivers a failed sync message again (ChangeMessageVisibility on the message the
 * function received): a backoff instead of the queue's visibility timeout.
 */
export class SqsRedelivery {
  private client: SQSClient | undefined;

  constructor(private readonly options: { readonly queueUrl: string; readonly client?: SQSClient }) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    this.client ??= this.options.client ?? new SQSClient({});
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.options.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }
}
