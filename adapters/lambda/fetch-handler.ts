import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { attemptItem, type FetchContext } from '../../core/fetch-item.js';
import type { MessageVisibility, ObjectStore } from '../../core/ports.js';
import { quarantineKey, rawKey } from '../../core/raw-key.js';
import { backoffMs } from '../../core/retry-policy.js';
import { RunStats } from '../../core/run-stats.js';
import { describeItem, parseWorkItem, type WorkItem } from '../../core/work-item.js';
import { publishMetrics, publishStats } from './observability.js';

export interface FetchHandlerDeps {
  fetch: Omit<FetchContext, 'stats' | 'signal'>;
  store: ObjectStore;
  visibility: MessageVisibility;
  /** The queue's maxReceiveCount: on the last receive a failure goes to the dead-letter queue. */
  maxReceiveCount: number;
  /**
   * This long before the invocation's timeout, work still in flight is abandoned and
   * reported as failed (it returns after the queue's visibility timeout); what finished
   * is reported done. @default 2000
   */
  deadlineMarginMs?: number;
  logger: Logger;
  metrics: Metrics;
}

/** Why a message is handed back to the queue; the batch response lists it as failed. */
class RetryMessage extends Error {}

/** The invocation's deadline came before this message's work finished. */
class DeadlineReached extends Error {}

/**
 * SQS batch → one attempt per work item, fetched concurrently under the core
 * limiter. Nothing sleeps while billed: a 429 sets the message's visibility to the
 * Retry-After, other failures to a backoff by receive count; the batch response
 * names exactly the messages to retry. Near the timeout the deadline signal aborts what
 * is still running: those messages, and only those, are reported failed.
 *
 * Records run concurrently, so nothing is appended to the shared logger per record:
 * each log line carries its record's keys itself.
 */
export function createFetchHandler(deps: FetchHandlerDeps) {
  const processor = new BatchProcessor(EventType.SQS);
  const { store, visibility, logger, fetch } = deps;
  const margin = deps.deadlineMarginMs ?? 2_000;

  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const stats = new RunStats();
    // Bodies this invocation put under quarantine/.
    let quarantined = 0;
    const deadline = new AbortController();
    const remaining = context.getRemainingTimeInMillis?.();
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(
            () => deadline.abort(new DeadlineReached('deadline: abandoned before the invocation timed out')),
            Math.max(0, remaining - margin),
          );
    const signal = deadline.signal;
    const ctx: FetchContext = { ...fetch, stats, signal };

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const receives = Number(record.attributes.ApproximateReceiveCount) || 1;
      let item: WorkItem;
      try {
        item = parseWorkItem(record.body);
      } catch (e) {
        // No work item in it, on any delivery: it fails until its deliveries run out and the
        // dead-letter queue's alarm fires; this line says why.
        logger.error('not a work item', {
          messageId: record.messageId,
          receives,
          error: (e as Error).message,
          body: record.body.slice(0, 200),
        });
        throw e;
      }
      const keys = { item: describeItem(item), receives, messageId: record.messageId };
      if (signal.aborted) throw new DeadlineReached('deadline: not started');
      try {
        stats.plan(item);
        // The same key fetched earlier today (an open auction polled again): ask conditionally,
        // except for the poll after the close, stored even if unchanged (its final prices).
        const previous = await store.head(rawKey(item));
        const final = item.source === 'maxsold' && item.final === true;
        // The processor has stored the raw object of an accepted body (or an empty auction's).
        const a = await attemptItem(item, ctx, {
          previousRequests: receives - 1,
          waitForPause: false,
          previous: final ? undefined : previous,
          replaces: previous !== undefined,
        });
        if (a.kind === 'accepted') {
          stats.bytesStored += a.stored.rawBytes;
          return stats.finish(item, 'fetched');
        }
        if (a.kind === 'permanent') {
          logger.info('permanent outcome, not retried', { ...keys, outcome: a.outcome, reason: a.reason });
          return stats.finish(item, a.outcome);
        }
        if (a.kind === 'unchanged') return stats.finish(item, 'unchanged');
        if (a.kind === 'throttled') {
          await visibility.delay(record.receiptHandle, a.waitMs / 1000, record.eventSourceARN);
          throw new RetryMessage(`throttled: retry after ${a.waitMs} ms`);
        }
        stats.failure(a.reason);
        // Past the size limit every time (quarantined now with its first bytes, no redelivery), or
        // a poison body on the last delivery. Under quarantine/, with the reason: the raw key keeps
        // what an earlier poll today stored there (an open auction's good body).
        if (a.error === 'too_large' || (a.error === 'poison' && a.rawGz && receives >= deps.maxReceiveCount)) {
          await store.put(quarantineKey(rawKey(item)), a.rawGz ?? new Uint8Array(0), {
            ...(a.metadata ?? { 'work-item': JSON.stringify(item) }),
            attempts: String(receives),
            reason: a.reason,
          });
          quarantined++;
          logger.warn(`quarantined: ${a.error === 'poison' ? 'poison' : 'too large'}`, { ...keys, reason: a.reason });
          return stats.finish(item, 'quarantined', describeItem(item));
        }
        if (receives >= deps.maxReceiveCount) {
          throw new RetryMessage(`${a.reason} on delivery ${receives} of ${deps.maxReceiveCount}: to the dead-letter queue`);
        }
        stats.retries++;
        const wait = Math.max(1, backoffMs(fetch.policy, receives, fetch.random) / 1000);
        logger.info('retried after a backoff', { ...keys, reason: a.reason, waitSeconds: wait });
        await visibility.delay(record.receiptHandle, wait, record.eventSourceARN);
        throw new RetryMessage(`${a.reason}: retry after backoff`);
      } catch (e) {
        if (signal.aborted && !(e instanceof RetryMessage)) {
          logger.warn('abandoned at the deadline', keys);
          throw new DeadlineReached('deadline: abandoned before the invocation timed out', { cause: e });
        }
        throw e;
      }
    };

    try {
      return await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
    } finally {
      clearTimeout(timer);
      publishStats(deps.metrics, stats, { itemOutcomes: true, quarantined });
      logger.info('batch done', {
        records: event.Records.length,
        requests: stats.requests,
        throttled: stats.throttled,
        retried: stats.retries,
        deadlineReached: signal.aborted,
      });
    }
  };

  // The deadline is the handler's own (above): middy's early timeout would fail the whole batch.
  return middy(handler, { timeoutEarlyInMillis: 0 }).use(injectLambdaContext(logger)).use(publishMetrics(deps.metrics));
}
