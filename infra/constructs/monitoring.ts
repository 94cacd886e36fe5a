import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CHECKPOINT_FAILED_MESSAGE,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../functions/shared/metric-names';

export interface MonitoringProps {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  /** The reconcile function's log group: a checkpoint it could not write is logged there. */
  readonly reconcileLogs?: ILogGroup;
}

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

/** The dashboard (syncs, failures, drift, duration p50/p99, queue age, DLQ depth) and alarms to SNS. */
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
    const alarm = (name: string, metric: IMetric, description: string): void => {
      const created = new Alarm(this, name, {
        metric,
        threshold: 1,
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
    if (props.reconcileLogs) {
      // Checkpoints that stop being written widen, unseen, the window in which records deleted from
      // the end of a chain would not show in audit verify.
      const filter = new MetricFilter(this, 'CheckpointFailures', {
        logGroup: props.reconcileLogs,
        filterPattern: FilterPattern.stringValue('$.message', '=', CHECKPOINT_FAILED_MESSAGE),
        metricNamespace: METRICS_NAMESPACE,
        metricName: METRIC.checkpointFailed,
        metricValue: '1',
      });
      alarm(
        'CheckpointFailureAlarm',
        filter.metric({ statistic: 'Sum', period: Duration.minutes(5) }),
        'The reconcile function could not write an audit checkpoint',
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({
            title: 'Syncs',
            left: [plumblineMetric(METRIC.syncSucceeded, 'Sum'), failures],
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
          new GraphWidget({
            title: 'Queue age (s)',
            left: [props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) })],
          }),
          new GraphWidget({ title: 'Dead-letter queue depth', left: [dlqDepth] }),
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
