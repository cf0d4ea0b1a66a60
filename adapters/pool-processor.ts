import type { TransferListItem } from 'node:worker_threads';
import type { Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { ProcessorConfig } from './response-processor.js';
import { WorkerPool } from './worker-pool.js';

const WORKER = new URL(import.meta.url.endsWith('.ts') ? './processor-worker.ts' : './processor-worker.js', import.meta.url);

/** Processing on a worker-thread pool: bodies go over by transfer, results come back the same way. */
export class PoolProcessor implements Processor {
  readonly #pool: WorkerPool<ProcessInput, ProcessResult>;
  readonly description: string;

  constructor(config: ProcessorConfig, workers: number) {
    this.#pool = new WorkerPool(WORKER, workers, config);
    this.description = `worker pool (${workers} ${workers === 1 ? 'thread' : 'threads'})`;
  }

  async process(input: ProcessInput): Promise<ProcessResult> {
    try {
      return await this.#pool.run(input, transferable(input.body));
    } catch (e) {
      // A crashed worker: the pool replaced it; fetch the item again.
      return { kind: 'failed', error: 'transient', reason: `worker_error: ${(e as Error).message}` };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** A view can move its buffer only when it owns all of it (not a slice of a shared pool). */
export function transferable(...views: (Uint8Array | undefined)[]): TransferListItem[] {
  const out: TransferListItem[] = [];
  for (const v of views) {
    if (v && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer && !out.includes(v.buffer)) out.push(v.buffer);
  }
  return out;
}
