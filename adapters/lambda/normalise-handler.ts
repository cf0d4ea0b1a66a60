import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { normaliseRawObject, type NormaliseOutcome } from '../../core/normalise-object.js';
import type { ObjectStore, Processor, WorkQueue } from '../../core/ports.js';
import { RunStats } from '../../core/run-stats.js';
import { publishMetrics, publishStats } from './observability.js';

export interface NormaliseHandlerDeps {
  store: ObjectStore;
  /** Writes the table files (to the same bucket). */
  processor: Processor;
  /** Where bid-history items go, and whether every snapshot plans them (not only the final one). @default - none planned */
  bids?: { queue: WorkQueue; everyPoll: boolean };
  logger: Logger;
  metrics: Metrics;
}

/** S3 event keys are URL-encoded, with spaces as '+'. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/**
 * S3 ObjectCreated on raw/ → table files under tables/ (same keys as locally), a
 * state/seen/ marker per auction, and quarantine/ for bodies that fail validation; the
 * bid histories of a closed auction's items go to the work queue.
 * An error throws: the invocation is retried, then goes to the dead-letter queue.
 */
export function createNormaliseHandler(deps: NormaliseHandlerDeps) {
  const handler = async (event: S3Event): Promise<Record<string, NormaliseOutcome>> => {
    const stats = new RunStats();
    const outcomes: Record<string, NormaliseOutcome> = {};
    try {
      for (const record of event.Records) {
        const key = decodeS3Key(record.s3.object.key);
        outcomes[key] = await normaliseRawObject(key, deps.store, deps.processor, stats, {
          recordSeen: true,
          bids: deps.bids,
          replaces: true,
        });
      }
    } finally {
      publishStats(deps.metrics, stats, { itemOutcomes: false, quarantined: stats.total('quarantined') });
    }
    deps.logger.info('normalised', { outcomes, rows: stats.rows, anomalies: stats.anomalies, bidsPlanned: stats.bidsPlanned });
    return outcomes;
  };
  return middy(handler).use(injectLambdaContext(deps.logger)).use(publishMetrics(deps.metrics));
}
