import { normaliseRawObject } from './normalise-object.js';
import type { ObjectStore, Processor } from './ports.js';
import { RAW_PREFIX } from './raw-key.js';
import type { RunStats } from './run-stats.js';

export interface ReprocessOptions {
  /** Objects processed at once; the processor's pool does the CPU work. */
  lanes: number;
  /** Each raw key as the listing reaches it. */
  onObject?: (key: string) => void;
}

/**
 * Rebuilds table files from every committed raw object, streaming the listing; they
 * go where the processor writes (a fresh location, swapped in by the caller).
 */
export async function reprocessRaw(source: ObjectStore, processor: Processor, stats: RunStats, options: ReprocessOptions): Promise<void> {
  const keys = source.list(RAW_PREFIX)[Symbol.asyncIterator]();
  const lane = async () => {
    for (let next = await keys.next(); !next.done; next = await keys.next()) {
      options.onObject?.(next.value);
      await normaliseRawObject(next.value, source, processor, stats);
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
}
