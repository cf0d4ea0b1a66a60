import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkQueue } from '../../core/ports.js';
import type { WorkItem } from '../../core/work-item.js';
import { sqsRecord } from './local-invocation.js';

const LOCAL_QUEUE = { queueArn: 'arn:aws:sqs:local:000000000000:work', region: 'local' };

/** SQS delivers at most ten messages per batch. */
const BATCH = 10;

/**
 * The work queue as files, for `scraper invoke`: each batch of ten is an SQS event
 * (`batch-0001.json`, …) that `scraper invoke fetch --event` takes.
 */
export class EventFileQueue implements WorkQueue {
  readonly files: string[] = [];
  constructor(private readonly dir: string) {}

  async send(items: WorkItem[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (let i = 0; i < items.length; i += BATCH) {
      const n = this.files.length + 1;
      const file = join(this.dir, `batch-${String(n).padStart(4, '0')}.json`);
      const records = items
        .slice(i, i + BATCH)
        .map((item, j) =>
          sqsRecord({ messageId: `local-${n}-${j}`, receiptHandle: `local-receipt-${n}-${j}`, body: JSON.stringify(item) }, LOCAL_QUEUE),
        );
      await writeFile(file, JSON.stringify({ Records: records }, null, 2) + '\n');
      this.files.push(file);
    }
  }
}
