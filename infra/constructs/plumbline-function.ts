import { join } from 'node:path';
import { type Duration, RemovalPolicy, type Size, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type Architecture, type ILayerVersion, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names';
import { BUNDLE, type FunctionName, LAZY_MODULES, lazyModuleCommands } from '../bundling';

export interface PlumblineFunctionProps {
  readonly name: FunctionName;
  readonly root: string;
  readonly architecture: Architecture;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  readonly environment: Record<string, string>;
  readonly roleName?: string;
  readonly layers?: ILayerVersion[];
  readonly ephemeralStorageSize?: Size;
  readonly vpc?: { vpc: IVpc; subnets: SubnetSelection; securityGroups: ISecurityGroup[] };
  /** esbuild `define`s: values compiled into the bundle, out of reach of the function's configuration. */
  readonly define?: Readonly<Record<string, string>>;
  /** Concurrency set aside for, and the most allowed to, this function; omitted or 0: none reserved. */
  readonly reservedConcurrency?: number;
}

/**
 * One handler: an esbuild CJS bundle (local esbuild, no Docker), its own role with no managed
 * policies (grants are added by the stack), an explicit log group with retention, and X-Ray tracing.
 */
export class PlumblineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** What the bundle was given to compile in (for tests: bundling is skipped there). */
  readonly define: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PlumblineFunctionProps) {
    super(scope, id);
    this.define = props.define ?? {};
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Plumbline ${props.name} function`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(props.root, 'functions', `${props.name}.ts`),
      handler: 'handler',
      projectRoot: props.root,
      depsLockFilePath: join(props.root, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      // 0 would mean "never run" to Lambda: here it means no reservation.
      reservedConcurrentExecutions: props.reservedConcurrency || undefined,
      layers: props.layers,
      ephemeralStorageSize: props.ephemeralStorageSize,
      vpc: props.vpc?.vpc,
      vpcSubnets: props.vpc?.subnets,
      securityGroups: props.vpc?.securityGroups,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: BUNDLE.target,
        minify: BUNDLE.minify,
        sourceMap: BUNDLE.sourceMap,
        keepNames: BUNDLE.keepNames,
        externalModules: [...BUNDLE.externalModules, ...(LAZY_MODULES[props.name] ?? []).map((m) => m.name)],
        define: { ...BUNDLE.define, ...this.define },
        banner: BUNDLE.banner,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => lazyModuleCommands(props.name, props.root, outputDir),
        },
      },
    });
    this.logGroup.grantWrite(this.role);
    const accepted = {
      'AwsSolutions-IAM5[Resource::*]':
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]':
        'CDK grant on the customer-managed key of the queue or audit table; scoped to that one key.',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
        'CDK grant on the customer-managed key of the queue or audit table; scoped to that one key.',
    };
    for (const [id, reason] of Object.entries(accepted))
      Validations.of(this.role).acknowledge({ id, reason });
  }
}
