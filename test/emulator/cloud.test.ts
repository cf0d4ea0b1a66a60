import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../emulator/synth.js';
import { FAULT_KINDS } from '../../simulator/faults.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import { until } from '../simulator/http.js';

// Inside the project, where the bundles reach the AWS SDK in node_modules as in Lambda's
// runtime. Kept between runs: the synth is redone only when its sources or settings change.
const cdkOut = join(PROJECT_ROOT, '.tmp', 'cloud-test-cdk.out');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let report: {
  invariants: { name: string; ok: boolean; detail: string; checked: number }[];
  functions: {
    name: string;
    invocations: number;
    timeouts: number;
    errors: number;
    billedMs: number;
    reserved?: number;
    peakConcurrency: number;
  }[];
  eventSources: { maxConcurrency?: number; batches: number }[];
  requests: Record<string, number>;
  schedules: Record<string, number>;
  api: { requests: number; retryAfterViolations: number; faults: Record<string, number>; statusCounts: Record<string, number> };
  /** EMF metrics from the functions' logs, by namespace/name/dimensions. */
  metrics: Record<string, number>;
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

  it("counts each event once in the functions' metrics", () => {
    const metric = (name: string) => Object.entries(report.metrics).reduce((n, [key, v]) => (key.split('/')[1] === name ? n + v : n), 0);
    // A stored body is counted by the fetch that stored it, not again by the normaliser that reads it.
    expect(metric('Fetched')).toBeGreaterThan(0);
    expect(metric('Fetched')).toBeLessThanOrEqual(report.api.statusCounts['200']!);
    expect(metric('RowsWritten')).toBeGreaterThan(0);
  });

  it("keeps what the functions write (stdout and stderr) in their logs, off the emulation's own stderr", () => {
    expect(stderr).not.toMatch(/"level":|No application metrics/);
  });

  it('reports the CPU the run spent', () => {
    expect(report.cpuSeconds).toBeGreaterThan(0);
  });
});

describe('scraper cloud: a grant the template lacks', () => {
  /** The test's synth, copied, with `action` taken out of the policies of the function whose id starts with `fn`. */
  function withoutGrant(name: string, fn: string, action: string): string {
    const tampered = join(PROJECT_ROOT, '.tmp', `cloud-test-${name}.out`);
    rmSync(tampered, { recursive: true, force: true });
    cpSync(cdkOut, tampered, { recursive: true });
    const file = join(tampered, 'ApiScraper.template.json');
    const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, { Type: string; Properties: Json }> };
    let removed = 0;
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy' || !id.startsWith(fn)) continue;
      for (const s of r.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        const actions = [s.Action].flat();
        s.Action = actions.filter((a) => a !== action);
        removed += actions.length - s.Action.length;
      }
    }
    expect(removed).toBeGreaterThan(0);
    writeFileSync(file, JSON.stringify(template));
    return tampered;
  }
  const shortRun = (dir: string) =>
    runCli([
      'cloud',
      '--start',
      '2026-11-22T22:00:00Z',
      '--days',
      '0.05',
      '--volume',
      '0.01',
      '--backlog-days',
      '7',
      '--cdk-out',
      dir,
      '--no-synth',
      '--json',
    ]);

  it('one a handler needs shows up as refusals, and the run goes on as in AWS', async () => {
    const dir = withoutGrant('no-send', 'Dispatch', 'sqs:SendMessage');
    try {
      const r = await shortRun(dir);
      expect(r.code, r.stderr.slice(-2000)).toBe(1);
      const tampered = JSON.parse(r.stdout) as typeof report;
      const refused = tampered.invariants.find((i) => i.name === "no S3 or SQS request refused by its function's role")!;
      expect(refused.ok).toBe(false);
      expect(refused.detail).toMatch(/sqs:SendMessage on WorkQueue/);
      // Its dispatches failed (nothing planned), and were counted as errors.
      expect(tampered.functions.find((f) => f.name.startsWith('Dispatch'))!.errors).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("one Lambda checks at deploy time (an event source's receive, delete, queue attributes) fails before anything runs", async () => {
    const dir = withoutGrant('no-delete', 'Fetch', 'sqs:DeleteMessage');
    try {
      const r = await shortRun(dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /the deploy would fail: Lambda refuses the event source \w+, as the role of Fetch\w* may not sqs:DeleteMessage on WorkQueue/,
      );
      expect(r.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('scraper cloud: interrupted', () => {
  it('says so, exits 130 and leaves no spilled S3 objects behind', async () => {
    const { dir: tmp, cleanup } = tempDir('cloud-tmpdir-');
    const { child, done } = startCli(['cloud', '--days', '1', '--volume', '0.01', '--cdk-out', cdkOut, '--no-synth'], {
      env: { TMPDIR: tmp },
    });
    let exited = false;
    void done.then(() => (exited = true));
    try {
      // Once its S3 store holds files of its own (or it ended first, which fails below).
      const spilled = () => readdirSync(tmp).filter((f) => f.startsWith('scraper-cloud-s3-'));
      await until(() => exited || (spilled().length === 1 && readdirSync(join(tmp, spilled()[0]!)).length > 0));
      child.kill('SIGINT');
      const r = await done;
      expect(r.code, r.stderr.slice(-1000)).toBe(130);
      expect(r.stderr).toMatch(/interrupted \(SIGINT\): no report/);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (!exited) child.kill('SIGKILL');
      cleanup();
    }
  }, 120_000);
});
