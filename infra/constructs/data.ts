import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_INDEX_BY_APP, AUDIT_INDEX_BY_COMMIT } from '../../lib/adapters/aws/audit-table';

/**
 * The audit trail (DESIGN.md: its key schema is public, and must match lib/adapters/aws/audit-table.ts)
 * and the state table (inventories, delivery dedupe, sync claims; items expire on `ttl`).
 */
export class PlumblineData extends Construct {
  readonly auditKey: Key;
  readonly auditTable: Table;
  readonly stateTable: Table;

  constructor(scope: Construct, id: string) {
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
