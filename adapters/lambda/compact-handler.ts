import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { compactTables, type CompactionResult } from '../../core/compaction.js';
import type { ObjectStore, TableCodec } from '../../core/ports.js';
import { utcDate } from '../../core/work-item.js';

export interface CompactHandlerDeps {
  store: ObjectStore;
  codec: TableCodec;
  logger: Logger;
  metrics: Metrics;
}

/** Daily: merges every closed partition (before the event's UTC date) into one file. */
export function createCompactHandler(deps: CompactHandlerDeps) {
  const handler = async (event: ScheduledEvent): Promise<CompactionResult> => {
    const result = await compactTables(deps.store, deps.codec, { today: utcDate(Date.parse(event.time)), includeOpen: false });
    deps.metrics.addMetric('FilesCompacted', MetricUnit.Count, result.filesMerged);
    deps.logger.info('compacted', { ...result });
    return result;
  };
  return middy(handler).use(injectLambdaContext(deps.logger)).use(logMetrics(deps.metrics));
}
