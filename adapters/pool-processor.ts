import type { TransferListItem } from 'node:worker_threads';
import { FatalError } from '../core/errors.js';
import type { Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { ProcessorConfig } from './response-processor.js';
import { WorkerPool } from './worker-pool.js';

const WORKER = new URL(import.meta.url.endsWith('.ts') ? './processor-worker.ts' : './processor-worker.js', import.meta.url);

/** What every worker is started with: how to process, and the data directory it writes to. */
export interface PoolSetup {
  config: ProcessorConfig;
  out: string;
}

/** A worker's answer: the result, or the error that stopped it storing; and how long it worked. */
export type PoolReply =
  | { ok: true; result: ProcessResult; busyMs: number }
  | { ok: false; fatal: boolean; message: string; busyMs: number };

/**
 * Processing on a worker-thread pool: a body goes over by transfer, the worker checks
 * it and writes its files itself, and only a small summary comes back, so the main
 * thread does nothing per body but hand it over.
 */
export class PoolProcessor implements Processor {
  readonly #pool: WorkerPool<ProcessInput, PoolReply>;
  readonly description: string;
  #busyMs = 0;

  constructor(setup: PoolSetup, workers: number) {
    this.#pool = new WorkerPool(WORKER, workers, setup);
    this.description = `worker pool (${workers} ${workers === 1 ? 'thread' : 'threads'})`;
  }

  /** Milliseconds the workers spent on bodies so far, summed over workers. */
  get busyMs(): number {
    return this.#busyMs;
  }

  async process(input: ProcessInput): Promise<ProcessResult> {
    let reply: PoolReply;
    try {
      reply = await this.#pool.run(input, transferable(input.body));
    } catch (e) {
      // A crashed worker: the pool replaced it; fetch the item again.
      return { kind: 'failed', error: 'transient', reason: `worker_error: ${(e as Error).message}` };
    }
    this.#busyMs += reply.busyMs;
    if (reply.ok) return reply.result;
    // The files could not be written (disk full, permissions): as the store on this thread would throw.
    throw reply.fatal ? new FatalError(reply.message) : new Error(reply.message);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** A view can move its buffer only when it owns all of it (not a slice of a shared pool). */
export function transferable(...views: (Uint8Array | undefined)[]): TransferListItem[] {
  const out: TransferListItem[] = [];
  for (const v of views) {
    if (v && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer && !out.includes(v.buffer))
      out.push(v.buffer);
  }
  return out;
}
