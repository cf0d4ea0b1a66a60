import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { dispatch, type DispatchConfig, type DispatchSummary } from '../../core/dispatch.js';
import type { ObjectStore, WorkQueue } from '../../core/ports.js';
import { publishMetrics } from './observability.js';

export interface DispatchHandlerDeps {
  store: ObjectStore;
  queue: WorkQueue;
  config: DispatchConfig;
  logger: Logger;
  metrics: Metrics;
}

/** The scheduled event names its plan in `detail.plan`; its `time` stamps the work. */
export function planOf(event: ScheduledEvent<{ plan?: string }>): 'maxsold' | 'via' {
  const plan = event.detail?.plan;
  if (plan !== 'maxsold' && plan !== 'via')
    throw new TypeError(`scheduled event: detail.plan must be "maxsold" or "via", got ${JSON.stringify(plan)}`);
  return plan;
}

export function createDispatchHandler(deps: DispatchHandlerDeps) {
  const handler = async (event: ScheduledEvent<{ plan?: string }>): Promise<DispatchSummary> => {
    const at = Date.parse(event.time);
    if (Number.isNaN(at)) throw new TypeError(`scheduled event: time must be an ISO instant, got ${JSON.stringify(event.time)}`);
    const summary = await dispatch(planOf(event), at, deps.store, deps.queue, deps.config);
    deps.metrics.addMetric('WorkItemsSent', MetricUnit.Count, summary.sent);
    deps.logger.info('dispatched', { ...summary });
    return summary;
  };
  return middy(handler).use(injectLambdaContext(deps.logger)).use(publishMetrics(deps.metrics));
}
