import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { REPOSITORY_SKIPPED_MESSAGE } from '../../functions/shared/metric-names';
import { type PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { QUEUE_AGE_ALARM_SECONDS } from '../../infra/constructs/monitoring';
import { MAX_RECEIVES } from '../../lib/core/pipeline';
import { PROPS, ROOT, synth } from './stack';

type Resource = { Properties: Record<string, unknown> };

/** The logical id of the one resource of `type` whose id matches `pattern`. */
function idOf(template: Template, type: string, pattern: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('Monitoring', () => {
  const { template } = synth();
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
  const fn = (name: RegExp) => idOf(template, 'AWS::Lambda::Function', name);

  it('lists every alarm: DLQ, sync failures, drift, checkpoints, errors and throttles of each function, queue age, API 5xx, reconcile failures', () => {
    const described = alarms
      .map((a) => {
        const p = a.Properties as {
          Namespace: string;
          MetricName: string;
          Dimensions?: { Value: unknown }[];
        };
        const dimension = JSON.stringify(p.Dimensions?.[0]?.Value ?? '');
        // The dead-letter queue's id begins with its construct's, SyncQueue.
        const owner = (/DeadLetter/.exec(dimension) ??
          /Webhook|Sync(?!Queue)|Reconcile|Schedule|Api|SyncQueue/.exec(dimension))?.[0];
        return `${p.Namespace} ${p.MetricName}${owner ? ` ${owner}` : ''}`;
      })
      .sort();
    expect(described).toEqual(
      [
        'AWS/ApiGateway 5xx Api',
        'AWS/Events FailedInvocations Schedule',
        'AWS/Lambda Errors Reconcile',
        'AWS/Lambda Errors Sync',
        'AWS/Lambda Errors Webhook',
        'AWS/Lambda Throttles Reconcile',
        'AWS/Lambda Throttles Sync',
        'AWS/Lambda Throttles Webhook',
        'AWS/SQS ApproximateAgeOfOldestMessage SyncQueue',
        'AWS/SQS ApproximateNumberOfMessagesVisible DeadLetter',
        'Plumbline AuditCheckpointFailed',
        'Plumbline DriftDetected',
        'Plumbline ReconcileRepositoryFailed',
        'Plumbline SyncFailed',
      ].sort(),
    );
  });

  it('sends every alarm to the one alarm topic', () => {
    const topic = idOf(template, 'AWS::SNS::Topic', /Monitoring/);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it("alarms on each function's errors and throttles, by function", () => {
    for (const name of [/Webhook/, /Sync/, /Reconcile/]) {
      for (const metric of ['Errors', 'Throttles'])
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn(name) } }],
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
    }
  });

  it("alarms when the sync queue's oldest message is 15 minutes old, longer than a whole retry cycle", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Threshold: QUEUE_AGE_ALARM_SECONDS,
    });
    // 30 + 60 + 120 + 240 s of backoff (the last receive goes to the DLQ at once), plus a 5-minute
    // ceiling per attempt that fails fast; a queue older than this is not one message's retries.
    expect(QUEUE_AGE_ALARM_SECONDS).toBeGreaterThan(30 + 60 + 120 + 240 + 300);
  });

  it("alarms on the API's 5xx, EventBridge's failed reconcile invocations and repositories reconcile skipped", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: idOf(template, 'AWS::ApiGatewayV2::Api', /Api/) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: idOf(template, 'AWS::Events::Rule', /Schedule/) } }],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: idOf(template, 'AWS::Logs::LogGroup', /ReconcileLogs/) },
      FilterPattern: `{ $.message = "${REPOSITORY_SKIPPED_MESSAGE}" }`,
      MetricTransformations: [
        Match.objectLike({ MetricName: 'ReconcileRepositoryFailed', MetricValue: '1' }),
      ],
    });
  });

  it('names every alarm in the README monitoring table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const ids = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map(
      (id) => /^PlumblineMonitoring(\w+Alarm)[0-9A-F]{8}$/.exec(id)?.[1],
    );
    expect(ids).toHaveLength(14);
    for (const id of ids) expect(readme).toContain(`\`${id}\``);
  });

  it('graphs every alarmed metric on the dashboard', () => {
    const dashboard = JSON.stringify(
      (Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as Resource).Properties,
    );
    for (const alarm of alarms) {
      const { MetricName } = alarm.Properties as { MetricName: string };
      expect(dashboard).toContain(`\\"${MetricName}\\"`);
    }
    for (const id of [fn(/Webhook/), fn(/Sync/), fn(/Reconcile/)])
      expect(dashboard).toContain(`"Ref":"${id}"`);
    expect(dashboard).toContain('SyncRetried');
  });
});

describe('Sync queue and reserved concurrency', () => {
  const { template } = synth();

  it('holds a group at most 5 min 30 s for a crashed or timed-out attempt, and dead-letters after the retry cycle', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'], Timeout: 300 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 330,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: MAX_RECEIVES },
    });
  });

  it('reserves concurrency for the webhook function only (sync is bounded by its FIFO groups), and 0 reserves none', () => {
    const reserved = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .map((f) => (f as Resource).Properties.ReservedConcurrentExecutions)
        .filter((r) => r !== undefined);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 9, ReservedConcurrentExecutions: 10 });
    expect(reserved(template)).toEqual([10]);
    expect(reserved(synth({ ...PROPS, webhookConcurrency: 25 }).template)).toEqual([25]);
    expect(reserved(synth({ ...PROPS, webhookConcurrency: 0 }).template)).toEqual([]);
  });
});

describe('Sync retries', () => {
  const { template } = synth();

  it("lets the sync role set a failed message's backoff (ChangeMessageVisibility on the sync queue)", () => {
    const queue = idOf(template, 'AWS::SQS::Queue', /^PlumblineSyncQueue(?!DeadLetter)/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:ChangeMessageVisibility']),
            Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
          }),
        ]),
      },
      Roles: [{ Ref: idOf(template, 'AWS::IAM::Role', /SyncRole/) }],
    });
  });
});

describe('webhookConcurrency', () => {
  const base = {
    repositories: [{ url: 'https://github.com/a/b.git', branch: 'main', provider: 'github' }],
    clusters: [{ name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] }],
  };
  const issues = (webhookConcurrency: unknown): readonly string[] => {
    try {
      parsePlumblineConfig({ ...base, webhookConcurrency });
      return [];
    } catch (err: unknown) {
      return (err as PlumblineConfigError).issues;
    }
  };

  it('accepts 0 to 1000 and refuses anything else, naming the field', () => {
    expect(issues(0)).toEqual([]);
    expect(issues(50)).toEqual([]);
    for (const bad of [-1, 1.5, 1001, '10'])
      expect(issues(bad)).toEqual([expect.stringMatching(/^webhookConcurrency: /)]);
  });
});
