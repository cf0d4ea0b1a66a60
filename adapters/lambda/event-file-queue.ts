import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkQueue } from '../../core/ports.js';
import type { WorkItem } from '../../core/work-item.js';
import { sqsRecord } from './local-invocation.js';

const LOCAL_QUEUE = { queueArn: 'arn:aws:sqs:local:000000000000:work', region: 'local' };

/** SQS delivers at most ten messages per batch. */
const BATCH = 10;

/**
 * The work queue as files, for `scraper invoke`: each batch of ten is an SQS event
 * (`batch-0001.json`, …) that `scraper invoke fetch --event` takes. It builds up as a
 * queue does: a later invocation numbers its batches after those already there, and
 * never writes over one.
 */
export class EventFileQueue implements WorkQueue {
  readonly files: string[] = [];
  #last: number | undefined;
  constructor(private readonly dir: string) {}

  async send(items: WorkItem[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.#last ??= Math.max(0, ...(await readdir(this.dir)).map((f) => Number(/^batch-(\d+)\.json$/.exec(f)?.[1] ?? 0)));
    for (let i = 0; i < items.length; i += BATCH) {
      const n = ++this.#last;
      const file = join(this.dir, `batch-${String(n).padStart(4, '0')}.json`);
      const records = items
        .slice(i, i + BATCH)
        .map((item, j) =>
          sqsRecord({ messageId: `local-${n}-${j}`, receiptHandle: `local-receipt-${n}-${j}`, body: JSON.stringify(item) }, LOCAL_QUEUE),
        );
      await writeFile(file, JSON.stringify({ Records: records }, null, 2) + '\n', { flag: 'wx' });
      this.files.push(file);
    }
  }
}
