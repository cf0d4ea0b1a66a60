import type { TableEncoder } from './response-processor.js';

/**
 * parquet-wasm and apache-arrow, loaded (and the WebAssembly compiled) when a thread
 * first writes a table file: the main thread of a run whose pool does that work
 * never pays for them.
 */
export async function loadTableEncoder(): Promise<TableEncoder> {
  return (await import('./parquet.js')).encodeTableFile;
}
