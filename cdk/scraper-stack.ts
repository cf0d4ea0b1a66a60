import { Annotations, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { SEEN_PREFIX } from '../core/normalise-object.js';
import { grantObjects } from './bucket-access.js';
import { configureCdkManagedResources } from './checks.js';
import {
  checkDeployable,
  CONTEXT_KEY,
  openRequestCeiling,
  pollConcurrency,
  requiredAccountConcurrency,
  resolveSettings,
  type ScraperSettings,
  type ScraperSettingsInput,
} from './config.js';
import { DataBucket, QUARANTINE_PREFIX, RAW_PREFIX, RAW_SUFFIX, STATE_PREFIX, TABLES_PREFIX } from './data-bucket.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { Monitoring } from './monitoring.js';
import { QueryLayer } from './query-layer.js';
import { ScheduledPlan } from './scheduled-plan.js';
import { ScraperFunction } from './scraper-function.js';
import { WorkQueue } from './work-queue.js';

export interface ScraperStackProps extends StackProps {
  /** Settings over those in the `scraper` context (see config.ts). @default - context, then DEFAULT_SETTINGS */
  readonly settings?: ScraperSettingsInput;
}

/** SQS wants the visibility timeout at least 6 times the consumer's timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Async S3-event invocations of the normaliser retried by Lambda before the failure queue. */
const NORMALISE_RETRY_ATTEMPTS = 2;

/**
 * The AWS host of the scraper (docs/aws.md):
 * schedule → dispatch → SQS → fetch → S3 raw/ → normalise → S3 tables/ → Glue/Athena,
 * plus a nightly compaction.
 *
 * The semaphore: the two SQS event sources' maxConcurrency (polls, bid histories) cap
 * concurrent fetch invocations at fetchMaxConcurrency in all, each of which keeps at most
 * fetchConcurrencyPerInvocation requests open, so at most fetchMaxConcurrency ×
 * fetchConcurrencyPerInvocation requests are open at once (an output and the stack
 * description say the number). Reserved concurrency equals their sum: the mappings are
 * never throttled (throttled receives would count towards the dead-letter queue) and
 * nothing else can push fetches past the ceiling.
 */
export class ScraperStack extends Stack {
  public readonly settings: ScraperSettings;
  /** Most requests the deployment can have open at once. */
  public readonly openRequestCeiling: number;
  public readonly data: DataBucket;
  public readonly work: WorkQueue;
  public readonly normaliseFailures: DeadLetterQueue;
  public readonly scheduleFailures: DeadLetterQueue;
  public readonly monitoring: Monitoring;
  public readonly queries: QueryLayer;
  public readonly dispatchFunction: ScraperFunction;
  public readonly fetchFunction: ScraperFunction;
  public readonly normaliseFunction: ScraperFunction;
  public readonly compactFunction: ScraperFunction;

  constructor(scope: Construct, id: string, props: ScraperStackProps = {}) {
    const { settings: given, ...stackProps } = props;
    // Parsed before super() so that a bad setting fails before any resource exists.
    const settings = resolveSettings(scope, given);
    checkDeployable(settings);
    const ceiling = openRequestCeiling(settings);
    super(scope, id, {
      ...stackProps,
      description:
        stackProps.description ??
        `Polite API scraper (MaxSold auctions, VIA Rail trains): schedules, SQS, Lambda, S3 Parquet, Athena. ` +
          `At most ${ceiling} requests open at once (fetchMaxConcurrency ${settings.fetchMaxConcurrency} x fetchConcurrencyPerInvocation ${settings.fetchConcurrencyPerInvocation}).`,
    });
    this.settings = settings;
    this.openRequestCeiling = ceiling;

    this.data = new DataBucket(this, 'DataBucket', { rawRetentionDays: settings.rawRetentionDays });
    const bucket = this.data.bucket;

    const fetchTimeout = Duration.seconds(settings.fetchTimeoutSeconds);
    this.work = new WorkQueue(this, 'Work', {
      visibilityTimeout: Duration.seconds(settings.fetchTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      maxReceiveCount: settings.maxReceiveCount,
    });
    const queue = this.work.queue;
    const bidQueue = this.work.bidHistories;

    this.normaliseFailures = new DeadLetterQueue(this, 'NormaliseFailures', {
      description: 'S3 events the normaliser failed on after its retries (reprocess the raw object)',
    });
    Validations.of(this.normaliseFailures.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: the on-failure destination of the normaliser's async invocations (an alarm watches it).",
    });

    this.scheduleFailures = new DeadLetterQueue(this, 'ScheduleFailures', {
      description: 'Scheduled dispatch and compaction invocations that failed after their retries (the next schedule runs as usual)',
    });
    Validations.of(this.scheduleFailures.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the on-failure destination of the scheduled dispatch and compaction invocations (an alarm watches it).',
    });

    const common = { BUCKET_NAME: bucket.bucketName };

    // Dispatch: plans work items on a schedule; reads and advances its cursor, reads the
    // normaliser's seen markers and deletes those of auctions closed for good.
    this.dispatchFunction = new ScraperFunction(this, 'Dispatch', {
      handlerName: 'dispatch',
      description: 'Plans MaxSold ids or a VIA snapshot and sends the work items to the queue',
      timeout: Duration.seconds(30),
      memorySize: 256,
      onFailure: new SqsDestination(this.scheduleFailures.queue),
      environment: {
        ...common,
        QUEUE_URL: queue.queueUrl,
        MAXSOLD_START_ID: String(settings.maxsoldStartId),
        MAXSOLD_WINDOW: String(settings.maxsoldWindow),
        ...(settings.maxsoldIds === undefined ? {} : { MAXSOLD_IDS: settings.maxsoldIds }),
      },
    });
    grantObjects(this.dispatchFunction, bucket, STATE_PREFIX, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);
    // Not limited by s3:prefix: S3 answers a GetObject of a missing key with 404 only to a
    // caller allowed to list the bucket (otherwise 403), and the first dispatch reads a
    // cursor that does not exist yet. Listing reveals key names, no contents.
    this.dispatchFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    queue.grantSendMessages(this.dispatchFunction);

    // Fetch: the only function that talks to the APIs; writes raw responses, nothing else.
    this.fetchFunction = new ScraperFunction(this, 'Fetch', {
      handlerName: 'fetch',
      description: `Fetches a batch of work items (at most ${settings.fetchConcurrencyPerInvocation} requests open) and stores each response under raw/`,
      timeout: fetchTimeout,
      memorySize: 512,
      reservedConcurrentExecutions: settings.fetchMaxConcurrency,
      environment: {
        ...common,
        QUEUE_URL: queue.queueUrl,
        BIDS_QUEUE_URL: bidQueue.queueUrl,
        FETCH_CONCURRENCY: String(settings.fetchConcurrencyPerInvocation),
        FETCH_RATE: String(settings.fetchRate),
        MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
        ...(settings.baseUrl === undefined ? {} : { BASE_URL: settings.baseUrl }),
        USER_AGENT: settings.userAgent,
      },
    });
    if (settings.accountConcurrency === undefined) {
      // Shown by every synth and deploy until the quota is stated (and then checked).
      Annotations.of(this.fetchFunction).addWarningV2(
        'api-scraper:account-concurrency',
        `Fetch reserves ${settings.fetchMaxConcurrency} concurrent executions: the account's Lambda quota must be at least ${requiredAccountConcurrency(settings)} (Lambda keeps 100 unreserved; new accounts often have 10). ` +
          `Check with "aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions", then set -c ${CONTEXT_KEY}.accountConcurrency=<quota> to have the synth check it.`,
      );
    }
    // Two event sources sharing the reserved concurrency: polls and bid histories each have
    // their own fetches, so neither queue's backlog delays the other's items.
    for (const [source, maxConcurrency] of [
      [queue, pollConcurrency(settings)],
      [bidQueue, settings.bidHistoryConcurrency],
    ] as const) {
      this.fetchFunction.addEventSource(
        new SqsEventSource(source, { batchSize: settings.fetchBatchSize, maxConcurrency, reportBatchItemFailures: true }),
      );
    }
    // PutObject: the raw responses. GetObject (HEAD only, in practice): the metadata of an
    // item fetched earlier the same day, whose ETag/Last-Modified make a re-poll conditional.
    grantObjects(this.fetchFunction, bucket, RAW_PREFIX, ['s3:GetObject', 's3:PutObject']);
    // A body past the size limit is quarantined at once, with its first bytes.
    grantObjects(this.fetchFunction, bucket, QUARANTINE_PREFIX, ['s3:PutObject']);
    // As for dispatch: without ListBucket a HEAD of a key not yet written is a 403, not a 404.
    this.fetchFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    // Retry-After: the handler hides that message for the wait the API asked for.
    // (The event source's consume grant includes it too; this does not rely on that.)
    this.fetchFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:ChangeMessageVisibility'], resources: [queue.queueArn, bidQueue.queueArn] }),
    );

    // Normalise: one invocation per raw object, straight from the S3 event; leaves a
    // state/seen/ marker per auction for the dispatcher, and plans bid histories.
    this.normaliseFunction = new ScraperFunction(this, 'Normalise', {
      handlerName: 'normalise',
      description: 'Turns one raw object into Parquet rows under tables/ (or quarantines it)',
      timeout: Duration.seconds(60),
      memorySize: 1024,
      writesParquet: true,
      retryAttempts: NORMALISE_RETRY_ATTEMPTS,
      onFailure: new SqsDestination(this.normaliseFailures.queue),
      environment: { ...common, BIDS_QUEUE_URL: bidQueue.queueUrl, BIDS_EVERY_POLL: String(settings.maxsoldWithBids) },
    });
    // The bid histories of a closed auction's items (or of every poll's, with maxsoldWithBids).
    bidQueue.grantSendMessages(this.normaliseFunction);
    grantObjects(this.normaliseFunction, bucket, RAW_PREFIX, ['s3:GetObject']);
    // DeleteObject: a re-poll the same day that has no rows for a table (an auction emptied) removes its earlier file.
    grantObjects(this.normaliseFunction, bucket, TABLES_PREFIX, ['s3:PutObject', 's3:DeleteObject']);
    grantObjects(this.normaliseFunction, bucket, QUARANTINE_PREFIX, ['s3:PutObject']);
    grantObjects(this.normaliseFunction, bucket, SEEN_PREFIX, ['s3:PutObject']);
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new LambdaDestination(this.normaliseFunction), {
      prefix: RAW_PREFIX,
      suffix: RAW_SUFFIX,
    });

    // Compact: merges each partition's files into one, deduplicated by source_key.
    this.compactFunction = new ScraperFunction(this, 'Compact', {
      handlerName: 'compact',
      description: 'Merges the small Parquet files of recent partitions, deduplicated by source_key',
      timeout: Duration.seconds(900),
      memorySize: 3008,
      writesParquet: true,
      onFailure: new SqsDestination(this.scheduleFailures.queue),
      environment: common,
    });
    // Unconditional, as for dispatch and fetch: a file another run removed between the listing and
    // its GET is a 404 (nothing to merge), not a 403 that fails the night.
    this.compactFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    grantObjects(this.compactFunction, bucket, TABLES_PREFIX, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);

    new ScheduledPlan(this, 'MaxsoldSchedule', {
      schedule: settings.maxsoldSchedule,
      plan: 'maxsold',
      target: this.dispatchFunction,
      description: 'Plan the next MaxSold auction ids (and re-poll open auctions)',
    });
    new ScheduledPlan(this, 'ViaSchedule', {
      schedule: settings.viaSchedule,
      plan: 'via',
      target: this.dispatchFunction,
      description: 'Plan one VIA Rail snapshot',
    });
    new ScheduledPlan(this, 'CompactionSchedule', {
      schedule: settings.compactionSchedule,
      plan: 'compact',
      target: this.compactFunction,
      description: 'Compact the Parquet partitions',
    });

    this.queries = new QueryLayer(this, 'Queries', { bucket });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      dispatch: this.dispatchFunction,
      fetch: this.fetchFunction,
      normalise: this.normaliseFunction,
      compact: this.compactFunction,
      workQueue: queue,
      bidHistoryQueue: bidQueue,
      deadLetterQueues: [this.work.deadLetters.queue, this.normaliseFailures.queue, this.scheduleFailures.queue],
      alarmEmail: settings.alarmEmail,
    });
    this.monitoring.notifyEveryAlarm();

    configureCdkManagedResources(this);

    new CfnOutput(this, 'BucketName', {
      value: bucket.bucketName,
      description: 'Raw responses, Parquet tables, quarantine, state and Athena results',
    });
    new CfnOutput(this, 'WorkQueueUrl', { value: queue.queueUrl, description: 'Polls for the fetch function (new ids, re-polls, VIA)' });
    new CfnOutput(this, 'BidHistoryQueueUrl', { value: bidQueue.queueUrl, description: 'Bid histories for the fetch function' });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.work.deadLetters.queue.queueUrl,
      description: 'Work items (polls and bid histories) that failed every attempt; redrive returns each to its queue',
    });
    new CfnOutput(this, 'NormaliseFailuresQueueUrl', {
      value: this.normaliseFailures.queue.queueUrl,
      description: 'S3 events the normaliser failed on',
    });
    new CfnOutput(this, 'ScheduleFailuresQueueUrl', {
      value: this.scheduleFailures.queue.queueUrl,
      description: 'Scheduled dispatch and compaction invocations that failed',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'Every alarm notifies this topic: subscribe to it (or set scraper.alarmEmail)',
    });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.queries.workGroup.ref, description: 'Athena workgroup with the named queries' });
    new CfnOutput(this, 'GlueDatabase', { value: this.queries.database.ref, description: 'Glue database of the Parquet tables' });
    new CfnOutput(this, 'OpenRequestCeiling', {
      value: String(ceiling),
      description: `Most requests open at once: fetchMaxConcurrency (${settings.fetchMaxConcurrency}) x fetchConcurrencyPerInvocation (${settings.fetchConcurrencyPerInvocation})`,
    });
  }
}
