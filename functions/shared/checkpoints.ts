import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { parseS3Url, S3CheckpointStore } from '../../lib/adapters/aws/audit-checkpoints-s3';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { KmsAuditMac } from '../../lib/adapters/aws/audit-kms-mac';
import { type CheckpointRun, checkpointClusters } from '../../lib/core/audit';
import { traced } from './tracing';

/** The reconcile function's checkpoint writer: chain heads from the table, MACs from KMS, objects to S3. */
export function auditCheckpointer(env: {
  readonly auditTable: string;
  readonly macKeyArn: string;
  readonly checkpoints: string;
}): (clusters: readonly string[]) => Promise<CheckpointRun> {
  const url = parseS3Url(env.checkpoints);
  if (!url) throw new Error(`AUDIT_CHECKPOINTS is not s3://bucket/prefix: ${env.checkpoints}`);
  const audit = new DynamoDbAuditStore({ tableName: env.auditTable, client: traced(new DynamoDBClient({})) });
  const store = new S3CheckpointStore({ ...url, client: traced(new S3Client({})) });
  const mac = new KmsAuditMac({ keyId: env.macKeyArn, client: traced(new KMSClient({})) });
  return (clusters) => checkpointClusters(clusters, audit, store, mac);
}
