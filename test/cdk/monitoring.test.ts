import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { flat, resourceOf, testApp, type CfnJson } from './cdk-app.js';
import { SETTINGS } from './test-stack.js';

let stack: ScraperStack;
let template: Template;
let alarms: [string, CfnJson][];

beforeAll(() => {
  stack = new ScraperStack(testApp(), 'Test', { settings: { ...SETTINGS, alarmEmail: 'ops@example.org' } });
  template = Template.fromStack(stack);
  alarms = Object.entries(template.toJSON().Resources as Record<string, CfnJson>).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
});

const topicRef = () => ({ Ref: resourceOf(template, stack.monitoring.topic).id });
const fnId = (f: 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction') => resourceOf(template, stack[f]).id;
const alarmOn = (metric: string, dimension: unknown) =>
  alarms.filter(
    ([, a]) => a.Properties.MetricName === metric && JSON.stringify(a.Properties.Dimensions).includes(JSON.stringify(dimension)),
  );

describe('alarms', () => {
  it('every alarm notifies the topic when it fires and when it clears', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(9);
    for (const [id, a] of alarms) {
      expect(a.Properties.AlarmActions, id).toEqual([topicRef()]);
      expect(a.Properties.OKActions, id).toEqual([topicRef()]);
    }
  });

  it('the topic is TLS-only and mails the address from scraper.alarmEmail', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: topicRef() });
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it("the topic's policy (which replaces SNS's default) lets this account's alarms publish", () => {
    const [policy, ...others] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(others).toEqual([]);
    const allows = (policy!.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: topicRef(),
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        },
      }),
    ]);
    expect(JSON.stringify(allows[0]!.Condition)).toMatch(/arn:.*cloudwatch:.*:alarm:\*/);
  });

  it('without alarmEmail the topic has no subscription', () => {
    const plain = Template.fromStack(new ScraperStack(testApp(), 'Plain', { settings: SETTINGS }));
    plain.resourceCountIs('AWS::SNS::Subscription', 0);
    plain.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it.each([
    ['Throttles', 'fetchFunction'],
    ['Errors', 'fetchFunction'],
    ['Errors', 'dispatchFunction'],
    ['Errors', 'compactFunction'],
    ['DestinationDeliveryFailures', 'normaliseFunction'],
    ['DestinationDeliveryFailures', 'dispatchFunction'],
    ['DestinationDeliveryFailures', 'compactFunction'],
  ] as const)('fires on any %s of %s in five minutes', (metric, f) => {
    const found = alarmOn(metric, { Name: 'FunctionName', Value: { Ref: fnId(f) } });
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it("does not alarm on AsyncEventsDropped, which counts the events sent to a failure queue too (that queue's alarm fires)", () => {
    expect(alarms.filter(([, a]) => a.Properties.MetricName === 'AsyncEventsDropped')).toEqual([]);
  });

  it('fires when a nightly compaction leaves partitions for the next night (the metric the compact handler publishes)', () => {
    const found = alarmOn('PartitionsLeftUncompacted', { Name: 'service', Value: 'api-scraper' });
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties).toMatchObject({
      Namespace: 'ApiScraper',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    ['poll', 'queue', 3600],
    ['bid history', 'bidHistories', 6 * 3600],
  ] as const)('fires when the oldest %s has waited too long', (_, which, threshold) => {
    const found = alarmOn('ApproximateAgeOfOldestMessage', {
      Name: 'QueueName',
      Value: { 'Fn::GetAtt': [resourceOf(template, stack.work[which]).id, 'QueueName'] },
    });
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: threshold });
  });

  it.each(['work', 'normaliseFailures', 'scheduleFailures'] as const)('fires when the %s dead-letter queue holds a message', (which) => {
    const queue = which === 'work' ? stack.work.deadLetters.queue : stack[which].queue;
    const found = alarmOn('ApproximateNumberOfMessagesVisible', {
      Name: 'QueueName',
      Value: { 'Fn::GetAtt': [resourceOf(template, queue).id, 'QueueName'] },
    });
    expect(found).toHaveLength(1);
    expect(found[0]![1].Properties.Threshold).toBe(0);
  });
});

describe('failure destinations', () => {
  it.each(['dispatchFunction', 'compactFunction'] as const)(
    '%s sends an invocation that failed its retries to the schedule failures queue',
    (f) => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(f) },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [resourceOf(template, stack.scheduleFailures.queue).id, 'Arn'] } } },
      });
    },
  );
});

describe('dashboard', () => {
  const body = () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    return JSON.parse(flat(dashboard!.Properties.DashboardBody)) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
  };

  it('is named for the stack', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Test' });
  });

  it('shows queue depth and age, fetches, 429s, errors, duration, rows written and the nightly compaction', () => {
    const widgets = body().widgets.map((w) => ({ title: w.properties.title, metrics: JSON.stringify(w.properties.metrics) }));
    const find = (title: RegExp) => widgets.find((w) => title.test(w.title))?.metrics ?? '';
    expect(find(/queue depth/)).toContain('ApproximateNumberOfMessagesVisible');
    expect(find(/oldest/)).toContain('ApproximateAgeOfOldestMessage');
    expect(find(/^Fetches/)).toMatch(/"Requests".*"Fetched"/);
    expect(find(/^Fetches/)).toContain('"Throttled"');
    expect(find(/Errors/)).toContain('"Errors"');
    expect(find(/Duration/)).toContain('"Duration"');
    expect(find(/Rows/)).toContain('"RowsWritten"');
    expect(find(/compaction/)).toMatch(/"FilesCompacted".*"PartitionsLeftUncompacted"/);
  });
});
