import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/bundling.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { flat, resourceOf, statementsOfRole, testApp, type CfnJson } from './cdk-app.js';
import { synthTestStack, type FunctionName } from './test-stack.js';

let t: ReturnType<typeof synthTestStack>;
let stack: ScraperStack;
let template: Template;
let resources: Record<string, CfnJson>;
let defaults: ScraperStack;
let defaultsTemplate: Template;

beforeAll(() => {
  t = synthTestStack();
  ({ stack, template, resources } = t);
  defaults = new ScraperStack(testApp(), 'Defaults');
  defaultsTemplate = Template.fromStack(defaults);
});

const fn = (s: ScraperStack, tt: Template, name: FunctionName) => resourceOf(tt, s[name]);
const ofType = (type: string) => t.ofType(type);
const bucketId = () => t.bucketId();
const roleId = (name: FunctionName) => t.roleId(name);

describe('functions', () => {
  const names = ['dispatchFunction', 'fetchFunction', 'normaliseFunction', 'compactFunction'] as const;

  it('are the four handlers, each Node.js 22 on arm64 with an ESM bundle and source maps', () => {
    const ours = ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    expect(ours).toHaveLength(4);
    for (const [, r] of ours) {
      expect(r.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(r.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it.each([
    ['dispatchFunction', 30, 256],
    ['fetchFunction', 45, 512],
    ['normaliseFunction', 60, 1024],
    ['compactFunction', 900, 3008],
  ] as const)('%s has its stated timeout (s) and memory (MB)', (name, timeout, memory) => {
    expect(fn(stack, template, name).Properties).toMatchObject({ Timeout: timeout, MemorySize: memory });
  });

  it.each(names)('%s logs to its own log group, kept one month', (name) => {
    const logGroup = flat(fn(stack, template, name).Properties.LoggingConfig.LogGroup).slice(1, -1);
    expect(resources[logGroup]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

  it("every function in the stack logs to a group kept one month, CDK's S3-notifications handler too", () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(4);
    for (const [id, r] of functions) {
      const logGroup = flat(r.Properties.LoggingConfig?.LogGroup ?? '').slice(1, -1);
      expect(resources[logGroup], id).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  });

  it.each(names)('%s has its own role with no managed policy', (name) => {
    expect(resources[roleId(name)]!.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the semaphore', () => {
  const mapping = () => ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);

  it('is the SQS event sources maxConcurrency, polls and bid histories each with their own, with partial batch responses', () => {
    const source = (queue: IQueue, max: number) => ({
      BatchSize: 5,
      EventSourceArn: { 'Fn::GetAtt': [resourceOf(template, queue).id, 'Arn'] },
      FunctionName: { Ref: fn(stack, template, 'fetchFunction').id },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: max },
    });
    // fetchMaxConcurrency 7: 3 for bid histories (bidHistoryConcurrency), the other 4 for polls.
    expect(mapping()).toEqual(expect.arrayContaining([source(stack.work.queue, 4), source(stack.work.bidHistories, 3)]));
    expect(mapping()).toHaveLength(2);
    const defaults = defaultsTemplate.toJSON().Resources as Record<string, CfnJson>;
    const maxima = Object.values(defaults)
      .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map((r) => r.Properties.ScalingConfig.MaximumConcurrency as number);
    expect(maxima.sort()).toEqual([2, 3]);
  });

  it('never throttles the mappings: reserved concurrency of fetch = the sum of their maxConcurrency', () => {
    const reserved = fn(stack, template, 'fetchFunction').Properties.ReservedConcurrentExecutions as number;
    expect(reserved).toBe(mapping().reduce((n, m) => n + (m.ScalingConfig.MaximumConcurrency as number), 0));
    expect(reserved).toBe(7);
  });

  it('states the open-request ceiling (maxConcurrency x per-invocation) as an output and in the description', () => {
    template.hasOutput('OpenRequestCeiling', { Value: '21' });
    expect(template.toJSON().Description).toMatch(
      /At most 21 requests open at once \(fetchMaxConcurrency 7 x fetchConcurrencyPerInvocation 3\)/,
    );
    defaultsTemplate.hasOutput('OpenRequestCeiling', { Value: '20' });
  });
});

describe('work queue', () => {
  const workQueues = () => [stack.work.queue, stack.work.bidHistories];

  it('hides a received item for at least 6 x the fetch timeout (polls and bid histories)', () => {
    for (const queue of workQueues()) {
      const visibility = resourceOf(template, queue).Properties.VisibilityTimeout as number;
      expect(visibility).toBeGreaterThanOrEqual(6 * (fn(stack, template, 'fetchFunction').Properties.Timeout as number));
      expect(visibility).toBe(270);
    }
  });

  it('sends an item to the dead-letter queue after maxReceiveCount (>= 5) receives (polls and bid histories)', () => {
    for (const queue of workQueues()) {
      const redrive = resourceOf(template, queue).Properties.RedrivePolicy;
      expect(redrive).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [resourceOf(template, stack.work.deadLetters.queue).id, 'Arn'] },
        maxReceiveCount: 6,
      });
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
    }
  });

  /** The resources a function's role may use `action` on (its policies, as CDK merged them). */
  const allowed = (name: FunctionName, action: string) =>
    statementsOfRole(template, roleId(name))
      .filter((st) => st.Action.includes(action))
      .flatMap((st) => st.Resource.map(flat));
  const arn = (queue: IQueue) => flat({ 'Fn::GetAtt': [resourceOf(template, queue).id, 'Arn'] });

  it('the normaliser sends bid histories to their own queue, never to the polls', () => {
    expect(allowed('normaliseFunction', 'sqs:SendMessage')).toContain(arn(stack.work.bidHistories));
    expect(allowed('normaliseFunction', 'sqs:SendMessage')).not.toContain(arn(stack.work.queue));
    expect(allowed('dispatchFunction', 'sqs:SendMessage')).toContain(arn(stack.work.queue));
  });

  it('the fetch function changes visibility on both queues (Retry-After, backoff)', () => {
    expect(allowed('fetchFunction', 'sqs:ChangeMessageVisibility')).toEqual(expect.arrayContaining(workQueues().map(arn)));
  });

  it('and both dead-letter queues are encrypted and TLS-only', () => {
    for (const queue of [...workQueues(), stack.work.deadLetters.queue, stack.normaliseFailures.queue]) {
      const id = resourceOf(template, queue).id;
      expect(resources[id]!.Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it.each(['work', 'normaliseFailures'] as const)('an alarm fires when the %s dead-letter queue holds a message', (which) => {
    const queue = which === 'work' ? stack.work.deadLetters.queue : stack.normaliseFailures.queue;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [resourceOf(template, queue).id, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
  });
});

describe('data bucket', () => {
  it('is encrypted, private, retained and logs its access elsewhere', () => {
    const bucket = resourceOf(template, stack.data.bucket);
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: resourceOf(template, stack.data.accessLogs).id } },
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires raw/ after rawRetentionDays and athena-results/ after 30 days', () => {
    const rules = resourceOf(template, stack.data.bucket).Properties.LifecycleConfiguration.Rules as {
      Prefix?: string;
      ExpirationInDays?: number;
    }[];
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'raw/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' }),
      ]),
    );
    expect(
      rules
        .filter((r) => r.ExpirationInDays !== undefined)
        .map((r) => r.Prefix)
        .sort(),
    ).toEqual(['athena-results/', 'raw/']);
  });

  it('invokes the normaliser for each new raw/….json.gz object, and nothing else', () => {
    const [first, ...more] = ofType('Custom::S3BucketNotifications');
    const [, notification] = first!;
    expect(more).toEqual([]);
    expect(notification.Properties.BucketName).toEqual({ Ref: bucketId() });
    expect(notification.Properties.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: expect.arrayContaining([
                { Name: 'prefix', Value: 'raw/' },
                { Name: 'suffix', Value: '.json.gz' },
              ]),
            },
          },
          LambdaFunctionArn: { 'Fn::GetAtt': [fn(stack, template, 'normaliseFunction').id, 'Arn'] },
        },
      ],
    });
  });

  it('sends a normaliser invocation that failed twice more to its failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn(stack, template, 'normaliseFunction').id },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [resourceOf(template, stack.normaliseFailures.queue).id, 'Arn'] } } },
    });
  });
});

describe('schedules', () => {
  const sample = (plan: string) =>
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', `schedule-${plan}.json`), 'utf8')) as Record<string, unknown>;

  it.each([
    ['MaxsoldSchedule', 'rate(2 hours)', 'maxsold', 'dispatchFunction'],
    ['ViaSchedule', 'rate(5 minutes)', 'via', 'dispatchFunction'],
    ['CompactionSchedule', 'cron(15 3 * * ? *)', 'compact', 'compactFunction'],
  ] as const)('%s runs at %s and sends a real-shaped scheduled event with plan %s', (name, expression, plan, target) => {
    const [first, ...more] = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.Name === `Test-${name}`);
    const [, rule] = first!;
    expect(more).toEqual([]);
    expect(rule.Properties.ScheduleExpression).toBe(expression);
    const [t] = rule.Properties.Targets;
    expect(t.Arn).toEqual({ 'Fn::GetAtt': [fn(stack, template, target).id, 'Arn'] });
    expect(t.InputTransformer.InputPathsMap).toEqual({
      id: '$.id',
      account: '$.account',
      time: '$.time',
      region: '$.region',
      resources: '$.resources',
    });
    // Fill each <placeholder> the way EventBridge would, from the sample event.
    const example = sample(plan);
    const delivered = JSON.parse(
      (t.InputTransformer.InputTemplate as string).replace(/<([a-z]+)>/g, (_, k: string) => JSON.stringify(example[k])),
    );
    expect(delivered).toEqual(example);
    expect(delivered.detail).toEqual({ plan });
    // The sample events name the rule as the stack names it.
    expect((example.resources as string[])[0]).toMatch(new RegExp(`:rule/ApiScraper-${name}$`));
  });

  it('use the defaults when nothing is set', () => {
    const expressions = Object.values(defaultsTemplate.findResources('AWS::Events::Rule'))
      .map((r) => r.Properties.ScheduleExpression)
      .sort();
    expect(expressions).toEqual(['cron(30 2 * * ? *)', 'rate(1 hour)', 'rate(1 minute)']);
  });
});

describe('environment', () => {
  const common = (s: ScraperStack, t: Template) => ({
    BUCKET_NAME: { Ref: resourceOf(t, s.data.bucket).id },
    POWERTOOLS_SERVICE_NAME: 'api-scraper',
    POWERTOOLS_METRICS_NAMESPACE: 'ApiScraper',
    NODE_OPTIONS: '--enable-source-maps',
  });
  const env = (s: ScraperStack, t: Template, name: 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction') =>
    fn(s, t, name).Properties.Environment.Variables;
  const queueUrl = (s: ScraperStack, t: Template) => ({ Ref: resourceOf(t, s.work.queue).id });
  const bidsQueueUrl = (s: ScraperStack, t: Template) => ({ Ref: resourceOf(t, s.work.bidHistories).id });

  it('dispatch gets the queue and the MaxSold plan', () => {
    expect(env(stack, template, 'dispatchFunction')).toEqual({
      ...common(stack, template),
      QUEUE_URL: queueUrl(stack, template),
      MAXSOLD_START_ID: '105000',
      MAXSOLD_WINDOW: '50',
      MAXSOLD_IDS: '100000-100500',
    });
  });

  it('fetch gets both queues (for Retry-After and backoff visibility), its limiter and the politeness settings', () => {
    expect(env(stack, template, 'fetchFunction')).toEqual({
      ...common(stack, template),
      QUEUE_URL: queueUrl(stack, template),
      BIDS_QUEUE_URL: bidsQueueUrl(stack, template),
      FETCH_CONCURRENCY: '3',
      FETCH_RATE: '2.5',
      MAX_RECEIVE_COUNT: '6',
      BASE_URL: 'http://127.0.0.1:8080',
      USER_AGENT: 'api-scraper-test (ops@example.org)',
    });
  });

  it('optional settings are absent, not empty, when unset', () => {
    expect(env(defaults, defaultsTemplate, 'dispatchFunction')).toEqual({
      ...common(defaults, defaultsTemplate),
      QUEUE_URL: queueUrl(defaults, defaultsTemplate),
      MAXSOLD_START_ID: '104000',
      MAXSOLD_WINDOW: '200',
    });
    expect(Object.keys(env(defaults, defaultsTemplate, 'fetchFunction')).sort()).toEqual([
      'BIDS_QUEUE_URL',
      'BUCKET_NAME',
      'FETCH_CONCURRENCY',
      'FETCH_RATE',
      'MAX_RECEIVE_COUNT',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'QUEUE_URL',
      'USER_AGENT',
    ]);
  });

  it('normalise gets the bid-history queue (not the polls) and whether every poll plans them', () => {
    expect(env(stack, template, 'normaliseFunction')).toEqual({
      ...common(stack, template),
      BIDS_QUEUE_URL: bidsQueueUrl(stack, template),
      BIDS_EVERY_POLL: 'false',
    });
    const bids = new ScraperStack(testApp(), 'Bids', { settings: { maxsoldWithBids: 'true' } });
    expect(env(bids, Template.fromStack(bids), 'normaliseFunction').BIDS_EVERY_POLL).toBe('true');
  });

  it('compact gets only the bucket and the common variables', () => {
    expect(env(stack, template, 'compactFunction')).toEqual(common(stack, template));
  });
});

describe('outputs', () => {
  it('name the bucket, queues, alarm topic, workgroup, database and ceiling', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual([
      'AlarmTopicArn',
      'AthenaWorkGroup',
      'BidHistoryQueueUrl',
      'BucketName',
      'DeadLetterQueueUrl',
      'GlueDatabase',
      'NormaliseFailuresQueueUrl',
      'OpenRequestCeiling',
      'ScheduleFailuresQueueUrl',
      'WorkQueueUrl',
    ]);
  });
});

describe('bad settings fail the synth, naming the key', () => {
  it.each([
    [{ maxReceiveCount: 3 }, /^scraper\.maxReceiveCount: expected a whole number from 5 to 1000, got 3$/],
    [{ fetchMaxConcurrency: 'x' }, /^scraper\.fetchMaxConcurrency: expected a whole number from 4 to 1000, got "x"$/],
    [
      { fetchMaxConcurrency: 5, bidHistoryConcurrency: 4 },
      /^scraper\.bidHistoryConcurrency: expected a whole number from 2 to fetchMaxConcurrency - 2 \(3\), got 4: polls need at least 2/,
    ],
    [{ fetchMaxConcurrency: 1001 }, /^scraper\.fetchMaxConcurrency: /],
    [{ viaSchedule: 'rate(30 seconds)' }, /^scraper\.viaSchedule: /],
  ])('%j', (settings, message) => {
    expect(() => new ScraperStack(testApp(), 'Bad', { settings })).toThrow(message);
  });

  it('an unknown key in the scraper context object', () => {
    expect(() => new ScraperStack(testApp({ scraper: { fetchConcurency: 5 } }), 'Bad')).toThrow(
      /^scraper\.fetchConcurency: unknown setting/,
    );
  });
});
