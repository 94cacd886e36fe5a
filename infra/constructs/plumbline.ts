import { KubectlV33Layer } from '@aws-cdk/lambda-layer-kubectl-v33';
import { Aws, CfnOutput, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CHART_KEYRING_DEFINE } from '../../functions/shared/chart-keyring';
import { SIGNATURE_TRUST_DEFINE } from '../../functions/shared/signature-trust';
import { ORPHANED_ITEM_ATTRIBUTES } from '../../lib/adapters/aws/pipeline-state';
import { projectRoot } from '../bundling';
import { loadChartKeyring } from '../chart-keyring';
import type { ClusterProps, PlumblineProps } from '../config';
import { syncRoleName } from '../names';
import { scheduleProblem } from '../schedule';
import { loadSignatureTrusts } from '../signature-trust';
import { ClusterAccess, clusterRoleArn } from './cluster-access';
import { CHECKPOINT_PREFIX, PlumblineData } from './data';
import { Monitoring } from './monitoring';
import { PlumblineFunction } from './plumbline-function';
import { allowNetworkInterfaces, syncNetwork } from './sync-network';
import { SyncQueue } from './sync-queue';

/**
 * The webhook function's reserved concurrency: the stage's 50 requests a second (burst 100) at well
 * under a second each. Lambda keeps 100 of the account's concurrency unreserved.
 */
export const DEFAULT_WEBHOOK_CONCURRENCY = 10;

/** Lambda's 4,096 bytes of environment, less what the other variables take (ARNs, URLs, names). */
const MAX_DEPLOYMENT_ENV_BYTES = 4096 - 800;

export interface PlumblineConstructProps extends PlumblineProps {
  /** The sync role's name; fixed so cluster roles in other accounts can trust it (default `<stack>-sync-<region>`). */
  readonly syncRoleName?: string;
  /** Where functions/ is (default: found from this file). */
  readonly projectRoot?: string;
  /** The kubectl/helm layer (default: KubectlV33Layer from the npm package); tests pass a stand-in to skip its 36 MB asset. */
  readonly kubectlLayer?: (scope: Construct) => ILayerVersion;
}

/** Whether the cluster's role and access entry must be made by a ClusterAccessStack elsewhere. */
export function isRemoteCluster(cluster: ClusterProps, stack: Stack): boolean {
  const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  return (!!cluster.account && cluster.account !== account) || (!!region && cluster.region !== region);
}

/** The whole deployment of #7: webhook → FIFO queue → sync, the schedule → reconcile, audit and state tables. */
export class Plumbline extends Construct {
  readonly data: PlumblineData;
  readonly queue: SyncQueue;
  readonly webhook: PlumblineFunction;
  readonly sync: PlumblineFunction;
  readonly reconcile: PlumblineFunction;
  readonly webhookSecret: Secret;
  readonly auditHmacKey: Secret;
  readonly api: HttpApi;
  readonly clusterAccess: Record<string, ClusterAccess> = {};
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: PlumblineConstructProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const root = props.projectRoot ?? projectRoot();
    const logRetention = (props.logRetentionDays ?? 90) as RetentionDays;
    // No cluster's queue group is held longer than this by one attempt (docs/adr/0022-fail-fast.md).
    const syncTimeout = Duration.minutes(5);

    this.data = new PlumblineData(this, 'Data');
    this.queue = new SyncQueue(this, 'SyncQueue', { functionTimeout: syncTimeout });
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: 'Plumbline webhook secret: paste into the git host webhook settings',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    // The HMAC key of audit content hashes (#6). Not under plumbline/<cluster>/: cluster roles read
    // those, and a repository could reference it in a Secret manifest (docs/adr/0011).
    this.auditHmacKey = new Secret(this, 'AuditHmacKey', {
      description: 'Plumbline audit HMAC key: stands in for Secret values in audit content hashes',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Kept with the audit table it gives meaning to.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.auditHmacKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A new audit HMAC key changes the content hash of every unchanged Secret; it is rotated by hand, when wanted.',
    });
    // Read and checked now: a bad key file fails synth, and the keys go into the sync bundle.
    const signatureTrust = loadSignatureTrusts(props.repositories, root);
    const gitSecrets = props.repositories.flatMap((repo, i) =>
      repo.credentialsSecretName
        ? [
            {
              url: repo.url,
              secret: Secret.fromSecretNameV2(this, `GitCredentials${i}`, repo.credentialsSecretName),
            },
          ]
        : [],
    );

    const syncRole = props.syncRoleName ?? syncRoleName(stack.stackName, stack.region);
    const clusterRoles = props.clusters.map((cluster) => {
      const remote = isRemoteCluster(cluster, stack);
      const account = cluster.account ?? (Token.isUnresolved(stack.account) ? Aws.ACCOUNT_ID : stack.account);
      return { cluster, remote, roleArn: clusterRoleArn(cluster, account) };
    });
    const deployment = {
      repositories: props.repositories.map((repo) => ({
        url: repo.url,
        branch: repo.branch,
        provider: repo.provider,
        ...(repo.credentialsSecretName ? { credentialsSecretName: repo.credentialsSecretName } : {}),
        ...(repo.commitStatus ? { commitStatus: true } : {}),
      })),
      clusters: clusterRoles.map(({ cluster, roleArn }) => ({
        name: cluster.name,
        region: cluster.region,
        roleArn,
        allowedNamespaces: cluster.allowedNamespaces,
        clusterScoped: cluster.clusterScoped,
      })),
      ...(props.chartRepositories?.length ? { chartRepositories: props.chartRepositories } : {}),
    };
    // Lambda allows 4 KB of environment variables per function, and the deployment travels in one.
    // Checked here (unresolved ARNs are counted as their placeholders, a little longer than the
    // real ones) so that synth fails with the reason instead of CloudFormation at deploy time.
    const deploymentBytes = Buffer.byteLength(JSON.stringify(deployment));
    if (deploymentBytes > MAX_DEPLOYMENT_ENV_BYTES) {
      throw new Error(
        `the deployment (${props.repositories.length} repositories, ${props.clusters.length} clusters) takes ${deploymentBytes} bytes of the functions' environment, over the ${MAX_DEPLOYMENT_ENV_BYTES} that Lambda's 4 KB limit leaves it: deploy fewer clusters per stack, or list fewer allowed namespaces`,
      );
    }
    const environment = {
      PLUMBLINE_DEPLOYMENT: stack.toJsonString(deployment),
      QUEUE_URL: this.queue.queue.queueUrl,
      STATE_TABLE: this.data.stateTable.tableName,
    };

    const common = { root, logRetention, environment };
    this.webhook = new PlumblineFunction(this, 'Webhook', {
      ...common,
      name: 'webhook',
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // GitHub waits 10 s for an answer.
      timeout: Duration.seconds(9),
      // A flood of requests (signed or not) must not take the account's concurrency from everything else.
      reservedConcurrency: props.webhookConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
      environment: { ...environment, WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn },
    });
    this.reconcile = new PlumblineFunction(this, 'Reconcile', {
      ...common,
      name: 'reconcile',
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(5),
      // It also checkpoints each cluster's chain head (ADR 0018).
      environment: {
        ...environment,
        AUDIT_TABLE: this.data.auditTable.tableName,
        AUDIT_MAC_KEY_ARN: this.data.auditMacKey.keyArn,
        AUDIT_CHECKPOINTS: `s3://${this.data.checkpointBucket.bucketName}/${CHECKPOINT_PREFIX}`,
      },
    });
    const network = props.network ? syncNetwork(this, props.network) : undefined;
    this.sync = new PlumblineFunction(this, 'Sync', {
      ...common,
      name: 'sync',
      roleName: syncRole,
      // The kubectl and helm binaries of the layer are x86-64.
      architecture: Architecture.X86_64,
      memorySize: 2048,
      timeout: syncTimeout,
      layers: [props.kubectlLayer?.(this) ?? new KubectlV33Layer(this, 'KubectlLayer')],
      ephemeralStorageSize: Size.gibibytes(4),
      vpc: network,
      // Compiled in, not an environment variable: Lambda environments hold 4 KB in all, and the
      // function's configuration must not be able to switch signature checks off (docs/adr/0011).
      define: {
        [SIGNATURE_TRUST_DEFINE]: JSON.stringify(JSON.stringify(signatureTrust)),
        // Compiled in for the same reason: the chart keyring (#15); '' when none is configured.
        [CHART_KEYRING_DEFINE]: JSON.stringify(loadChartKeyring(props.chartKeyring, root)),
      },
      environment: {
        ...environment,
        AUDIT_TABLE: this.data.auditTable.tableName,
        AUDIT_HMAC_SECRET_ARN: this.auditHmacKey.secretArn,
        AUDIT_MAC_KEY_ARN: this.data.auditMacKey.keyArn,
        // The git cache and rendered trees live in the function's ephemeral storage.
        PLUMBLINE_CACHE_DIR: '/tmp/plumbline',
      },
    });

    // Grants: each function gets what its handler calls, nothing more.
    if (network && props.network) allowNetworkInterfaces(this.sync.role, props.network.subnetIds, network);
    this.webhookSecret.grantRead(this.webhook.role);
    // Put claims a delivery, Update keeps the claim once enqueued, Delete releases it when fan-out
    // or enqueue fails (#7).
    // Only its own DELIVERY# items: the table also holds inventories, last-applied commits and kept
    // audit drafts, which the internet-facing function must not be able to forge.
    this.webhook.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.data.stateTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DELIVERY#*'] } },
      }),
    );
    for (const fn of [this.webhook, this.reconcile]) this.queue.queue.grantSendMessages(fn.role);
    for (const fn of [this.webhook, this.reconcile, this.sync]) {
      for (const g of gitSecrets) g.secret.grantRead(fn.role);
    }
    // The audit trail is append-only: records are put, never updated or deleted (docs/adr/0009).
    this.data.auditTable.grant(this.sync.role, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query');
    this.data.auditKey.grantEncryptDecrypt(this.sync.role);
    for (const fn of [this.sync, this.reconcile])
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.data.auditTable.node.defaultChild as CfnTable)}.Arn>/index/*]`,
        reason:
          'Query on the audit table indexes (byApp, byCommit) is read-only; writes are PutItem on the table alone.',
      });
    this.data.stateTable.grantReadWriteData(this.sync.role);
    // Reconcile reads inventories and marks orphaned apps reported; it appends their audit records.
    this.data.stateTable.grant(this.reconcile.role, 'dynamodb:Query', 'dynamodb:GetItem');
    // Only items with an ORPHANED# item's attributes: not a last-applied commit (which, with its
    // SendMessage, would let it roll a cluster back), an inventory or a kept audit draft.
    this.reconcile.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [this.data.stateTable.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...ORPHANED_ITEM_ATTRIBUTES] },
        },
      }),
    );
    this.data.auditTable.grant(this.reconcile.role, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query');
    this.data.auditKey.grantEncryptDecrypt(this.reconcile.role);
    // Record MACs: the writers may make them, never verify them or read the key (ADR 0018).
    for (const fn of [this.sync, this.reconcile])
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kms:GenerateMac'], resources: [this.data.auditMacKey.keyArn] }),
      );
    // Checkpoints: reconcile writes each chain head once; it can neither delete nor list them.
    this.reconcile.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.data.checkpointBucket.arnForObjects(`${CHECKPOINT_PREFIX}/*`)],
      }),
    );
    Validations.of(this.reconcile.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.data.checkpointBucket.node.defaultChild as CfnBucket)}.Arn>/${CHECKPOINT_PREFIX}/*]`,
      reason: 'One object per checkpoint under the prefix, each written once (If-None-Match, Object Lock).',
    });
    this.sync.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.auditHmacKey.secretArn],
      }),
    );
    this.sync.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole'], resources: clusterRoles.map((c) => c.roleArn) }),
    );
    this.sync.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
      }),
    );
    this.sync.fn.addEventSource(
      new SqsEventSource(this.queue.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );

    for (const { cluster, remote } of clusterRoles) {
      if (remote) continue;
      this.clusterAccess[cluster.name] = new ClusterAccess(this, `Cluster-${cluster.name}`, {
        cluster,
        syncRoleArn: this.sync.role.roleArn,
        ...(props.chartRepositories ? { chartRepositories: props.chartRepositories } : {}),
      });
    }

    const scheduleExpression = props.schedule ?? 'rate(10 minutes)';
    const scheduleError = scheduleProblem(scheduleExpression);
    if (scheduleError) throw new Error(`schedule: ${scheduleError}`);
    const schedule = new Rule(this, 'Schedule', {
      description: 'Plumbline drift check of every app',
      schedule: Schedule.expression(scheduleExpression),
      targets: [new LambdaFunction(this.reconcile.fn, { retryAttempts: 2 })],
    });

    this.api = new HttpApi(this, 'Api', { description: 'Plumbline webhooks', createDefaultStage: false });
    this.api.addRoutes({
      path: '/webhooks/{provider}',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', this.webhook.fn),
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      alarmEmail: props.alarmEmail,
      alarmTopicArn: props.alarmTopicArn,
      reconcileLogs: this.reconcile.logGroup,
      functions: { webhook: this.webhook.fn, sync: this.sync.fn, reconcile: this.reconcile.fn },
      api: this.api,
      schedule,
    });

    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.apiEndpoint}/webhooks/<provider>` });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'AuditTableName', { value: this.data.auditTable.tableName });
    new CfnOutput(this, 'SyncRoleArn', { value: this.sync.role.roleArn });
    new CfnOutput(this, 'AuditHmacKeyArn', { value: this.auditHmacKey.secretArn });
    new CfnOutput(this, 'AuditMacKeyArn', { value: this.data.auditMacKey.keyArn });
    new CfnOutput(this, 'AuditCheckpoints', {
      value: `s3://${this.data.checkpointBucket.bucketName}/${CHECKPOINT_PREFIX}`,
    });
  }
}
