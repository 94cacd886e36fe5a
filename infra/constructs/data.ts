import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AUDIT_INDEX_BY_APP, AUDIT_INDEX_BY_COMMIT } from '../../lib/adapters/aws/audit-table';

export interface PlumblineDataProps {
  /** How long each audit checkpoint is locked against deletion and overwrite, by anyone (default 365). */
  readonly checkpointRetentionDays?: number;
}

/** Where the checkpoints go in their bucket (the AuditCheckpoints output is `s3://<bucket>/<prefix>`). */
export const CHECKPOINT_PREFIX = 'checkpoints';

/**
 * The audit trail (DESIGN.md: its key schema is public, and must match lib/adapters/aws/audit-table.ts),
 * its record key and its checkpoints (ADR 0018), and the state table (inventories, delivery dedupe,
 * sync claims; items expire on `ttl`).
 */
export class PlumblineData extends Construct {
  readonly auditKey: Key;
  readonly auditTable: Table;
  /** HMAC_256: writers may GenerateMac, auditors VerifyMac; nobody can read it. */
  readonly auditMacKey: Key;
  /** Object Lock in compliance mode: a checkpoint cannot be deleted or overwritten, even by the account root. */
  readonly checkpointBucket: Bucket;
  readonly stateTable: Table;

  constructor(scope: Construct, id: string, props: PlumblineDataProps = {}) {
    super(scope, id);
    this.auditKey = new Key(this, 'AuditKey', {
      description: 'Plumbline audit trail',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditTable = new Table(this, 'AuditTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.auditKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditTable.addGlobalSecondaryIndex({
      indexName: AUDIT_INDEX_BY_APP,
      partitionKey: { name: 'appKey', type: AttributeType.STRING },
      sortKey: { name: 'ts', type: AttributeType.STRING },
    });
    this.auditTable.addGlobalSecondaryIndex({
      indexName: AUDIT_INDEX_BY_COMMIT,
      partitionKey: { name: 'commit', type: AttributeType.STRING },
      sortKey: { name: 'ts', type: AttributeType.STRING },
    });
    this.auditMacKey = new Key(this, 'AuditMacKey', {
      description: 'Plumbline audit record MACs',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      // Records made with it verify only with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.auditMacKey).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason: 'KMS does not rotate HMAC keys; a rotated key would leave every earlier record unverifiable.',
    });
    this.checkpointBucket = new Bucket(this, 'AuditCheckpoints', {
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(
        Duration.days(props.checkpointRetentionDays ?? 365),
      ),
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Write once: a put that could replace a checkpoint's current version is refused (If-None-Match).
    this.checkpointBucket.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.checkpointBucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    Validations.of(this.checkpointBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'One role writes checkpoints, once each, under Object Lock; verify reads every object version, so access logs add nothing it relies on.',
    });
    // Rebuildable state: losing it costs a full re-sync, not history, so it may go with the stack.
    this.stateTable = new Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
