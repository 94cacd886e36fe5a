import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CHECKPOINT_FAILED_MESSAGE } from '../../functions/shared/metric-names';
import { ClusterAccessStack } from '../../infra/cluster-access-stack';
import { PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { KUBECTL_LAYER_ARN, nagFindings, PROPS, synth } from './stack';

describe('PlumblineStack resources', () => {
  const { template } = synth();

  it('runs the sync function on x86_64 Node 22 with the kubectl layer and 4 GiB of /tmp', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      Layers: [KUBECTL_LAYER_ARN],
      EphemeralStorage: { Size: 4096 },
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Timeout: 9 });
  });

  it('feeds the sync function one message at a time and reports partial failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('routes POST /webhooks/{provider} to the webhook function, throttled and access-logged', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/{provider}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue() },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('triggers reconcile on the configured schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
  });

  it('alarms on the dead-letter queue, sync failures, drift and audit checkpoint failures, to an encrypted topic', () => {
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'SyncFailed',
      'DriftDetected',
      'AuditCheckpointFailed',
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Threshold: 1,
        AlarmActions: [Match.anyValue()],
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // The reconcile function logs the message the filter counts (Powertools' JSON `message`).
    const reconcileLogs = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(([id]) =>
      /Reconcile/.test(id),
    )?.[0];
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: reconcileLogs },
      FilterPattern: `{ $.message = "${CHECKPOINT_FAILED_MESSAGE}" }`,
      MetricTransformations: [Match.objectLike({ MetricName: 'AuditCheckpointFailed', MetricValue: '1' })],
    });
  });

  it('generates the webhook secret and reads git credentials by name', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain(':secret:plumbline/git/platform-config-??????');
    // The functions look the secret up by name: a partial ARN of a name ending in "-config" would
    // be read as one with the random suffix "config" and not found.
    expect(json).toContain('credentialsSecretName\\":\\"plumbline/git/platform-config\\"');
    expect(json).not.toContain('credentialsSecretArn');
  });

  it("refuses at synth a deployment too large for Lambda's 4 KB of environment", () => {
    const clusters = Array.from({ length: 12 }, (_, i) => ({
      name: `cluster-${i}`,
      region: 'eu-west-1',
      allowedNamespaces: Array.from({ length: 6 }, (_, n) => `team-namespace-${n}`),
      clusterScoped: false,
    }));
    expect(() => synth({ ...PROPS, clusters })).toThrow(
      /^the deployment \(1 repositories, 12 clusters\) takes \d+ bytes of the functions' environment, over the 3296/,
    );
    expect(() => synth({ ...PROPS, clusters: clusters.slice(0, 6) })).not.toThrow();
  });

  it('lets the webhook function keep and release its own delivery claim', () => {
    const webhookPolicies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('Webhook') },
    });
    const statements = JSON.stringify(Object.values(webhookPolicies));
    expect(statements).toContain('dynamodb:DeleteItem');
    expect(statements).toContain('dynamodb:UpdateItem');
    expect(statements).toContain('dynamodb:PutItem');
  });

  it('outputs what users wire up: the webhook URL and secret, the audit table, the sync role, the audit HMAC key', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PlumblineWebhookUrl/),
        expect.stringMatching(/^PlumblineWebhookSecretArn/),
        expect.stringMatching(/^PlumblineAuditTableName/),
        expect.stringMatching(/^PlumblineSyncRoleArn/),
        expect.stringMatching(/^PlumblineAuditHmacKeyArn/),
      ]),
    );
  });

  it('runs the sync function in the configured VPC', () => {
    const vpc = synth({
      ...PROPS,
      network: {
        vpcId: 'vpc-0abc',
        subnetIds: ['subnet-0a', 'subnet-0b'],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      },
    });
    vpc.template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      VpcConfig: { SubnetIds: ['subnet-0a', 'subnet-0b'], SecurityGroupIds: [Match.anyValue()] },
    });
    expect(nagFindings(vpc.stack)).toEqual([]);
  });

  it('leaves clusters of other accounts to ClusterAccessStack', () => {
    const other = synth({
      ...PROPS,
      clusters: [
        {
          name: 'edge',
          region: 'us-east-1',
          account: '222222222222',
          allowedNamespaces: ['edge'],
          clusterScoped: false,
        },
      ],
    });
    other.template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    const assume = JSON.stringify(other.template.toJSON());
    expect(assume).toContain(':iam::222222222222:role/plumbline-edge-us-east-1');
  });
});

describe('ClusterAccessStack', () => {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new ClusterAccessStack(app, 'Access', {
    env: { account: '222222222222', region: 'us-east-1' },
    cluster: {
      name: 'edge',
      region: 'us-east-1',
      account: '222222222222',
      allowedNamespaces: ['edge'],
      clusterScoped: false,
    },
    syncRoleArn: 'arn:aws:iam::111111111111:role/Plumbline-sync-eu-west-1',
  });
  const template = Template.fromStack(stack);

  it('trusts the sync role of the Plumbline account only, and scopes the access entry', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'plumbline-edge-us-east-1',
      AssumeRolePolicyDocument: {
        Statement: [{ Principal: { AWS: 'arn:aws:iam::111111111111:role/Plumbline-sync-eu-west-1' } }],
      },
    });
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'edge',
      AccessPolicies: [{ AccessScope: { Type: 'namespace', Namespaces: ['edge'] } }],
    });
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('parsePlumblineConfig', () => {
  it('reports every mistake on its own line with its path', () => {
    let error: unknown;
    try {
      parsePlumblineConfig({
        repositories: [{ url: 'http://x', branch: 'main', provider: 'svn' }],
        clusters: [{ name: 'prod', region: 'nowhere', allowedNamespaces: [] }],
        extra: 1,
      });
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlumblineConfigError);
    const issues = (error as PlumblineConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^repositories\[0\]\.url: must be an https:\/\/ clone URL$/),
        expect.stringMatching(/^repositories\[0\]\.provider: /),
        expect.stringMatching(/^clusters\[0\]\.region: must be an AWS region/),
        expect.stringMatching(/^clusters\[0\]\.allowedNamespaces: must list at least one namespace$/),
        expect.stringMatching(/extra/),
      ]),
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses a repository URL that carries credentials, which would be logged with it', () => {
    const raw = JSON.parse(readFileSync(join(__dirname, '..', '..', 'plumbline.config.json'), 'utf8'));
    raw.repositories[0].url =
      'https://x-access-token:ghp_abcdefghijklmnop@github.com/acme/platform-config.git';
    expect(() => parsePlumblineConfig(raw)).toThrow(
      'repositories[0].url: must not carry credentials: put them in credentialsSecretName',
    );
  });

  it('allows commitStatus only on a GitHub repository with a credentials secret', () => {
    const issues = (repository: Record<string, unknown>): readonly string[] => {
      try {
        parsePlumblineConfig({
          repositories: [{ url: 'https://gitlab.com/a/b.git', branch: 'main', ...repository }],
          clusters: [{ name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] }],
        });
        return [];
      } catch (err: unknown) {
        return (err as PlumblineConfigError).issues;
      }
    };
    expect(issues({ provider: 'gitlab', commitStatus: true, credentialsSecretName: 'git/b' })).toEqual([
      'repositories[0].commitStatus: commit statuses are set on GitHub only (provider github)',
    ]);
    expect(issues({ provider: 'github', commitStatus: true })).toEqual([
      'repositories[0].commitStatus: needs credentialsSecretName: the token that sets statuses is read from it',
    ]);
    expect(issues({ provider: 'github', commitStatus: true, credentialsSecretName: 'git/b' })).toEqual([]);
  });

  it('tells the sync function which repositories want commit statuses', () => {
    const withStatus = { ...PROPS.repositories[0]!, commitStatus: true };
    const json = JSON.stringify(synth({ ...PROPS, repositories: [withStatus] }).template.toJSON());
    expect(json).toContain('\\"commitStatus\\":true');
    expect(JSON.stringify(synth().template.toJSON())).not.toContain('commitStatus');
  });

  it('accepts the example plumbline.config.json', () => {
    const config = parsePlumblineConfig(require('../../plumbline.config.json'));
    expect(config.stackName).toBe('Plumbline');
    expect(config.clusters[0]?.clusterScoped).toBe(false);
  });
});
