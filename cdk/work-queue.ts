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
 * The queue of work items (`{"source":"maxsold","id":"103417"}`) between the
 * dispatcher and the fetch function, with its dead-letter queue and alarm.
 */
export class WorkQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      description: 'Work items that failed every fetch attempt (replay with scraper redrive)',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      visibilityTimeout: props.visibilityTimeout,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
