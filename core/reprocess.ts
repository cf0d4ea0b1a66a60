import { normaliseRawObject } from './normalise-object.js';
import type { ObjectStore, Processor } from './ports.js';
import { RAW_PREFIX } from './raw-key.js';
import type { RunStats } from './run-stats.js';

export interface ReprocessOptions {
  /** Where rebuilt table files go (a fresh location, swapped in by the caller). */
  target: ObjectStore;
  /** Objects processed at once; the processor's pool does the CPU work. */
  lanes: number;
  onObjectDone?: () => void;
}

/** Rebuilds table files from every committed raw object, streaming the listing. */
export async function reprocessRaw(source: ObjectStore, processor: Processor, stats: RunStats, options: ReprocessOptions): Promise<void> {
  const keys = source.list(RAW_PREFIX)[Symbol.asyncIterator]();
  const lane = async () => {
    for (let next = await keys.next(); !next.done; next = await keys.next()) {
      await normaliseRawObject(next.value, source, processor, stats, { target: options.target });
      options.onObjectDone?.();
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
}
