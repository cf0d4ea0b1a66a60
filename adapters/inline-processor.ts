import type { ObjectStore, Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { ProcessorConfig, TableEncoder } from './response-processor.js';

type StoreResponse = typeof import('./response-processor.js').storeResponse;

/**
 * Processing on the calling thread: no hand-off cost, but it holds the event loop while
 * it works. Bodies are processed one per turn of the loop, each after the I/O that
 * arrived meanwhile (a 429 among it) has been read, so the loop is never held longer
 * than one body takes, however many responses are waiting. The processing code
 * (validators, normalisers, the JSON parser) and parquet-wasm are loaded on first use
 * only: a run whose pool does the processing never loads them on its main thread.
 */
export class InlineProcessor implements Processor {
  readonly description = 'inline (main thread)';
  #store: StoreResponse | undefined;
  #encode: TableEncoder | undefined;
  /** The body being processed: the next one starts a turn after it ends. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: ProcessorConfig,
    private readonly store: ObjectStore,
    private readonly loadEncoder?: () => Promise<TableEncoder>,
  ) {}

  process(input: ProcessInput): Promise<ProcessResult> {
    const result = this.#turn.then(() => nextTurn()).then(() => this.#process(input));
    this.#turn = result.catch(() => undefined);
    return result;
  }

  async #process(input: ProcessInput): Promise<ProcessResult> {
    this.#store ??= (await import('./response-processor.js')).storeResponse;
    if ((this.config.normalise ?? true) && !input.checkOnly) this.#encode ??= await this.loadEncoder?.();
    return this.#store(input, { config: this.config, store: this.store, encode: this.#encode });
  }

  async close(): Promise<void> {}
}

/** After the I/O waiting now is read: a setImmediate set while the loop checks immediates runs on its next turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
