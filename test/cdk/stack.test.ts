import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/bundling.js';
import { DATABASE_NAME, WORKGROUP_NAME } from '../../cdk/query-layer.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { TABLE_NAMES, TABLES, type ColumnType } from '../../core/tables.js';
import { flat, resourceOf, s3Access, statementsOfRole, testApp, type CfnJson, type CfnValue } from './cdk-app.js';

// Non-default numbers, so each assertion proves the setting reached the template.
const SETTINGS = {
  fetchMaxConcurrency: 7,
  fetchConcurrencyPerInvocation: 3,
  fetchBatchSize: 5,
  fetchTimeoutSeconds: 45,
  fetchRate: 2.5,
  maxReceiveCount: 6,
  rawRetentionDays: 30,
  maxsoldIds: '100000-100500',
  maxsoldStartId: 105000,
  maxsoldWindow: 50,
  baseUrl: 'http://127.0.0.1:8080',
  userAgent: 'api-scraper-test (ops@example.org)',
  maxsoldSchedule: 'rate(2 hours)',
  viaSchedule: 'rate(5 minutes)',
  compactionSchedule: 'cron(15 3 * * ? *)',
};

let stack: ScraperStack;
let template: Template;
let resources: Record<string, CfnJson>;
let defaults: ScraperStack;
let defaultsTemplate: Template;

beforeAll(() => {
  stack = new ScraperStack(testApp(), 'Test', { settings: SETTINGS });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  defaults = new ScraperStack(testApp(), 'Defaults');
  defaultsTemplate = Template.fromStack(defaults);
});

const fn = (s: ScraperStack, t: Template, name: 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction') => resourceOf(t, s[name]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const bucketId = () => resourceOf(template, stack.data.bucket).id;
const roleId = (name: 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction') => flat(fn(stack, template, name).Properties.Role).replace(/^<|\.Arn>$/g, '');

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

  it.each(names)('%s has its own role with no managed policy', (name) => {
    expect(resources[roleId(name)].Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the semaphore', () => {
  const mapping = () => ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);

  it('is the SQS event source maxConcurrency, with partial batch responses', () => {
    expect(mapping()).toEqual([{
      BatchSize: 5,
      EventSourceArn: { 'Fn::GetAtt': [resourceOf(template, stack.work.queue).id, 'Arn'] },
      FunctionName: { Ref: fn(stack, template, 'fetchFunction').id },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 7 },
    }]);
  });

  it('never throttles the mapping: reserved concurrency of fetch >= maxConcurrency', () => {
    const reserved = fn(stack, template, 'fetchFunction').Properties.ReservedConcurrentExecutions as number;
    expect(reserved).toBeGreaterThanOrEqual(mapping()[0].ScalingConfig.MaximumConcurrency);
    expect(reserved).toBe(7);
  });

  it('states the open-request ceiling (maxConcurrency x per-invocation) as an output and in the description', () => {
    template.hasOutput('OpenRequestCeiling', { Value: '21' });
    expect(template.toJSON().Description).toMatch(/At most 21 requests open at once \(fetchMaxConcurrency 7 x fetchConcurrencyPerInvocation 3\)/);
    defaultsTemplate.hasOutput('OpenRequestCeiling', { Value: '20' });
  });
});

describe('work queue', () => {
  it('hides a received item for at least 6 x the fetch timeout', () => {
    const visibility = resourceOf(template, stack.work.queue).Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * (fn(stack, template, 'fetchFunction').Properties.Timeout as number));
    expect(visibility).toBe(270);
  });

  it('sends an item to the dead-letter queue after maxReceiveCount (>= 5) receives', () => {
    const redrive = resourceOf(template, stack.work.queue).Properties.RedrivePolicy;
    expect(redrive).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [resourceOf(template, stack.work.deadLetters.queue).id, 'Arn'] }, maxReceiveCount: 6 });
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
  });

  it('and both dead-letter queues are encrypted and TLS-only', () => {
    for (const queue of [stack.work.queue, stack.work.deadLetters.queue, stack.normaliseFailures.queue]) {
      const id = resourceOf(template, queue).id;
      expect(resources[id].Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
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
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: resourceOf(template, stack.data.accessLogs).id } },
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('expires raw/ after rawRetentionDays and athena-results/ after 30 days', () => {
    const rules = resourceOf(template, stack.data.bucket).Properties.LifecycleConfiguration.Rules as { Prefix?: string; ExpirationInDays?: number }[];
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ Prefix: 'raw/', ExpirationInDays: 30, Status: 'Enabled' }),
      expect.objectContaining({ Prefix: 'athena-results/', ExpirationInDays: 30, Status: 'Enabled' }),
    ]));
    expect(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => r.Prefix).sort()).toEqual(['athena-results/', 'raw/']);
  });

  it('invokes the normaliser for each new raw/….json.gz object, and nothing else', () => {
    const [[, notification], ...more] = ofType('Custom::S3BucketNotifications');
    expect(more).toEqual([]);
    expect(notification.Properties.BucketName).toEqual({ Ref: bucketId() });
    expect(notification.Properties.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [{
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: expect.arrayContaining([{ Name: 'prefix', Value: 'raw/' }, { Name: 'suffix', Value: '.json.gz' }]) } },
        LambdaFunctionArn: { 'Fn::GetAtt': [fn(stack, template, 'normaliseFunction').id, 'Arn'] },
      }],
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

describe('least privilege', () => {
  it('fetch may only write under raw/ (and read raw/ metadata for conditional re-polls)', () => {
    expect(s3Access(template, roleId('fetchFunction'), bucketId())).toEqual({ 's3:GetObject': ['raw/*'], 's3:ListBucket': ['bucket'], 's3:PutObject': ['raw/*'] });
  });

  it('fetch may change a work item\'s visibility (Retry-After)', () => {
    const queueArn = `<${resourceOf(template, stack.work.queue).id}.Arn>`;
    expect(statementsOfRole(template, roleId('fetchFunction')).some((s) => s.Action.includes('sqs:ChangeMessageVisibility') && s.Resource.map(flat).includes(queueArn))).toBe(true);
  });

  it('normalise reads raw/, writes tables/, quarantine/ and state/seen/ markers, and cannot write raw/', () => {
    expect(s3Access(template, roleId('normaliseFunction'), bucketId())).toEqual({
      's3:GetObject': ['raw/*'],
      's3:PutObject': ['quarantine/*', 'state/seen/*', 'tables/*'],
    });
  });

  it('dispatch keeps its state under state/ and may list the bucket (so a missing cursor is a 404)', () => {
    expect(s3Access(template, roleId('dispatchFunction'), bucketId())).toEqual({
      's3:DeleteObject': ['state/*'],
      's3:GetObject': ['state/*'],
      's3:ListBucket': ['bucket'],
      's3:PutObject': ['state/*'],
    });
  });

  it('compact lists only under tables/ and rewrites only tables/', () => {
    expect(s3Access(template, roleId('compactFunction'), bucketId())).toEqual({
      's3:DeleteObject': ['tables/*'],
      's3:GetObject': ['tables/*'],
      's3:ListBucket': ['bucket?prefix=tables/*'],
      's3:PutObject': ['tables/*'],
    });
  });

  it('no policy allows s3:* or any wildcard action, and our functions never get Resource *', () => {
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        expect([s.Action].flat().filter((a) => a.includes('*'))).toEqual([]);
      }
    }
    for (const name of ['dispatchFunction', 'fetchFunction', 'normaliseFunction', 'compactFunction'] as const) {
      expect(statementsOfRole(template, roleId(name)).flatMap((s) => s.Resource.map(flat))).not.toContain('*');
    }
  });
});

describe('schedules', () => {
  const sample = (plan: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', `schedule-${plan}.json`), 'utf8')) as Record<string, unknown>;

  it.each([
    ['MaxsoldSchedule', 'rate(2 hours)', 'maxsold', 'dispatchFunction'],
    ['ViaSchedule', 'rate(5 minutes)', 'via', 'dispatchFunction'],
    ['CompactionSchedule', 'cron(15 3 * * ? *)', 'compact', 'compactFunction'],
  ] as const)('%s runs at %s and sends a real-shaped scheduled event with plan %s', (name, expression, plan, target) => {
    const [[, rule], ...more] = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.Name === `Test-${name}`);
    expect(more).toEqual([]);
    expect(rule.Properties.ScheduleExpression).toBe(expression);
    const [t] = rule.Properties.Targets;
    expect(t.Arn).toEqual({ 'Fn::GetAtt': [fn(stack, template, target).id, 'Arn'] });
    expect(t.InputTransformer.InputPathsMap).toEqual({ id: '$.id', account: '$.account', time: '$.time', region: '$.region', resources: '$.resources' });
    // Fill each <placeholder> the way EventBridge would, from the sample event.
    const example = sample(plan);
    const delivered = JSON.parse((t.InputTransformer.InputTemplate as string).replace(/<([a-z]+)>/g, (_, k: string) => JSON.stringify(example[k])));
    expect(delivered).toEqual(example);
    expect(delivered.detail).toEqual({ plan });
    // The sample events name the rule as the stack names it.
    expect((example.resources as string[])[0]).toMatch(new RegExp(`:rule/ApiScraper-${name}$`));
  });

  it('use the defaults when nothing is set', () => {
    const expressions = Object.values(defaultsTemplate.findResources('AWS::Events::Rule')).map((r) => r.Properties.ScheduleExpression).sort();
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
  const env = (s: ScraperStack, t: Template, name: 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction') => fn(s, t, name).Properties.Environment.Variables;
  const queueUrl = (s: ScraperStack, t: Template) => ({ Ref: resourceOf(t, s.work.queue).id });

  it('dispatch gets the queue and the MaxSold plan', () => {
    expect(env(stack, template, 'dispatchFunction')).toEqual({
      ...common(stack, template),
      QUEUE_URL: queueUrl(stack, template),
      MAXSOLD_START_ID: '105000',
      MAXSOLD_WINDOW: '50',
      MAXSOLD_IDS: '100000-100500',
    });
  });

  it('fetch gets the queue, its limiter and the politeness settings', () => {
    expect(env(stack, template, 'fetchFunction')).toEqual({
      ...common(stack, template),
      QUEUE_URL: queueUrl(stack, template),
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
    expect(Object.keys(env(defaults, defaultsTemplate, 'fetchFunction')).sort()).toEqual(
      ['BUCKET_NAME', 'FETCH_CONCURRENCY', 'MAX_RECEIVE_COUNT', 'NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'QUEUE_URL', 'USER_AGENT'],
    );
  });

  it.each(['normaliseFunction', 'compactFunction'] as const)('%s gets only the bucket and the common variables', (name) => {
    expect(env(stack, template, name)).toEqual(common(stack, template));
  });
});

describe('query layer', () => {
  // How Athena must see each core type, as the Parquet writer stores it (stated here, not imported).
  const athenaType: Record<ColumnType, string> = {
    string: 'string', int32: 'int', int64: 'bigint', float64: 'double', bool: 'boolean', timestamp: 'timestamp', date: 'date', string_list: 'array<string>',
  };
  const tables = () => Object.values(template.findResources('AWS::Glue::Table')).map((r) => r.Properties as { DatabaseName: string; TableInput: Record<string, CfnValue> });

  it('has one Glue table per core table, in the api_scraper database', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: DATABASE_NAME } });
    expect(tables().map((t) => t.TableInput.Name).sort()).toEqual([...TABLE_NAMES].sort());
    for (const t of tables()) expect(t.DatabaseName).toBe('api_scraper');
  });

  it.each(TABLE_NAMES)('%s has exactly core\'s columns and types, Parquet, partitioned by dt', (name) => {
    const input = tables().find((t) => t.TableInput.Name === name)!.TableInput;
    const sd = input.StorageDescriptor;
    expect(sd.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(TABLES[name].columns.map((c) => [c.name, athenaType[c.type]]));
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
    expect(sd).toMatchObject({
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    });
    expect(flat(sd.Location)).toBe(`s3://<${bucketId()}>/tables/${name}/`);
  });

  it.each(TABLE_NAMES)('%s finds its partitions by projection (no crawler, no MSCK REPAIR)', (name) => {
    const params = tables().find((t) => t.TableInput.Name === name)!.TableInput.Parameters;
    expect(params).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    expect(flat(params['storage.location.template'])).toBe(`s3://<${bucketId()}>/tables/${name}/dt=\${dt}`);
    expect(ofType('AWS::Glue::Crawler')).toEqual([]);
  });

  it('has a workgroup that enforces encrypted results under athena-results/ on engine v3', () => {
    const [[, wg], ...more] = ofType('AWS::Athena::WorkGroup');
    expect(more).toEqual([]);
    expect(wg.Properties.Name).toBe(WORKGROUP_NAME);
    const config = wg.Properties.WorkGroupConfiguration;
    expect(config).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect(flat(config.ResultConfiguration.OutputLocation)).toBe(`s3://<${bucketId()}>/athena-results/`);
  });

  it('has named queries for the questions the data answers, in that workgroup', () => {
    const queries = ofType('AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual([
      'maxsold-auction-totals', 'maxsold-closing-next-24h', 'maxsold-item-final-prices', 'table-freshness', 'via-late-trains-by-station-day',
    ]);
    for (const q of queries) {
      expect(q).toMatchObject({ Database: DATABASE_NAME, WorkGroup: { Ref: resourceOf(template, stack.queries.workGroup).id } });
      expect(q.QueryString).toMatch(/\bapi_scraper\.\w+/);
    }
    const late = queries.find((q) => q.Name === 'via-late-trains-by-station-day')!.QueryString as string;
    expect(late).toMatch(/api_scraper\.via_train_stops/);
    expect(late).toMatch(/diff_min > 15/);
    const freshness = queries.find((q) => q.Name === 'table-freshness')!.QueryString as string;
    for (const name of TABLE_NAMES) expect(freshness).toContain(`FROM api_scraper.${name}`);
  });
});

describe('outputs', () => {
  it('name the bucket, queues, workgroup, database and ceiling', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual([
      'AthenaWorkGroup', 'BucketName', 'DeadLetterQueueUrl', 'GlueDatabase', 'NormaliseFailuresQueueUrl', 'OpenRequestCeiling', 'WorkQueueUrl',
    ]);
  });
});

describe('bad settings fail the synth, naming the key', () => {
  it.each([
    [{ maxReceiveCount: 3 }, /^scraper\.maxReceiveCount: expected a whole number from 5 to 1000, got 3$/],
    [{ fetchMaxConcurrency: 'x' }, /^scraper\.fetchMaxConcurrency: expected a whole number from 2 to 1000, got "x"$/],
    [{ fetchMaxConcurrency: 1001 }, /^scraper\.fetchMaxConcurrency: /],
    [{ viaSchedule: 'rate(30 seconds)' }, /^scraper\.viaSchedule: /],
  ])('%j', (settings, message) => {
    expect(() => new ScraperStack(testApp(), 'Bad', { settings })).toThrow(message);
  });

  it('an unknown key in the scraper context object', () => {
    expect(() => new ScraperStack(testApp({ scraper: { fetchConcurency: 5 } }), 'Bad')).toThrow(/^scraper\.fetchConcurency: unknown setting/);
  });
});
