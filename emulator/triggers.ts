/**
 * What invokes the functions, as the template wires it: SQS event source mappings
 * (batches, maxConcurrency, partial batch responses; a failed or throttled batch goes
 * back to the queue after its visibility timeout), S3 `ObjectCreated` notifications
 * (filtered by prefix and suffix, delivered asynchronously), and EventBridge schedules.
 */
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { ACCOUNT, REGION, type EmulatedAws, type ObjectCreated } from './emulated-aws.js';
import { refusedByRole } from './iam.js';
import { onBehalfOf, type LambdaService } from './lambda-service.js';
import { parseSchedule } from './schedule.js';
import type { EventSourceSpec, NotificationSpec, ScheduleSpec } from './template.js';
import type { VirtualTime } from './virtual-time.js';

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

export interface EventSourceStats {
  batches: number;
  messages: number;
  failedMessages: number;
  throttledBatches: number;
  /**
   * Receives and deletes the function's role was refused (a grant taken away after the deploy,
   * which checks it): a receive is tried again later, undeleted messages come back.
   */
  refused: number;
}

/** How long a mapping waits after a refused receive before it polls again, ms. */
const POLL_RETRY_MS = 10_000;

/** An SQS event source mapping: polls while fewer than maxConcurrency batches are running. */
export class SqsEventSource {
  readonly stats: EventSourceStats = { batches: 0, messages: 0, failedMessages: 0, throttledBatches: 0, refused: 0 };
  #running = 0;
  #polling = false;
  #wakeAt: { at: number; timer: ReturnType<VirtualTime['setTimeout']> } | undefined;
  #stopped = false;

  constructor(
    readonly spec: EventSourceSpec,
    private readonly queue: QueueRef,
    private readonly aws: EmulatedAws,
    private readonly lambda: LambdaService,
    private readonly vt: VirtualTime,
  ) {}

  get limit(): number {
    return this.spec.maxConcurrency ?? 1000;
  }

  wake(): void {
    if (this.#stopped || this.#polling) return;
    this.#polling = true;
    void this.#poll().finally(() => (this.#polling = false));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#wakeAt) this.vt.clear(this.#wakeAt.timer);
  }

  async #poll(): Promise<void> {
    while (!this.#stopped && this.#running < this.limit) {
      const receive = new ReceiveMessageCommand({
        QueueUrl: this.queue.url,
        MaxNumberOfMessages: this.spec.batchSize,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      });
      // Lambda polls with the function's role.
      const res = await onBehalfOf(this.spec.fn, () => this.aws.sqs.send(receive)).catch((e: unknown) => {
        if (!refusedByRole(e)) throw e;
      });
      if (!res) {
        this.stats.refused++;
        return this.#wakeIn(POLL_RETRY_MS);
      }
      const messages = res.Messages ?? [];
      if (messages.length === 0) return this.#sleepUntilVisible();
      this.#running++;
      void this.#deliver(messages).finally(() => {
        this.#running--;
        this.wake();
      });
    }
  }

  /** Wakes when the next delayed or in-flight message becomes visible (a send wakes it sooner). */
  async #sleepUntilVisible(): Promise<void> {
    const q = await this.aws.inspectQueue(this.queue.name);
    const next = Math.min(...q.delayed, ...q.inflight);
    if (q.ready > 0) return void this.vt.setTimeout(() => this.wake(), 1);
    if (!Number.isFinite(next)) return;
    this.#wakeIn(next - this.vt.now() + 1);
  }

  /** Polls again in `ms` (or sooner, if already set to). */
  #wakeIn(ms: number): void {
    const at = this.vt.now() + Math.max(1, ms);
    if (this.#wakeAt && this.#wakeAt.at <= at) return;
    if (this.#wakeAt) this.vt.clear(this.#wakeAt.timer);
    const timer = this.vt.setTimeout(() => {
      this.#wakeAt = undefined;
      this.wake();
    }, at - this.vt.now());
    this.#wakeAt = { at, timer };
  }

  async #deliver(messages: Message[]): Promise<void> {
    this.stats.batches++;
    this.stats.messages += messages.length;
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(this.vt.now()),
          SenderId: m.Attributes?.SenderId ?? ACCOUNT,
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(this.vt.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: this.queue.arn,
        awsRegion: REGION,
      })),
    };
    const result = await this.lambda.invoke(this.spec.fn, event);
    if (result.status === 'throttled') this.stats.throttledBatches++;
    // Anything but a clean partial batch response leaves the whole batch to its visibility timeout.
    let done: Message[] = [];
    if (result.status === 'ok') {
      const failures = this.spec.reportBatchItemFailures ? ((result.value as SQSBatchResponse | undefined)?.batchItemFailures ?? []) : [];
      const failed = new Set(failures.map((f) => f.itemIdentifier));
      done = messages.filter((m) => !failed.has(m.MessageId!));
      this.stats.failedMessages += messages.length - done.length;
    } else this.stats.failedMessages += messages.length;
    if (done.length > 0) {
      const remove = new DeleteMessageBatchCommand({
        QueueUrl: this.queue.url,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      });
      await onBehalfOf(this.spec.fn, () => this.aws.sqs.send(remove)).catch((e: unknown) => {
        if (!refusedByRole(e)) throw e;
        this.stats.refused++;
      });
    }
  }
}

/** S3 → Lambda: an `ObjectCreated` event per matching object, delivered asynchronously. */
export function s3Notifier(
  specs: NotificationSpec[],
  bucketIds: Map<string, string>,
  lambda: LambdaService,
  vt: VirtualTime,
  delayMs: () => number,
) {
  const byBucket = new Map<string, NotificationSpec[]>();
  for (const n of specs) {
    const name = bucketIds.get(n.bucket)!;
    byBucket.set(name, [...(byBucket.get(name) ?? []), n]);
  }
  return (o: ObjectCreated): void => {
    for (const n of byBucket.get(o.bucket) ?? []) {
      if (!o.key.startsWith(n.prefix) || !o.key.endsWith(n.suffix)) continue;
      if (!n.events.some((e) => e === 's3:ObjectCreated:*' || e === 's3:ObjectCreated:Put')) continue;
      const event = {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: REGION,
            eventTime: new Date(vt.now()).toISOString(),
            eventName: 'ObjectCreated:Put',
            s3: {
              s3SchemaVersion: '1.0',
              bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
              // Keys arrive URL-encoded, spaces as '+', as S3 sends them.
              object: {
                key: encodeURIComponent(o.key).replaceAll('%2F', '/').replaceAll('%20', '+'),
                size: o.size,
                eTag: o.etag.replaceAll('"', ''),
              },
            },
          },
        ],
      };
      vt.setTimeout(() => lambda.invokeAsync(n.fn, event), delayMs());
    }
  };
}

/** EventBridge rules: each fires its target with the scheduled event, through the rule's input transformer. */
export function startSchedules(
  specs: ScheduleSpec[],
  lambda: LambdaService,
  vt: VirtualTime,
  fired: (spec: ScheduleSpec, at: number) => void,
): () => void {
  const timers: ReturnType<VirtualTime['setTimeout']>[] = [];
  let stopped = false;
  for (const spec of specs) {
    const schedule = parseSchedule(spec.expression);
    const arm = (after: number) => {
      const at = schedule.next(after);
      timers.push(
        vt.setTimeout(() => {
          if (stopped) return;
          fired(spec, at);
          lambda.invokeAsync(spec.fn, scheduledEvent(spec, at));
          arm(at);
        }, at - vt.now()),
      );
    };
    arm(vt.now());
  }
  return () => {
    stopped = true;
    for (const t of timers) vt.clear(t);
  };
}

export function scheduledEvent(spec: ScheduleSpec, at: number): unknown {
  const base = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${spec.name}`],
    detail: {},
  };
  if (!spec.inputTemplate) return base;
  const values: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(spec.inputTemplate.paths))
    values[name] = (base as Record<string, unknown>)[path.replace(/^\$\./, '')];
  return JSON.parse(spec.inputTemplate.template.replace(/<([A-Za-z0-9_]+)>/g, (_, k: string) => JSON.stringify(values[k])));
}
