import type { TransferListItem } from 'node:worker_threads';
import type { Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { TableName } from '../core/tables.js';
import type { ProcessorConfig } from './response-processor.js';
import { WorkerPool } from './worker-pool.js';

const WORKER = new URL(import.meta.url.endsWith('.ts') ? './processor-worker.ts' : './processor-worker.js', import.meta.url);

/** A worker's task: one body to process, or one table file to encode from record batches. */
export type PoolTask = { op: 'process'; input: ProcessInput } | { op: 'encode'; table: TableName; batches: Uint8Array[] };

/** Processing on a worker-thread pool: bodies go over by transfer, results come back the same way. */
export class PoolProcessor implements Processor {
  readonly #pool: WorkerPool<PoolTask, ProcessResult | Uint8Array>;
  readonly description: string;

  constructor(config: ProcessorConfig, workers: number) {
    this.#pool = new WorkerPool(WORKER, workers, config);
    this.description = `worker pool (${workers} ${workers === 1 ? 'thread' : 'threads'})`;
  }

  async process(input: ProcessInput): Promise<ProcessResult> {
    try {
      return (await this.#pool.run({ op: 'process', input }, transferable(input.body))) as ProcessResult;
    } catch (e) {
      // A crashed worker: the pool replaced it; fetch the item again.
      return { kind: 'failed', error: 'transient', reason: `worker_error: ${(e as Error).message}` };
    }
  }

  /** The record batches move to the worker by transfer (the caller has no further use for them). */
  async encodeTable(table: TableName, batches: Uint8Array[]): Promise<Uint8Array> {
    return (await this.#pool.run({ op: 'encode', table, batches }, transferable(...batches))) as Uint8Array;
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
