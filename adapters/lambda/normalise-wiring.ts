import { REAL_ORIGINS } from '../../core/sources/index.js';
import type { ObjectStore, WorkQueue } from '../../core/ports.js';
import { InlineProcessor } from '../inline-processor.js';
import { encodeTableFile } from '../parquet.js';
import type { EnvReader } from './env.js';
import { createNormaliseHandler } from './normalise-handler.js';
import type { Observability } from './observability.js';

/**
 * The normaliser as deployed, for functions/normalise.ts and `scraper invoke normalise`:
 * Parquet through parquet-wasm (loaded with the module: in Lambda, during INIT), bid
 * histories to the queue given, for every snapshot when BIDS_EVERY_POLL is true
 * (default false: once, after the auction closed).
 */
export function normaliseHandlerFrom(env: EnvReader, io: { store: ObjectStore; queue: WorkQueue }, obs: Observability) {
  return createNormaliseHandler({
    store: io.store,
    processor: new InlineProcessor({ origins: REAL_ORIGINS }, io.store, async () => encodeTableFile),
    bids: { queue: io.queue, everyPoll: env.flag('BIDS_EVERY_POLL') },
    ...obs,
  });
}
