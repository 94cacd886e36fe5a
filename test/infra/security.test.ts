import { Match } from 'aws-cdk-lib/assertions';
import { auditTableDefinition } from '../../lib/adapters/aws/audit-table';
import { ORPHANED_ITEM_ATTRIBUTES } from '../../lib/adapters/aws/pipeline-state';
import { MAX_RECEIVES } from '../../lib/core/pipeline/redelivery';
import { nagFindings, PROPS, synth } from './stack';

const { stack, template } = synth();
/** An access policy ARN in the stack's partition, as the template writes it. */
const policyArn = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:eks::aws:cluster-access-policy/${name}`]],
});
type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Principal?: unknown };

function rolePolicies(rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const logicalId = (type: string, match: (props: Record<string, unknown>) => boolean): string => {
  const found = Object.entries(template.findResources(type)).find(([, r]) => match(r.Properties ?? {}));
  if (!found) throw new Error(`no ${type} matches`);
  return found[0];
};

/** An output by the name the README gives it (CDK prefixes the construct path and a hash). */
const outputNamed = (name: string): unknown =>
  Object.entries(template.toJSON().Outputs as Record<string, unknown>).find(([id]) =>
    new RegExp(`^Plumbline${name}[0-9A-F]{8}$`).test(id),
  )?.[1];

describe('PlumblineStack security properties', () => {
  const syncRole = logicalId('AWS::IAM::Role', (p) => p.RoleName === 'Plumbline-sync-eu-west-1');

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('creates the audit table with the public key schema of lib/adapters/aws/audit-table.ts', () => {
    const def = auditTableDefinition('x');
    const id = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes !== undefined);
    const props = template.toJSON().Resources[id].Properties;
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
      String(a.AttributeName).localeCompare(String(b.AttributeName));
    expect([...props.AttributeDefinitions].sort(byName)).toEqual([...def.AttributeDefinitions!].sort(byName));
    expect(props.KeySchema).toEqual(def.KeySchema);
    expect(props.BillingMode).toBe(def.BillingMode);
    const indexes = props.GlobalSecondaryIndexes.map((g: Record<string, unknown>) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: g.Projection,
    }));
    expect(indexes).toEqual(def.GlobalSecondaryIndexes);
  });

  it('protects the audit table: PITR, deletion protection, customer-managed key, retained', () => {
    const audit = template.findResources('AWS::DynamoDB::Table', {
      Properties: { GlobalSecondaryIndexes: Match.anyValue() },
    });
    const tables = Object.values(audit);
    expect(tables).toHaveLength(1);
    const table = tables[0]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: 'Plumbline audit trail',
    });
  });

  it('expires state table items on ttl', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('never lets any role update or delete audit records', () => {
    const auditId = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes !== undefined);
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    const onAudit = all.filter((s) => JSON.stringify(s.Resource).includes(auditId));
    expect(onAudit.length).toBeGreaterThan(0);
    for (const s of onAudit) {
      expect(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']).toEqual(
        expect.arrayContaining(actions(s)),
      );
    }
    const reconcileRole = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.includes('ReconcileRole'),
    )!;
    const byReconcile = rolePolicies(reconcileRole).filter((s) =>
      JSON.stringify(s.Resource).includes(auditId),
    );
    // The checkpoint writer reads chain heads; as the orphan reporter it appends records, never updates.
    expect(byReconcile.map(actions)).toEqual([['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query']]);
    expect(JSON.stringify(all)).not.toMatch(/dynamodb:\*/);
  });

  it('lets the reconcile function append orphaned-app records and read the state table, and nothing more there', () => {
    const auditId = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes !== undefined);
    const stateId = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes === undefined);
    const reconcile = rolePolicies('Reconcile');
    const on = (id: string) =>
      reconcile
        .filter((s) => JSON.stringify(s.Resource).includes(id))
        .flatMap(actions)
        .sort();
    expect(on(auditId)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(on(stateId)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    const fn = template.findResources('AWS::Lambda::Function', {
      Properties: { Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reconcile'), 'Arn'] } },
    });
    expect(Object.values(fn).map((f) => f.Properties.Environment.Variables.AUDIT_TABLE)).toEqual([
      { Ref: auditId },
    ]);
  });

  it('confines the webhook function to its own DELIVERY# items of the state table', () => {
    // The state table also holds inventories, last-applied commits and kept audit drafts: a webhook
    // role that could put them could make the sync prune, roll back, or append a forged draft MAC'd.
    const stateId = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes === undefined);
    const onState = rolePolicies('WebhookRole').filter((s) => JSON.stringify(s.Resource).includes(stateId));
    expect(onState.flatMap(actions).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    for (const s of onState)
      expect((s as Statement & { Condition?: unknown }).Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DELIVERY#*'] },
      });
  });

  it('lets the reconcile function put only orphan markers in the state table, never a last-applied commit, inventory or kept draft', () => {
    const stateId = logicalId('AWS::DynamoDB::Table', (p) => p.GlobalSecondaryIndexes === undefined);
    const puts = rolePolicies('Reconcile').filter(
      (s) => JSON.stringify(s.Resource).includes(stateId) && actions(s).includes('dynamodb:PutItem'),
    );
    expect(puts.length).toBeGreaterThan(0);
    for (const s of puts) {
      expect(actions(s)).toEqual(['dynamodb:PutItem']);
      expect((s as Statement & { Condition?: unknown }).Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...ORPHANED_ITEM_ATTRIBUTES] },
      });
    }
  });

  it('keeps the record key in KMS (HMAC_256, retained): writers may GenerateMac, no role may verify or read it', () => {
    const key = logicalId('AWS::KMS::Key', (p) => p.KeySpec === 'HMAC_256');
    const resource = template.toJSON().Resources[key];
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toMatchObject({ KeyUsage: 'GENERATE_VERIFY_MAC' });
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).map((s) => ({ roles: p.Properties.Roles, s })),
    );
    const onKey = all.filter(({ s }) => JSON.stringify(s.Resource).includes(key));
    expect(onKey.map(({ s }) => actions(s))).toEqual([['kms:GenerateMac'], ['kms:GenerateMac']]);
    expect(onKey.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(
      [JSON.stringify([{ Ref: syncRole }]), expect.stringContaining('Reconcile')].sort(),
    );
    expect(outputNamed('AuditMacKeyArn')).toEqual({ Value: { 'Fn::GetAtt': [key, 'Arn'] } });
  });

  it('writes checkpoints to a write-once bucket: Object Lock in compliance mode, versioned, private, TLS only', () => {
    const bucket = logicalId('AWS::S3::Bucket', (p) => p.ObjectLockEnabled === true);
    const resource = template.toJSON().Resources[bucket];
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:PutObject',
            Condition: { Null: { 's3:if-none-match': 'true' } },
          }),
        ]),
      },
    });
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    const onBucket = all.filter((s) => JSON.stringify(s.Resource).includes(bucket));
    expect(onBucket.map(actions)).toEqual([['s3:PutObject']]);
    expect(outputNamed('AuditCheckpoints')).toEqual({
      Value: { 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/checkpoints']] },
    });
  });

  it('generates the content-hash key at deploy time (AuditHmacKeyArn): random, never a value in the template', () => {
    const key = logicalId('AWS::SecretsManager::Secret', (p) =>
      String(p.Description).includes('audit HMAC key'),
    );
    const secret = template.toJSON().Resources[key].Properties;
    expect(secret.SecretString).toBeUndefined();
    expect(secret.GenerateSecretString).toEqual({ ExcludePunctuation: true, PasswordLength: 64 });
    expect(outputNamed('AuditHmacKeyArn')).toEqual({ Value: { Ref: key } });
  });

  it('lets the sync role assume only the cluster roles', () => {
    const assume = rolePolicies(syncRole).filter((s) => actions(s).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    const resources = JSON.stringify(assume[0]!.Resource);
    expect(resources).toContain(':role/plumbline-prod-eu-west-1');
    expect(resources).toContain(':role/plumbline-platform-eu-west-1');
    expect(resources).not.toContain('*');
  });

  it('trusts only the sync role in each cluster role', () => {
    for (const cluster of PROPS.clusters) {
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: `plumbline-${cluster.name}-eu-west-1`,
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::GetAtt': [syncRole, 'Arn'] } },
            },
          ],
        },
      });
    }
  });

  it('scopes each cluster role to its cluster and its plumbline/<cluster>/* secrets', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'plumbline-prod-eu-west-1',
      Policies: [
        {
          PolicyDocument: {
            Statement: [
              {
                Action: 'eks:DescribeCluster',
                Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':cluster/prod$')])] },
              },
              {
                Action: 'secretsmanager:GetSecretValue',
                Resource: { 'Fn::Join': ['', Match.arrayWith([':secret:plumbline/prod/*'])] },
              },
              { Action: 'secretsmanager:BatchGetSecretValue', Resource: '*' },
            ],
          },
        },
      ],
    });
  });

  it('lets only the sync role read the audit HMAC key, a retained secret outside plumbline/<cluster>/', () => {
    const key = logicalId('AWS::SecretsManager::Secret', (p) =>
      String(p.Description).includes('audit HMAC key'),
    );
    const secret = template.toJSON().Resources[key];
    expect(secret.DeletionPolicy).toBe('Retain');
    // A generated name (`AuditHmacKey…-xxxxxx`): never under plumbline/, where cluster roles read.
    expect(secret.Properties.Name).toBeUndefined();
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).map((s) => ({ roles: p.Properties.Roles, s })),
    );
    const onKey = all.filter(({ s }) => JSON.stringify(s.Resource).includes(key));
    expect(onKey).toEqual([
      {
        roles: [{ Ref: syncRole }],
        s: { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: key } },
      },
    ]);
    const inlineRoles = JSON.stringify(template.findResources('AWS::IAM::Role'));
    expect(inlineRoles).not.toContain(key);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [syncRole, 'Arn'] },
      Environment: { Variables: Match.objectLike({ AUDIT_HMAC_SECRET_ARN: { Ref: key } }) },
    });
  });

  it('scopes access entries to the allowed namespaces, and cluster-wide only where clusterScoped', () => {
    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'prod',
      Type: 'STANDARD',
      AccessPolicies: [
        {
          PolicyArn: policyArn('AmazonEKSEditPolicy'),
          AccessScope: { Type: 'namespace', Namespaces: ['apps', 'monitoring'] },
        },
      ],
    });
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'platform',
      AccessPolicies: [
        { AccessScope: { Type: 'namespace', Namespaces: ['infra'] } },
        {
          PolicyArn: policyArn('AmazonEKSClusterAdminPolicy'),
          AccessScope: { Type: 'cluster' },
        },
      ],
    });
  });

  it('encrypts the FIFO queue and its dead-letter queue with a rotating key and enforces TLS', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: MAX_RECEIVES },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('gives every function an explicit log group with retention', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const ref = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(groups[ref]?.Properties.RetentionInDays).toBe(90);
    }
  });

  it('does not attach AWS managed policies to any role', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});
