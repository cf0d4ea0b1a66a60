import { describe, expect, it } from 'vitest';
import { troubleSoFar } from '../../emulator/cloud-run.js';
import type { FunctionStats } from '../../emulator/lambda-service.js';

const stats = (over: Partial<FunctionStats> = {}): FunctionStats => ({
  invocations: 100,
  errors: 0,
  timeouts: 0,
  timedOutAt: [],
  throttles: 3,
  coldStarts: 2,
  billedMs: 1000,
  initMs: 100,
  maxDurationMs: 40,
  peakConcurrency: 2,
  asyncEventsDropped: 0,
  destinationSends: 0,
  destinationDeliveryFailures: 0,
  logBytes: 0,
  ...over,
});

describe("scraper cloud's progress line", () => {
  it('says nothing while no function has failed (throttles are the semaphore at work)', () => {
    expect(troubleSoFar(new Map([['Fetch', stats()]]))).toBe('');
  });

  it('names each function that failed, timed out or lost an event, as it happens', () => {
    const line = troubleSoFar(
      new Map([
        ['Dispatch', stats({ errors: 1 })],
        ['Fetch', stats()],
        // Five given up on, two of them recorded in the failure queue.
        ['Normalise', stats({ errors: 2, timeouts: 1, asyncEventsDropped: 5, destinationSends: 2, destinationDeliveryFailures: 3 })],
      ]),
    );
    expect(line).toBe('; so far Dispatch 1 error; Normalise 2 errors, 1 timeout, 3 async events lost');
  });

  it('names the first request refused by a role, and how many were', () => {
    const refused = { count: 11, first: 's3:PutObject on bucket/tables/maxsold_items/dt=2026-11-23/compacted-000001.parquet' };
    expect(troubleSoFar(new Map([['Compact', stats({ errors: 3 })]]), refused)).toBe(
      '; so far 11 requests refused by a role (first: s3:PutObject on bucket/tables/maxsold_items/dt=2026-11-23/compacted-000001.parquet); Compact 3 errors',
    );
  });
});
