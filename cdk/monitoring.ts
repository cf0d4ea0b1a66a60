import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME } from './scraper-function.js';

export interface MonitoringProps {
  readonly dispatch: lambda.Function;
  readonly fetch: lambda.Function;
  readonly normalise: lambda.Function;
  readonly compact: lambda.Function;
  /** The polls' work queue. */
  readonly workQueue: sqs.IQueue;
  /** The bid histories' work queue. */
  readonly bidHistoryQueue: sqs.IQueue;
  /** Dead-letter and failure queues, shown on the dashboard (each has its own alarm). */
  readonly deadLetterQueues: sqs.IQueue[];
  /** Subscribed to the alarm topic. @default - none: subscribe to the topic yourself */
  readonly alarmEmail?: string;
  /** A poll older than this means fetching has fallen behind or is stuck. @default Duration.hours(1) */
  readonly oldestMessageAge?: Duration;
  /**
   * A bid history older than this, likewise. A first deploy that meets ten days of closed
   * auctions queues ~100,000 of them (about 2 hours at the default settings). @default Duration.hours(6)
   */
  readonly oldestBidHistoryAge?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Who is told, and where to look: an SNS topic that every alarm in the stack notifies
 * (an email subscription when one is given), the alarms the queues' own ones do not
 * cover, and a dashboard of the pipeline's flow.
 *
 * Call `notifyEveryAlarm()` once the stack is complete: it adds the topic to every alarm
 * in the stack, so none can be forgotten.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.topic = new sns.Topic(this, 'Alarms', { displayName: `${stackName} alarms`, enforceSSL: true });
    // The topic policy enforceSSL writes replaces SNS's default one, which let the account's
    // alarms publish: without this statement no alarm could notify anyone.
    const { account, partition, region } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer-managed key would add its monthly cost for no secret.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const alarm = (name: string, description: string, metric: cloudwatch.IMetric, threshold = 0) =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const sum = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };
    /** A metric the handlers publish (Powertools EMF), summed over five minutes; an alarm's has no label (a label makes it metric math). */
    const appMetric = (name: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: POWERTOOLS_METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: POWERTOOLS_SERVICE_NAME },
        ...(label === undefined ? {} : { label }),
        ...sum,
      });
    alarm(
      'FetchThrottled',
      'The fetch function was throttled: each throttled batch counts a receive toward the dead-letter queue (reserved concurrency below the event source maxConcurrency, or the account quota)',
      props.fetch.metricThrottles(sum),
    );
    alarm(
      'FetchErrors',
      'A fetch invocation failed as a whole (not a single work item): its batch goes back to the queue',
      props.fetch.metricErrors(sum),
    );
    alarm(
      'DispatchErrors',
      'A dispatch failed: no work planned for that schedule (retried twice, then in the schedule failures queue)',
      props.dispatch.metricErrors(sum),
    );
    alarm(
      'CompactErrors',
      'The nightly compaction failed: partitions keep their small files until the next run',
      props.compact.metricErrors(sum),
    );
    // An async event Lambda gives up on (retries spent, or too old) goes to the function's failure
    // queue, whose own alarm fires; AsyncEventsDropped counts those too, so it would only repeat
    // that alarm. What is lost is a failure record Lambda could not deliver (a refused send, its size).
    const lost: [lambda.Function, string, string][] = [
      [props.normalise, 'NormaliseRecordsLost', 'S3 events the normaliser gave up on: reprocess the raw objects written then'],
      [
        props.dispatch,
        'DispatchRecordsLost',
        'schedule runs dispatch gave up on (the next MaxSold run plans that work again; a VIA snapshot of that minute is not taken)',
      ],
      [props.compact, 'CompactRecordsLost', 'nightly compactions that failed: the next night merges what is left'],
    ];
    for (const [fn, name, what] of lost) {
      alarm(
        name,
        `Lambda could not deliver to the failure queue the record of ${what}; no record of them is kept anywhere`,
        fn.metric('DestinationDeliveryFailures', sum),
      );
    }
    alarm(
      'CompactionBehind',
      "The nightly compaction ran out of time with partitions left over: they keep their small files until the next night's run merges them. Night after night, compaction is not keeping up with what a day writes.",
      appMetric('PartitionsLeftUncompacted'),
    );
    const oldest = props.oldestMessageAge ?? Duration.hours(1);
    const oldestBids = props.oldestBidHistoryAge ?? Duration.hours(6);
    const age = (q: sqs.IQueue, label?: string) =>
      q.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM, label });
    alarm(
      'WorkQueueBacklog',
      `The oldest poll has waited more than ${oldest.toHumanString()}: fetching has fallen behind or stopped`,
      age(props.workQueue),
      oldest.toSeconds(),
    );
    alarm(
      'BidHistoryBacklog',
      `The oldest bid history has waited more than ${oldestBids.toHumanString()}: fetching has fallen behind or stopped`,
      age(props.bidHistoryQueue),
      oldestBids.toSeconds(),
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: stackName, defaultInterval: Duration.days(1) });
    const functions = [props.dispatch, props.fetch, props.normalise, props.compact];
    const names = ['dispatch', 'fetch', 'normalise', 'compact'];
    const width = 8;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Work queue depth',
        width,
        left: [
          ...[[props.workQueue, 'polls'] as const, [props.bidHistoryQueue, 'bid histories'] as const].flatMap(([q, label]) => [
            q.metricApproximateNumberOfMessagesVisible({
              period: FIVE_MINUTES,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: `${label} waiting`,
            }),
            q.metricApproximateNumberOfMessagesNotVisible({
              period: FIVE_MINUTES,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: `${label} in flight or delayed`,
            }),
          ]),
          ...props.deadLetterQueues.map((q, i) =>
            q.metricApproximateNumberOfMessagesVisible({
              period: FIVE_MINUTES,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: `dead letters ${i + 1}`,
            }),
          ),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Age of the oldest work item (s)',
        width,
        left: [age(props.workQueue, 'polls'), age(props.bidHistoryQueue, 'bid histories')],
        leftAnnotations: [
          { value: oldest.toSeconds(), label: 'polls alarm' },
          { value: oldestBids.toSeconds(), label: 'bid histories alarm' },
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Fetches',
        width,
        left: [
          appMetric('Requests', 'requests'),
          appMetric('Fetched', 'stored'),
          appMetric('Unchanged', 'unchanged'),
          appMetric('Missing', 'missing'),
          appMetric('Retries', 'retried'),
        ],
        right: [appMetric('Throttled', '429 / 503')],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Errors and throttles',
        width,
        left: [
          ...functions.map((f, i) => f.metricErrors({ ...sum, label: `${names[i]} errors` })),
          props.fetch.metricThrottles({ ...sum, label: 'fetch throttles' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Duration, p90 (ms)',
        width,
        left: functions.map((f, i) => f.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(90), label: names[i] })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Rows written; nightly compaction',
        width,
        left: [appMetric('RowsWritten', 'rows'), appMetric('Quarantined', 'quarantined')],
        right: [
          appMetric('FilesCompacted', 'files compacted'),
          appMetric('PartitionsLeftUncompacted', 'partitions left for the next night'),
        ],
      }),
    );
  }

  /** Every alarm in the stack notifies the topic (when it fires and when it clears). */
  notifyEveryAlarm(): void {
    const action = new SnsAction(this.topic);
    for (const c of Stack.of(this).node.findAll()) {
      if (c instanceof cloudwatch.Alarm) {
        c.addAlarmAction(action);
        c.addOkAction(action);
      }
    }
  }
}
