import { FUNCTION_DEFAULTS } from '../../core/function-defaults.js';
import { parseIdRanges } from '../../core/planner.js';
import type { ObjectStore, WorkQueue } from '../../core/ports.js';
import { createDispatchHandler } from './dispatch-handler.js';
import type { EnvReader } from './env.js';
import type { Observability } from './observability.js';

/**
 * The dispatcher as deployed, for functions/dispatch.ts and `scraper invoke dispatch`:
 * MAXSOLD_START_ID (default 104000), MAXSOLD_WINDOW (default 200) and MAXSOLD_IDS
 * (an explicit range; default unset: the cursor moves) from `env`, and the store and
 * queue given (S3 and SQS in AWS, files locally).
 */
export function dispatchHandlerFrom(env: EnvReader, io: { store: ObjectStore; queue: WorkQueue }, obs: Observability) {
  return createDispatchHandler({
    ...io,
    config: {
      startId: env.int('MAXSOLD_START_ID', FUNCTION_DEFAULTS.maxsoldStartId, 1, 99_999_999),
      window: env.int('MAXSOLD_WINDOW', FUNCTION_DEFAULTS.maxsoldWindow, 1, 100_000),
      explicit: env.parsed('MAXSOLD_IDS', parseIdRanges),
    },
    ...obs,
  });
}
