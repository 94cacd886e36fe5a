import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IRule } from 'aws-cdk-lib/aws-events';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CHECKPOINT_FAILED_MESSAGE,
  METRIC,
  METRICS_NAMESPACE,
  REPOSITORY_SKIPPED_MESSAGE,
  SERVICE_NAME,
} from '../../functions/shared/metric-names';

/**
 * A sync takes seconds, and a transient failure is retried for about 13 minutes before the
 * dead-letter queue (lib/core/pipeline/redelivery.ts): a message older than this means a cluster's
 * group is stuck (invocations timing out, the function throttled) or the queue is backed up.
 */
export const QUEUE_AGE_ALARM_SECONDS = 15 * 60;

export interface MonitoringProps {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  /** The reconcile function's log group: a checkpoint it could not write is logged there. */
  readonly reconcileLogs?: ILogGroup;
  /** Functions by name (webhook, sync, reconcile): each one's Errors and Throttles are alarmed on. */
  readonly functions?: Readonly<Record<string, IFunction>>;
  /** The webhook API: its 5xx answers are alarmed on (a provider does not redeliver most of them). */
  readonly api?: IHttpApi;
  /** The reconcile schedule: invocations EventBridge could not make, after its retries. */
  readonly schedule?: IRule;
}

const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

function plumblineMetric(metricName: string, statistic: string): Metric {
  // Powertools adds the `service` dimension to every metric it emits.
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period: Duration.minutes(5),
  });
}

/**
 * The dashboard and alarms to SNS: dead-letter queue, sync failures, drift, audit checkpoints, each
 * function's errors and throttles, the queue's oldest message, API 5xx, and reconcile failures (a
 * repository it could not read, an invocation EventBridge could not make). Every alarm's metric is
 * also on the dashboard.
 */
export class Monitoring extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'Topic', props.alarmTopicArn)
      : this.newTopic(props.alarmEmail);

    const failures = plumblineMetric(METRIC.syncFailed, 'Sum');
    const drift = plumblineMetric(METRIC.driftDetected, 'Sum');
    const dlqDepth = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    const alarm = (name: string, metric: IMetric, description: string, threshold = 1): void => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(created);
    };
    alarm('DeadLetterAlarm', dlqDepth, 'Sync messages failed three times and are in the dead-letter queue');
    alarm('SyncFailureAlarm', failures, 'A sync failed');
    alarm('DriftAlarm', drift, 'Drift detected on a detect-only app');
    const minutes5 = { period: Duration.minutes(5), statistic: 'Sum' };
    const functions = Object.entries(props.functions ?? {});
    for (const [name, fn] of functions) {
      // A sync job's own failures are recorded and answered, not thrown: Errors here are crashes,
      // timeouts and out-of-memory, in any function.
      alarm(`${capitalized(name)}ErrorsAlarm`, fn.metricErrors(minutes5), `The ${name} function failed`);
      alarm(
        `${capitalized(name)}ThrottlesAlarm`,
        fn.metricThrottles(minutes5),
        `The ${name} function was throttled (its reserved or the account's concurrency)`,
      );
    }
    const queueAge = props.queue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    alarm(
      'QueueAgeAlarm',
      queueAge,
      `A sync message has waited ${QUEUE_AGE_ALARM_SECONDS / 60} minutes or more: a cluster's queue group is stuck or the queue is backed up`,
      QUEUE_AGE_ALARM_SECONDS,
    );
    const api5xx = props.api?.metricServerError(minutes5);
    if (api5xx) alarm('ApiServerErrorAlarm', api5xx, 'The webhook API answered a git host with a 5xx');
    const reconcileFailures: IMetric[] = [];
    if (props.schedule) {
      const failedInvocations = new Metric({
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensionsMap: { RuleName: props.schedule.ruleName },
        ...minutes5,
      });
      reconcileFailures.push(failedInvocations);
      alarm(
        'ScheduleFailedInvocationsAlarm',
        failedInvocations,
        'EventBridge could not invoke the reconcile function, after its retries',
      );
    }
    if (props.reconcileLogs) {
      // A repository the reconcile function cannot read gets no drift check and no missed-webhook
      // catch-up, while the others go on: the invocation itself succeeds.
      const skipped = new MetricFilter(this, 'RepositoryFailures', {
        logGroup: props.reconcileLogs,
        filterPattern: FilterPattern.stringValue('$.message', '=', REPOSITORY_SKIPPED_MESSAGE),
        metricNamespace: METRICS_NAMESPACE,
        metricName: METRIC.reconcileRepositoryFailed,
        metricValue: '1',
      }).metric(minutes5);
      reconcileFailures.push(skipped);
      alarm('ReconcileRepositoryAlarm', skipped, 'The reconcile function could not read a repository');
      // Checkpoints that stop being written widen, unseen, the window in which records deleted from
      // the end of a chain would not show in audit verify.
      const filter = new MetricFilter(this, 'CheckpointFailures', {
        logGroup: props.reconcileLogs,
        filterPattern: FilterPattern.stringValue('$.message', '=', CHECKPOINT_FAILED_MESSAGE),
        metricNamespace: METRICS_NAMESPACE,
        metricName: METRIC.checkpointFailed,
        metricValue: '1',
      });
      const checkpointFailures = filter.metric(minutes5);
      reconcileFailures.push(checkpointFailures);
      alarm(
        'CheckpointFailureAlarm',
        checkpointFailures,
        'The reconcile function could not write an audit checkpoint',
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({
            title: 'Syncs',
            left: [
              plumblineMetric(METRIC.syncSucceeded, 'Sum'),
              failures,
              plumblineMetric(METRIC.syncRetried, 'Sum'),
            ],
          }),
          new GraphWidget({ title: 'Drift detected', left: [drift] }),
          new GraphWidget({
            title: 'Sync duration',
            left: [
              plumblineMetric(METRIC.syncDuration, 'p50').with({ label: 'p50' }),
              plumblineMetric(METRIC.syncDuration, 'p99').with({ label: 'p99' }),
            ],
          }),
        ],
        [
          new GraphWidget({ title: 'Queue age (s)', left: [queueAge] }),
          new GraphWidget({ title: 'Dead-letter queue depth', left: [dlqDepth] }),
          new GraphWidget({ title: 'Webhook API 5xx', left: api5xx ? [api5xx] : [] }),
        ],
        [
          new GraphWidget({
            title: 'Function errors',
            left: functions.map(([name, fn]) => fn.metricErrors(minutes5).with({ label: name })),
          }),
          new GraphWidget({
            title: 'Function throttles',
            left: functions.map(([name, fn]) => fn.metricThrottles(minutes5).with({ label: name })),
          }),
          new GraphWidget({ title: 'Reconcile failures', left: reconcileFailures }),
        ],
      ],
    });
  }

  private newTopic(email: string | undefined): Topic {
    const key = new Key(this, 'TopicKey', {
      description: 'Plumbline alarms',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarms to the encrypted topic.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}
