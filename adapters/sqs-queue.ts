import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageVisibility, WorkQueue } from '../core/ports.js';
import type { WorkItem } from '../core/work-item.js';

/** SendMessageBatch takes at most 10 entries per call. */
const BATCH = 10;
/** Rounds of resending the entries a batch reports as failed. @default 5 */
const RESEND_ROUNDS = 5;
/** SendMessageBatch calls in flight at once: an hourly plan of ~3,200 items is 320 calls. */
const PARALLEL_BATCHES = 10;

/**
 * The work queue on SQS: batched sends, ten batches in flight at once, that retry exactly
 * the entries SQS refused. After a failure no further batch starts, and `send` rejects.
 */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrl: string,
    private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
    private readonly parallel = PARALLEL_BATCHES,
  ) {}

  async send(items: WorkItem[]): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < items.length) {
        const batch = items.slice(next, (next += BATCH));
        try {
          await this.#sendBatch(batch);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const workers = Math.max(1, Math.min(this.parallel, Math.ceil(items.length / BATCH)));
    const results = await Promise.allSettled(Array.from({ length: workers }, worker));
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  async #sendBatch(items: WorkItem[]): Promise<void> {
    let pending = items.map((item, i) => ({ Id: String(i), MessageBody: JSON.stringify(item) }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await this.sleep(Math.random() * 100 * 2 ** round);
      const res = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = new Set((res.Failed ?? []).map((f) => f.Id));
      const permanent = (res.Failed ?? []).filter((f) => f.SenderFault);
      const refused = permanent[0];
      if (refused) throw new Error(`SQS refused ${permanent.length} message(s): ${refused.Code} ${refused.Message ?? ''}`);
      pending = pending.filter((e) => failed.has(e.Id));
      if (pending.length > 0 && round + 1 >= RESEND_ROUNDS)
        throw new Error(`SQS kept failing ${pending.length} message(s) after ${RESEND_ROUNDS} rounds`);
    }
  }
}

/** A queue's name: the last part of its ARN (`arn:aws:sqs:…:name`) or of its URL (`https://…/name`). */
function queueName(arnOrUrl: string): string {
  return arnOrUrl.slice(Math.max(arnOrUrl.lastIndexOf(':'), arnOrUrl.lastIndexOf('/')) + 1);
}

/**
 * The visibility of received messages, on whichever of the given queues each came from
 * (a record's event source ARN names its queue; a single queue serves every record).
 */
export class SqsVisibility implements MessageVisibility {
  constructor(
    private readonly client: SQSClient,
    readonly queueUrls: readonly string[],
  ) {}

  #urlOf(queueArn: string): string {
    const only = this.queueUrls.length === 1 ? this.queueUrls[0] : undefined;
    const url = only ?? this.queueUrls.find((u) => queueName(u) === queueName(queueArn));
    if (url === undefined) throw new Error(`no queue URL for ${queueArn}: expected one of ${this.queueUrls.join(', ')}`);
    return url;
  }

  async delay(receiptHandle: string, seconds: number, queueArn: string): Promise<void> {
    // SQS allows 0..43200 s (12 h).
    const VisibilityTimeout = Math.max(0, Math.min(43_200, Math.ceil(seconds)));
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.#urlOf(queueArn), ReceiptHandle: receiptHandle, VisibilityTimeout }),
    );
  }
}
