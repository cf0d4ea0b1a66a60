import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { RunStats } from '../../core/run-stats.js';

export const SERVICE = 'api-scraper';
export const NAMESPACE = 'ApiScraper';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/** One Logger and one Metrics (EMF) per function container. */
export function createObservability(options: { logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {}): Observability {
  return {
    logger: new Logger({ serviceName: SERVICE, logLevel: options.logLevel }),
    metrics: new Metrics({ namespace: NAMESPACE, serviceName: SERVICE }),
  };
}

/**
 * The run counters of one invocation as EMF metrics named for domain events, each event counted
 * once, by the function it happens in. The fetch counts the requests and what became of each work
 * item (`itemOutcomes`); the normaliser reads every raw object the fetch stored, so it counts only
 * what it does itself: rows written, bid histories planned, bodies quarantined. `quarantined` is
 * the bodies this invocation put under quarantine/ (the fetch: a poison body on its last delivery
 * or one past the size limit; the normaliser: a stored body that no longer validates).
 */
export function publishStats(metrics: Metrics, stats: RunStats, counts: { itemOutcomes: boolean; quarantined: number }): void {
  const count = (name: string, n: number) => {
    if (n > 0) metrics.addMetric(name, MetricUnit.Count, n);
  };
  count('Requests', stats.requests);
  count('Retries', stats.retries);
  count('Throttled', stats.throttled);
  if (counts.itemOutcomes) {
    count('Fetched', stats.total('fetched'));
    count('Unchanged', stats.total('unchanged'));
    count('Missing', stats.total('missing'));
    count('Redirected', stats.total('redirected'));
    count('Empty', stats.total('empty'));
  }
  count('Quarantined', counts.quarantined);
  if (stats.bytesReceived > 0) metrics.addMetric('BytesReceived', MetricUnit.Bytes, stats.bytesReceived);
  count('BidHistoriesPlanned', stats.bidsPlanned);
  count(
    'RowsWritten',
    Object.values(stats.rows).reduce((a, b) => a + b, 0),
  );
}

/**
 * Publishes the metrics an invocation added, after it (or its error), as Powertools' logMetrics
 * does, but nothing when it added none: logMetrics then logs a warning line, which would be one
 * for every empty auction the normaliser reads (each counted by the fetch, not again there).
 */
export function publishMetrics(metrics: Metrics): MiddlewareObj {
  const publish = async (): Promise<void> => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    else {
      metrics.clearMetrics();
      metrics.clearDimensions();
    }
  };
  return { after: publish, onError: publish };
}
