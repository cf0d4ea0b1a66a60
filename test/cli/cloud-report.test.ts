import { describe, expect, it } from 'vitest';
import { renderCloudReport } from '../../cli/commands/cloud.js';

type Report = Parameters<typeof renderCloudReport>[0];
const fn = (name: string, errors: number, firstError?: string) => ({
  name,
  memoryMb: 256,
  timeoutSeconds: 30,
  reserved: undefined,
  invocations: 10,
  errors,
  timeouts: 0,
  throttles: 0,
  coldStarts: 1,
  billedMs: 100,
  initMs: 50,
  maxDurationMs: 20,
  peakConcurrency: 1,
  asyncEventsDropped: 0,
  destinationSends: 0,
  destinationDeliveryFailures: 0,
  logBytes: 0,
  firstError,
});

describe('the cloud report', () => {
  it("names each failing function's first error, so a run where nothing worked says why", () => {
    const report = {
      days: 0.1,
      volume: 0.02,
      realSeconds: 1,
      cpuSeconds: 1,
      virtualSkippedHours: 0,
      invariants: [],
      eventSources: [],
      requests: {},
      metrics: {},
      schedules: {},
      bill: [],
      monthlyUsd: 0,
      api: { requests: 0, statusCounts: {}, peakInFlight: 0 },
      functions: [fn('Dispatch', 10, "init failed: Error: Cannot find package '@aws-sdk/client-s3'"), fn('Fetch', 0)],
    } as unknown as Report;
    const text = renderCloudReport(report);
    expect(text).toContain("Dispatch: 10 error(s), the first: init failed: Error: Cannot find package '@aws-sdk/client-s3'");
    expect(text).not.toMatch(/^Fetch: /m);
    // Billed per invocation counts INIT and can exceed the longest duration, which does not: the columns say which is which.
    expect(text).toMatch(/ billed ms\/inv\. +longest ms /);
    expect(text).toMatch(/^Dispatch +256 .* 10 +20 +1$/m);
    expect(text).toContain(
      "billed ms/inv.: what Lambda bills per invocation on average (its duration rounded up to 1 ms, cold starts' INIT included)",
    );
    // The month is the run's flows scaled up: a run of hours says how far.
    expect(text).toContain(
      'total: $0.00 a month (the requests, compute and logs of 0.1 simulated day(s) × 300; storage as it stands at the end; alarms, metrics and dashboards at their monthly price)',
    );
  });
});
