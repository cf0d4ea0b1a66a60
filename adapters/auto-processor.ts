import type { Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { TableName } from '../core/tables.js';
import { PoolProcessor } from './pool-processor.js';
import { InlineProcessor, processResponse, type ProcessorConfig } from './response-processor.js';

export interface AutoOptions {
  /** Threads of the pool, if it is chosen. */
  workers: number;
  /** Responses processed inline while measuring. @default 30 */
  sample?: number;
  /** A pool pays off when processing takes more than this share of the main thread. @default 0.05 */
  threshold?: number;
}

/**
 * `--workers auto`: the rule of thumb "a worker pool is not worth it when processing
 * is under ~5% of the time", as a measurement. The first responses are processed
 * inline while the share of wall time they take is measured; above the threshold the
 * rest go to a worker pool, below it they stay inline. `description` says which and why.
 */
export class AutoProcessor implements Processor {
  readonly #inline: InlineProcessor;
  #pool: PoolProcessor | undefined;
  #decided = false;
  #reason = 'undecided: too few responses to measure';
  #busyMs = 0;
  #count = 0;
  #startedAt = 0;

  constructor(private readonly config: ProcessorConfig, private readonly options: AutoOptions) {
    this.#inline = new InlineProcessor(config);
  }

  get description(): string {
    return `auto → ${this.#pool ? this.#pool.description : 'inline (main thread)'}: ${this.#reason}`;
  }

  async process(input: ProcessInput): Promise<ProcessResult> {
    if (this.#pool) return this.#pool.process(input);
    if (this.#decided) return this.#inline.process(input);
    if (this.#count === 0) this.#startedAt = performance.now();
    // As InlineProcessor does: let responses that have arrived be read first; time only the work itself.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const t0 = performance.now();
    const result = processResponse(input, this.config);
    this.#busyMs += performance.now() - t0;
    // Responses still in flight when the sample completes are counted, but decide once.
    if (++this.#count >= (this.options.sample ?? 30) && !this.#decided) this.#decide();
    return result;
  }

  encodeTable(table: TableName, batches: Uint8Array[]): Promise<Uint8Array> {
    return (this.#pool ?? this.#inline).encodeTable(table, batches);
  }

  #decide(): void {
    this.#decided = true;
    const share = this.#busyMs / Math.max(1, performance.now() - this.#startedAt);
    const threshold = this.options.threshold ?? 0.05;
    const measured = `processing took ${(share * 100).toFixed(0)}% of the main thread over the first ${this.#count} responses`;
    if (share > threshold && this.options.workers > 1) {
      this.#pool = new PoolProcessor(this.config, this.options.workers);
      this.#reason = `${measured} (over ${threshold * 100}%: the pool pays off)`;
    } else {
      this.#reason = this.options.workers > 1 ? `${measured} (at most ${threshold * 100}%: a pool would cost more than it saves)` : 'one core: no pool';
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#inline.close(), this.#pool?.close()]);
  }
}
