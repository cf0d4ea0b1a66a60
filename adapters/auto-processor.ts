import type { ObjectStore, Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import { PoolProcessor } from './pool-processor.js';
import { InlineProcessor } from './inline-processor.js';
import type { ProcessorConfig, TableEncoder } from './response-processor.js';

export interface AutoOptions {
  /** Threads of the pool. */
  workers: number;
  /** Where the files go (the pool's workers write there themselves). */
  out: string;
  store: ObjectStore;
  loadEncoder: () => Promise<TableEncoder>;
  /** Items the plan yields, when known. */
  expected?: number;
  /** Responses measured before deciding. @default 30 */
  sample?: number;
  /** Or this long after the first response, whichever comes first. @default 10000 */
  sampleMs?: number;
  /** A pool pays off when processing takes more than this share of a core. @default 0.05 */
  threshold?: number;
}

/**
 * `--workers auto`: the rule of thumb "a worker pool is not worth it when processing
 * is under ~5% of the time", as a measurement. The pool starts with the run, so its
 * threads load while the first requests are out and the main thread never parses a
 * body; the first responses measure the share of a core the processing takes. Under
 * the threshold the rest are processed inline and the pool is let go. One core, or a
 * plan too small to measure, is processed inline from the start. `description` says
 * which and why.
 */
export class AutoProcessor implements Processor {
  #pool: PoolProcessor | undefined;
  #idlePool: PoolProcessor | undefined;
  #inline: InlineProcessor | undefined;
  #reason: string;
  #measured = 0;
  #startedAt = 0;

  constructor(
    private readonly config: ProcessorConfig,
    private readonly o: AutoOptions,
  ) {
    const sample = o.sample ?? 30;
    if (o.workers <= 1) this.#reason = 'one core: no pool';
    else if (o.expected !== undefined && o.expected < sample)
      this.#reason = `${o.expected} item(s) planned, fewer than the ${sample} it takes to measure: no pool`;
    else {
      this.#pool = new PoolProcessor({ config, out: o.out }, o.workers);
      this.#reason = 'undecided: too few responses to measure';
    }
  }

  get description(): string {
    return `auto → ${this.#pool ? this.#pool.description : 'inline (main thread)'}: ${this.#reason}`;
  }

  async process(input: ProcessInput): Promise<ProcessResult> {
    const pool = this.#pool;
    if (!pool) return this.#inlineProcessor().process(input);
    if (this.#startedAt === 0) this.#startedAt = performance.now();
    const result = await pool.process(input);
    if (
      this.#measured >= 0 &&
      (++this.#measured >= (this.o.sample ?? 30) || performance.now() - this.#startedAt >= (this.o.sampleMs ?? 10_000))
    )
      this.#decide(pool);
    return result;
  }

  #decide(pool: PoolProcessor): void {
    const share = pool.busyMs / Math.max(1, performance.now() - this.#startedAt);
    const threshold = this.o.threshold ?? 0.05;
    const measured = `processing took ${(share * 100).toFixed(0)}% of a core over the first ${this.#measured} responses`;
    this.#measured = -1;
    if (share > threshold) {
      this.#reason = `${measured} (over ${threshold * 100}%: the pool pays off)`;
      return;
    }
    this.#reason = `${measured} (at most ${threshold * 100}%: a pool would cost more than it saves)`;
    // Bodies still on the pool finish there; it closes with the run.
    this.#idlePool = pool;
    this.#pool = undefined;
  }

  #inlineProcessor(): InlineProcessor {
    return (this.#inline ??= new InlineProcessor(this.config, this.o.store, this.o.loadEncoder));
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool?.close(), this.#idlePool?.close(), this.#inline?.close()]);
  }
}
