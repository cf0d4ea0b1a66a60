import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../emulator/synth.js';
import { FAULT_KINDS } from '../../simulator/faults.js';
import { runCli } from '../helpers/cli.js';

// Inside the project, where the bundles reach the AWS SDK in node_modules as in Lambda's
// runtime. Kept between runs: the synth is redone only when its sources or settings change.
const cdkOut = join(PROJECT_ROOT, '.tmp', 'cloud-test-cdk.out');

let report: {
  invariants: { name: string; ok: boolean; detail: string; checked: number }[];
  functions: { name: string; invocations: number; timeouts: number; billedMs: number; reserved?: number; peakConcurrency: number }[];
  eventSources: { maxConcurrency?: number; batches: number }[];
  requests: Record<string, number>;
  schedules: Record<string, number>;
  api: { requests: number; retryAfterViolations: number; faults: Record<string, number> };
  monthlyUsd: number;
  cpuSeconds: number;
};
let stderr = '';

beforeAll(async () => {
  // From 22:00 to 02:48 UTC: four hourly MaxSold plans, VIA every 10 minutes and the
  // 02:30 compaction of the day before, at 2% of production volume (~30 auctions, a week
  // of them existing at the start, so that one has closed and has its bid histories
  // fetched), with a window of 20 ids and runs of 30 unpublished ids (longer than the
  // window). Every fault kind, at rates that make each happen at this volume.
  const r = await runCli([
    'cloud',
    '--start',
    '2026-11-22T22:00:00Z',
    '--days',
    '0.2',
    '--volume',
    '0.02',
    '--backlog-days',
    '7',
    '--long-gap',
    '60/30',
    '--set',
    'viaSchedule=rate(10 minutes)',
    '--set',
    'maxsoldWindow=20',
    '--faults',
    'notFound=0.08,empty=0.03,schema=0.05,serverError=0.02,reset=0.02,truncated=0.02,html=0.02,slow=0.01',
    '--cdk-out',
    cdkOut,
    '--json',
  ]);
  stderr = r.stderr;
  report = JSON.parse(r.stdout);
}, 300_000);

describe('scraper cloud: a night of the deployed topology', () => {
  it('holds every invariant', () => {
    expect(
      report.invariants.filter((i) => !i.ok),
      stderr.slice(-2000),
    ).toEqual([]);
  });

  it('checks something for every invariant', () => {
    expect(report.invariants.filter((i) => i.checked === 0)).toEqual([]);
    expect(report.invariants.map((i) => i.name)).toContain('every auction that existed was discovered');
  });

  it('injects every kind of fault', () => {
    expect(FAULT_KINDS.filter((k) => !(report.api.faults[k]! > 0))).toEqual([]);
  });

  it('runs the schedules the template declares, at their rates', () => {
    // MaxSold hourly (23:00-02:00), VIA every 10 minutes, compaction once (02:30 UTC).
    expect(Object.values(report.schedules).sort((a, b) => a - b)).toEqual([1, 4, 28]);
  });

  it('never runs more fetches at once than the event sources allow in all (the semaphore)', () => {
    const fetch = report.functions.find((f) => f.reserved !== undefined)!;
    const allowed = report.eventSources.reduce((n, e) => n + e.maxConcurrency!, 0);
    expect(fetch.peakConcurrency).toBeLessThanOrEqual(allowed);
    expect(allowed).toBe(fetch.reserved);
    expect(fetch.invocations).toBeGreaterThan(0);
  });

  it('fetches polls and bid histories from their own queues', () => {
    // Two event sources (polls: 3 of the 5 fetches, bid histories: 2), both of which ran.
    expect(report.eventSources.map((e) => e.maxConcurrency).sort()).toEqual([2, 3]);
    expect(report.eventSources.filter((e) => e.batches === 0)).toEqual([]);
  });

  it('counts AWS requests and bills them', () => {
    expect(report.requests['S3 PutObject']).toBeGreaterThan(0);
    expect(report.requests['SQS SendMessageBatch']).toBeGreaterThan(0);
    expect(report.monthlyUsd).toBeGreaterThan(0);
  });

  it('reports the CPU the run spent', () => {
    expect(report.cpuSeconds).toBeGreaterThan(0);
  });
});
