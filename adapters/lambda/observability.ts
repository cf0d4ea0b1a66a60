import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
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

/** The run counters of one invocation as EMF metrics named for domain events. */
export function publishStats(metrics: Metrics, stats: RunStats): void {
  const count = (name: string, n: number) => {
    if (n > 0) metrics.addMetric(name, MetricUnit.Count, n);
  };
  count('Requests', stats.requests);
  count('Retries', stats.retries);
  count('Throttled', stats.throttled);
  count('Fetched', stats.total('fetched'));
  count('Unchanged', stats.total('unchanged'));
  count('Missing', stats.total('missing'));
  count('Redirected', stats.total('redirected'));
  count('Empty', stats.total('empty'));
  count('Quarantined', stats.total('quarantined'));
  if (stats.bytesReceived > 0) metrics.addMetric('BytesReceived', MetricUnit.Bytes, stats.bytesReceived);
  count('BidHistoriesPlanned', stats.bidsPlanned);
  count(
    'RowsWritten',
    Object.values(stats.rows).reduce((a, b) => a + b, 0),
  );
}
