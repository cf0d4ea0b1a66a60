import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { compactTables, type CompactionResult } from '../../core/compaction.js';
import type { ObjectStore, TableCodec } from '../../core/ports.js';
import { utcDate } from '../../core/work-item.js';
import { publishMetrics } from './observability.js';

export interface CompactHandlerDeps {
  store: ObjectStore;
  codec: TableCodec;
  logger: Logger;
  metrics: Metrics;
}

/**
 * A step starts only while the invocation has time for twice the longest step so far
 * and a margin: the run stops between steps, never in one.
 */
export function timeForAnotherStep(context: Pick<Context, 'getRemainingTimeInMillis'>, marginMs = 10_000): () => boolean {
  let last: number | undefined;
  let longest = 0;
  return () => {
    const now = Date.now();
    if (last !== undefined) longest = Math.max(longest, now - last);
    last = now;
    return (context.getRemainingTimeInMillis?.() ?? Infinity) > 2 * longest + marginMs;
  };
}

/**
 * Daily: merges every closed partition (before the event's UTC date) into parts,
 * oldest first, a bounded step at a time, as long as the invocation has time for
 * another step; partitions left over are merged by the next run (and counted).
 */
export function createCompactHandler(deps: CompactHandlerDeps) {
  const handler = async (event: ScheduledEvent, context: Context): Promise<CompactionResult> => {
    const result = await compactTables(deps.store, deps.codec, {
      today: utcDate(Date.parse(event.time)),
      includeOpen: false,
      keepGoing: timeForAnotherStep(context),
    });
    deps.metrics.addMetric('FilesCompacted', MetricUnit.Count, result.filesMerged);
    if (result.partitionsLeft > 0) deps.metrics.addMetric('PartitionsLeftUncompacted', MetricUnit.Count, result.partitionsLeft);
    deps.logger.info('compacted', { ...result });
    return result;
  };
  return middy(handler).use(injectLambdaContext(deps.logger)).use(publishMetrics(deps.metrics));
}
