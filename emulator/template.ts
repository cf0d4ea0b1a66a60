/**
 * The deployed topology as the synthesized CloudFormation template states it: functions
 * (bundle, timeout, memory, reserved concurrency, environment), queues (visibility,
 * redrive), SQS event sources (batch size, maxConcurrency, partial batch responses),
 * schedules, the S3 notification filter and async-invocation settings. The emulator
 * wires exactly this; nothing here repeats a number from the stack's code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface FunctionSpec {
  id: string;
  /** The bundle directory (cdk.out/asset.…) and the handler export (`index.handler`). */
  assetDir: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  reserved?: number;
  /** Raw template values (Refs resolved by the emulator). */
  environment: Record<string, Json>;
  /** Async invocations: retries after a failure (Lambda's default 2) and where failures go. */
  maxRetryAttempts: number;
  onFailureQueue?: string;
  maxEventAgeSeconds: number;
}

export interface QueueSpec {
  id: string;
  visibilitySeconds: number;
  retentionSeconds: number;
  deadLetter?: { queue: string; maxReceiveCount: number };
}

export interface EventSourceSpec {
  id: string;
  queue: string;
  fn: string;
  batchSize: number;
  maxConcurrency?: number;
  reportBatchItemFailures: boolean;
}

export interface ScheduleSpec {
  id: string;
  name: string;
  expression: string;
  fn: string;
  inputTemplate?: { paths: Record<string, string>; template: string };
}

export interface NotificationSpec {
  bucket: string;
  fn: string;
  events: string[];
  prefix: string;
  suffix: string;
}

export interface AlarmSpec {
  id: string;
  description: string;
  metric: string;
  namespace: string;
  dimensions: Record<string, Json>;
  threshold: number;
  comparison: string;
  actions: Json[];
}

export interface Topology {
  stackName: string;
  buckets: string[];
  functions: Map<string, FunctionSpec>;
  queues: Map<string, QueueSpec>;
  eventSources: EventSourceSpec[];
  schedules: ScheduleSpec[];
  notifications: NotificationSpec[];
  alarms: AlarmSpec[];
  topics: string[];
  dashboards: string[];
  resources: Record<string, { Type: string; Properties?: Json }>;
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
export function refOf(value: Json): string {
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return value.Ref;
    if (Array.isArray(value['Fn::GetAtt'])) return value['Fn::GetAtt'][0];
  }
  throw new Error(`template: expected a Ref or Fn::GetAtt, got ${JSON.stringify(value)}`);
}

/** Reads `<outdir>/<stack>.template.json` (the one stack in the assembly when no name is given). */
export function readTopology(templateFile: string): Topology {
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: Json; Metadata?: Json }>;
  };
  const resources = template.Resources;
  const stackName = templateFile.replace(/^.*\//, '').replace(/\.template\.json$/, '');
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const outdir = dirname(templateFile);

  const invokeConfigs = new Map(of('AWS::Lambda::EventInvokeConfig').map(([, r]) => [refOf(r.Properties.FunctionName), r.Properties]));
  const functions = new Map<string, FunctionSpec>();
  for (const [id, r] of of('AWS::Lambda::Function')) {
    const asset = r.Metadata?.['aws:asset:path'];
    // CDK's own deployment helpers (the S3-notifications custom resource) are not part of the app.
    if (typeof asset !== 'string' || !String(r.Properties.Runtime).startsWith('nodejs')) continue;
    const p = r.Properties;
    const cfg = invokeConfigs.get(id);
    functions.set(id, {
      id,
      assetDir: join(outdir, asset),
      handler: p.Handler,
      timeoutSeconds: p.Timeout ?? 3,
      memoryMb: p.MemorySize ?? 128,
      reserved: p.ReservedConcurrentExecutions,
      environment: p.Environment?.Variables ?? {},
      maxRetryAttempts: cfg?.MaximumRetryAttempts ?? 2,
      onFailureQueue: cfg?.DestinationConfig?.OnFailure?.Destination ? refOf(cfg.DestinationConfig.OnFailure.Destination) : undefined,
      maxEventAgeSeconds: cfg?.MaximumEventAgeInSeconds ?? 21_600,
    });
  }

  const queues = new Map<string, QueueSpec>();
  for (const [id, r] of of('AWS::SQS::Queue')) {
    const p = r.Properties ?? {};
    queues.set(id, {
      id,
      visibilitySeconds: p.VisibilityTimeout ?? 30,
      retentionSeconds: p.MessageRetentionPeriod ?? 345_600,
      deadLetter: p.RedrivePolicy
        ? { queue: refOf(p.RedrivePolicy.deadLetterTargetArn), maxReceiveCount: Number(p.RedrivePolicy.maxReceiveCount) }
        : undefined,
    });
  }

  const eventSources = of('AWS::Lambda::EventSourceMapping').map(([id, r]): EventSourceSpec => ({
    id,
    queue: refOf(r.Properties.EventSourceArn),
    fn: refOf(r.Properties.FunctionName),
    batchSize: r.Properties.BatchSize ?? 10,
    maxConcurrency: r.Properties.ScalingConfig?.MaximumConcurrency,
    reportBatchItemFailures: (r.Properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
  }));

  const schedules = of('AWS::Events::Rule')
    .filter(([, r]) => r.Properties.ScheduleExpression && r.Properties.State !== 'DISABLED')
    .flatMap(([id, r]) =>
      (r.Properties.Targets as Json[]).map((t): ScheduleSpec => ({
        id,
        name: r.Properties.Name ?? id,
        expression: r.Properties.ScheduleExpression,
        fn: refOf(t.Arn),
        inputTemplate: t.InputTransformer
          ? { paths: t.InputTransformer.InputPathsMap ?? {}, template: t.InputTransformer.InputTemplate }
          : undefined,
      })),
    );

  const notifications = of('Custom::S3BucketNotifications').flatMap(([, r]) =>
    ((r.Properties.NotificationConfiguration?.LambdaFunctionConfigurations ?? []) as Json[]).map((c): NotificationSpec => {
      const rules = (c.Filter?.Key?.FilterRules ?? []) as { Name: string; Value: string }[];
      return {
        bucket: refOf(r.Properties.BucketName),
        fn: refOf(c.LambdaFunctionArn),
        events: c.Events,
        prefix: rules.find((x) => x.Name.toLowerCase() === 'prefix')?.Value ?? '',
        suffix: rules.find((x) => x.Name.toLowerCase() === 'suffix')?.Value ?? '',
      };
    }),
  );

  const alarms = of('AWS::CloudWatch::Alarm').map(([id, r]): AlarmSpec => ({
    id,
    description: r.Properties.AlarmDescription ?? id,
    metric: r.Properties.MetricName ?? '(math)',
    namespace: r.Properties.Namespace ?? '',
    dimensions: Object.fromEntries(((r.Properties.Dimensions ?? []) as Json[]).map((d) => [d.Name, d.Value])),
    threshold: r.Properties.Threshold,
    comparison: r.Properties.ComparisonOperator,
    actions: r.Properties.AlarmActions ?? [],
  }));

  return {
    stackName,
    buckets: of('AWS::S3::Bucket').map(([id]) => id),
    functions,
    queues,
    eventSources,
    schedules,
    notifications,
    alarms,
    topics: of('AWS::SNS::Topic').map(([id]) => id),
    dashboards: of('AWS::CloudWatch::Dashboard').map(([id]) => id),
    resources,
  };
}
