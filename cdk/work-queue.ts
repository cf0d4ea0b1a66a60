import type { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface WorkQueueProps {
  /**
   * How long a received item stays hidden. At least 6 times the consumer's timeout,
   * so a batch that is still running is never handed to a second invocation.
   */
  readonly visibilityTimeout: Duration;
  /**
   * Receives before an item goes to the dead-letter queue. Keep it at 5 or more:
   * a throttled invocation or a Retry-After wait also counts as a receive.
   */
  readonly maxReceiveCount: number;
}

/**
 * The queues of work items (`{"source":"maxsold","id":"103417"}`) for the fetch
 * function: `queue` for the dispatcher's polls (new ids, re-polls, VIA), `bidHistories`
 * for the normaliser's bid histories, each with its own event source, so that a backlog
 * of bid histories cannot hold up a re-poll. One dead-letter queue serves both.
 */
export class WorkQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly bidHistories: sqs.Queue;
  public readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      description:
        "Work items that failed every fetch attempt (SQS's dead-letter redrive without a destination returns each to the queue it came from)",
    });
    const queueProps: sqs.QueueProps = {
      visibilityTimeout: props.visibilityTimeout,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: props.maxReceiveCount },
    };
    this.queue = new sqs.Queue(this, 'Queue', queueProps);
    this.bidHistories = new sqs.Queue(this, 'BidHistories', queueProps);
  }
}
