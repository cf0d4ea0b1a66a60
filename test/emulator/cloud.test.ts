import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../emulator/synth.js';
import { runCli } from '../helpers/cli.js';

// Inside the project: the bundles in cdk.out reach the AWS SDK in node_modules, as in Lambda's runtime.
const cdkOut = join(PROJECT_ROOT, '.tmp', `cloud-${process.pid}`);
let report: {
  invariants: { name: string; ok: boolean; detail: string }[];
  functions: { name: string; invocations: number; timeouts: number; billedMs: number; reserved?: number; peakConcurrency: number }[];
  eventSources: { maxConcurrency?: number; batches: number }[];
  requests: Record<string, number>;
  schedules: Record<string, number>;
  api: { requests: number; retryAfterViolations: number };
  monthlyUsd: number;
};
let stderr = '';

beforeAll(async () => {
  // A quarter of a simulated day at 2% of production volume, VIA every 10 minutes: the
  // synth once (~15-50 s on two busy cores), then the emulation (~1-2 min).
  const r = await runCli(['cloud', '--days', '0.25', '--volume', '0.02', '--set', 'viaSchedule=rate(10 minutes)', '--faults', 'empty=0.02,serverError=0.02,reset=0.01,truncated=0.01,html=0.01,slow=0.01', '--cdk-out', cdkOut, '--json']);
  stderr = r.stderr;
  report = JSON.parse(r.stdout);
}, 400_000);

afterAll(() => rmSync(cdkOut, { recursive: true, force: true }));

describe('scraper cloud: a quarter day of the deployed topology', () => {
  it('holds every invariant', () => {
    expect(report.invariants.filter((i) => !i.ok), stderr.slice(-2000)).toEqual([]);
    expect(report.invariants.map((i) => i.name)).toContain('every auction that existed was discovered');
  });

  it('runs the schedules the template declares, at their rates', () => {
    // Six hours: MaxSold hourly, VIA every 10 minutes, compaction once (02:30 UTC).
    expect(Object.values(report.schedules).sort((a, b) => a - b)).toEqual([1, 6, 36]);
  });

  it('never runs more fetches at once than the event source maxConcurrency (the semaphore)', () => {
    const fetch = report.functions.find((f) => f.reserved !== undefined)!;
    expect(fetch.peakConcurrency).toBeLessThanOrEqual(report.eventSources[0].maxConcurrency!);
    expect(fetch.invocations).toBeGreaterThan(0);
  });

  it('counts AWS requests and bills them', () => {
    expect(report.requests['S3 PutObject']).toBeGreaterThan(0);
    expect(report.requests['SQS SendMessageBatch']).toBeGreaterThan(0);
    expect(report.monthlyUsd).toBeGreaterThan(0);
  });
});
