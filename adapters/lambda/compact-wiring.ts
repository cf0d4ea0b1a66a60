import type { ObjectStore } from '../../core/ports.js';
import { parquetCodec } from '../parquet-merge.js';
import { createCompactHandler } from './compact-handler.js';
import type { Observability } from './observability.js';

/** The compaction job as deployed, for functions/compact.ts and `scraper invoke compact`: Parquet files of the store given. */
export function compactHandlerFrom(io: { store: ObjectStore }, obs: Observability) {
  return createCompactHandler({ store: io.store, codec: parquetCodec, ...obs });
}
