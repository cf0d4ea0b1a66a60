import type { ObjectStore, Processor, ProcessInput, ProcessResult } from '../core/ports.js';
import type { ProcessorConfig, TableEncoder } from './response-processor.js';

type StoreResponse = typeof import('./response-processor.js').storeResponse;

/**
 * Processing on the calling thread: no hand-off cost, but it holds the event loop while
 * it works. The processing code (validators, normalisers, the JSON parser) and
 * parquet-wasm are loaded on first use only: a run whose pool does the processing never
 * loads them on its main thread.
 */
export class InlineProcessor implements Processor {
  readonly description = 'inline (main thread)';
  #store: StoreResponse | undefined;
  #encode: TableEncoder | undefined;

  constructor(
    private readonly config: ProcessorConfig,
    private readonly store: ObjectStore,
    private readonly loadEncoder?: () => Promise<TableEncoder>,
  ) {}

  async process(input: ProcessInput): Promise<ProcessResult> {
    // Let responses that have already arrived (a 429 among them) be read before this blocks the thread.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#store ??= (await import('./response-processor.js')).storeResponse;
    if ((this.config.normalise ?? true) && !input.checkOnly) this.#encode ??= await this.loadEncoder?.();
    return this.#store(input, { config: this.config, store: this.store, encode: this.#encode });
  }

  async close(): Promise<void> {}
}
