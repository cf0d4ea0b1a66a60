import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/bench-report.js';
import { recommend } from '../../bench/tune.js';
import { renderTuneMarkdown, renderTuneText } from '../../bench/tune-report.js';
import type { TuneReport, TuneStep } from '../../bench/tune-result.js';
import { benchOptions } from '../../cli/commands/bench.js';
import { UsageError } from '../../cli/args.js';
import { runCli } from '../helpers/cli.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

// Structure only: timings depend on the machine and on whatever else runs on it.

function keptDirs(report: BenchReport | undefined): string[] {
  const note = report?.notes.find((n) => n.startsWith('data directories kept'));
  return note ? note.slice(note.indexOf(': ') + 2).split(', ') : [];
}

describe('scraper bench --quick --profile', () => {
  let dir: string;
  let cleanup: () => void;
  let report: BenchReport;
  let results: string;

  // The command as a user types it, in its own process (its runs are fresh processes of the same build).
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('bench-'));
    const r = await runCli(['bench', '--quick', '--profile', '--keep-data', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    const stamped = readdirSync(dir);
    expect(stamped).toHaveLength(1);
    results = join(dir, stamped[0]!);
    report = JSON.parse(readFileSync(join(results, 'report.json'), 'utf8')) as BenchReport;
  }, 300_000);
  afterAll(() => {
    cleanup();
    for (const d of keptDirs(report)) rmSync(d, { recursive: true, force: true });
  });

  it('runs the baseline and every command cold, each complete, with numeric figures', () => {
    expect(report.cold.map((f) => `${f.mode} ${f.auctions}`)).toEqual(['baseline 60', 'fetch 60', 'async 60', 'parallel 60', 'naive 10']);
    for (const f of report.cold) {
      expect(f.complete).toBe(true);
      expect(f.failures).toBe(0);
      expect(f.requests).toBeGreaterThanOrEqual(f.auctions);
      for (const v of [f.wallSeconds, f.cpuSeconds, f.cpuMsPerAuction, f.coresUsed, f.requestsPerSecond, f.peakRssMb])
        expect(Number.isFinite(v)).toBe(true);
      expect(f.cpuSeconds).toBeGreaterThan(0);
      expect(f.eventLoopDelayMs?.p99).toBeGreaterThan(0);
      expect(f.firstRequestSeconds).toBeGreaterThan(0);
      expect(f.coreBusy).toHaveLength(report.machine.cores);
      expect(f.cores.samples.length).toBeGreaterThan(0);
    }
    expect(report.helpCpuSeconds).toBeGreaterThan(0);
  });

  it("gives each cold run's I/O share, the wall time it waited rather than computed (1 − cores used, at least 0)", () => {
    const md = readFileSync(join(results, 'report.md'), 'utf8').split('\n');
    const header = md
      .find((l) => l.startsWith('| run | auctions |'))!
      .split('|')
      .map((c) => c.trim());
    const col = header.indexOf('I/O share');
    expect(col).toBeGreaterThan(header.indexOf('cores used'));
    for (const f of report.cold) {
      const row = md
        .find((l) => l.startsWith(`| ${f.mode} | ${f.auctions} |`))!
        .split('|')
        .map((c) => c.trim());
      expect(row[col]).toBe(`${Math.round(Math.max(0, 1 - f.coresUsed) * 100)}%`);
    }
  });

  it('reads every mode as a fraction of the bare baseline at its size, and over the naive loop', () => {
    for (const f of report.cold) {
      if (f.mode === 'baseline' || f.mode === 'naive') expect(f.ofBaseline).toBeNull();
      else expect(f.ofBaseline).toBeCloseTo(f.requestsPerSecond / report.cold[0]!.requestsPerSecond, 1);
      if (f.mode !== 'naive') expect(f.overNaive).toBeGreaterThan(0);
    }
  });

  it("runs the commands as typed: the processing each one did is the report's own", () => {
    const by = (mode: string) => report.cold.find((f) => f.mode === mode)!;
    expect(by('parallel').command).toMatch(/^scraper run maxsold --ids 100000-100059 --concurrency 50$/);
    expect(by('fetch').command).toMatch(/--raw-only --workers 0$/);
    expect(by('async').processing).toBe('inline (main thread)');
    expect(by('parallel').processing).toMatch(/^auto → /);
  });

  it("with --keep-data, keeps every run's data directory: the baseline's bodies, raw objects, and tables where the run writes them", () => {
    const dirs = keptDirs(report);
    expect(dirs).toHaveLength(5);
    const [baseline, fetch, async] = dirs as [string, string, string, ...string[]];
    expect(filesUnder(baseline).filter((f) => f.endsWith('.json'))).toHaveLength(60);
    expect(filesUnder(fetch).some((f) => f.startsWith('raw/source=maxsold/'))).toBe(true);
    expect(filesUnder(fetch).some((f) => f.startsWith('tables/'))).toBe(false);
    expect(filesUnder(async).filter((f) => f.startsWith('tables/maxsold_items/'))).toHaveLength(60);
  });

  it('measures the processing pool warm on one worker and on every core, labelled as such', () => {
    expect(report.scaling?.runs.map((r) => r.workers)).toEqual([...new Set([1, report.machine.cores])]);
    expect(report.scaling?.allAccepted).toBe(true);
    expect(report.scaling?.runs.every((r) => r.itemRows > 0 && Number.isFinite(r.itemRowsPerSecond))).toBe(true);
    expect(readFileSync(join(results, 'report.md'), 'utf8')).toMatch(
      /## Warm: the processing pool at steady state\n\nLabelled warm: this is not what a run gets/,
    );
  });

  it("runs the Lambda handlers' bundles in fresh processes: cold start, first and warm invocations", () => {
    expect(report.lambda?.map((l) => l.fn)).toEqual(['normalise', 'fetch']);
    for (const l of report.lambda!) {
      expect(l.bundleKb).toBeGreaterThan(0);
      for (const x of [l.init, l.first, l.warm]) expect(x.ms).toBeGreaterThan(0);
      expect(l.warm.invocations).toBeGreaterThan(0);
    }
    expect(filesUnder(results).some((f) => f.startsWith('profiles/lambda-normalise/') && f.endsWith('.cpuprofile'))).toBe(true);
  });

  it('judges every target, marking those a --quick run can only indicate', () => {
    expect(report.targets.filter((t) => t.met === null)).toEqual([]);
    const last = report.targets[report.targets.length - 1]!;
    expect(last.name).toBe('bench --quick duration');
    expect(report.targets.slice(0, -1).every((t) => t.caveat === '--quick run')).toBe(true);
    expect(report.targets.map((t) => t.name)).toEqual(
      expect.arrayContaining(['event-loop delay p99, every scraper run', 'scraper --help, CPU']),
    );
  });

  it('writes report.json, report.md and SVG charts rendered by vega', () => {
    const files = filesUnder(results);
    expect(files).toEqual(expect.arrayContaining(['report.json', 'report.md', ...report.charts]));
    expect(report.charts).toEqual(['requests-per-second.svg', 'wall-vs-cpu.svg', 'cpu-per-core.svg', 'normaliser-scaling.svg']);
    for (const chart of report.charts) {
      const svg = readFileSync(join(results, chart), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('class="marks"');
    }
    expect(readFileSync(join(results, 'report.md'), 'utf8')).toMatch(
      /## Targets[\s\S]*## Cold runs[\s\S]*## Warm[\s\S]*## The Lambda handlers, as bundled[\s\S]*## Where the CPU goes/,
    );
  });

  it('with --profile, writes a .cpuprofile for every thread of each cold run and says where the CPU went', () => {
    const profiles = filesUnder(results).filter((f) => f.endsWith('.cpuprofile'));
    expect(profiles.some((f) => f.startsWith('profiles/baseline-60/'))).toBe(true);
    // The pool's threads write their own profiles beside the main thread's.
    expect(profiles.filter((f) => f.startsWith('profiles/parallel-60/')).length).toBeGreaterThanOrEqual(3);
    const parallel = report.profiles.find((p) => p.run === 'parallel 60');
    expect(parallel?.workers?.stages.map((s) => s.stage)).toContain('Parquet encode (parquet-wasm)');
    const profile = JSON.parse(readFileSync(join(results, profiles[0]!), 'utf8'));
    expect(Object.keys(profile)).toEqual(expect.arrayContaining(['nodes', 'samples', 'timeDeltas']));
  });
});

describe('scraper bench options', () => {
  it('--quick shrinks the run; explicit flags still win', () => {
    expect(benchOptions({ quick: true, auctions: '30' })).toMatchObject({ auctions: [30], latencyMs: 20, quick: true });
    expect(benchOptions({})).toMatchObject({ auctions: [500, 3000], concurrency: 50, latencyMs: 50, jitterMs: 5 });
  });

  it.each([
    [{ modes: 'naive,turbo' }, /--modes: expected a comma-separated list of baseline, fetch, async, parallel, naive/],
    [{ only: 'everything' }, /--only: expected a comma-separated list of cold, scaling, lambda, micro, layout, compact/],
    [{ auctions: '0' }, /--auctions: expected comma-separated whole numbers from 1/],
  ])('%j is refused with the expected form', (values, message) => {
    expect(() => benchOptions(values)).toThrow(UsageError);
    expect(() => benchOptions(values)).toThrow(message);
  });
});

describe('the bench and tune commands', () => {
  it.each([['bench'], ['tune']])('scraper %s --help says what it measures', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: scraper (bench|tune)/);
  });

  it('tune sweeps the levels in fresh processes, writes its report and charts, and recommends', async () => {
    const { dir: out, cleanup } = tempDir('tune-');
    try {
      const r = await runCli(['tune', '--auctions', '10', '--levels', '1,5', '--latency', '20', '--workers', '0', '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^C= {2}1: [\d.]+ req\/s/m);
      expect(r.stdout).toMatch(/recommended concurrency: [15] \(/);
      const [run] = readdirSync(out);
      const report = JSON.parse(readFileSync(join(out, run!, 'report.json'), 'utf8')) as TuneReport;
      expect(report.steps.map((s) => [s.concurrency, s.requests, s.complete])).toEqual([
        [1, 10, true],
        [5, 10, true],
      ]);
      // Said (or not) as the recommendation decides: the rule is tested on its own below.
      if (report.recommended?.caveat) expect(r.stdout).toContain(`\ncaveat: ${report.recommended.caveat}\n`);
      else expect(r.stdout).not.toContain('caveat');
      for (const chart of report.charts) expect(readFileSync(join(out, run!, chart), 'utf8')).toMatch(/^<svg/);
    } finally {
      cleanup();
    }
  });

  it('a bad flag exits 2 with one line naming it', async () => {
    const r = await runCli(['tune', '--levels', '1,lots']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--levels: expected comma-separated whole numbers/);
  });
});

describe('scraper tune recommends the knee', () => {
  const step = (concurrency: number, requestsPerSecond: number, throttled429 = 0, p50 = 1): TuneStep => ({
    concurrency,
    requestsPerSecond,
    throttled429,
    requests: 100,
    wallSeconds: 1,
    cpuSeconds: 1,
    latencyMs: { p50, p95: p50 },
    failures: 0,
    complete: true,
  });

  it('picks the smallest C within 90% of the best clean req/s', () => {
    expect(recommend([step(1, 15), step(5, 70), step(10, 140), step(20, 190), step(50, 200)])?.concurrency).toBe(20);
  });

  it('ignores a step that was answered 429', () => {
    expect(recommend([step(1, 15), step(5, 70), step(10, 80, 3)])?.concurrency).toBe(5);
  });

  it('says so when a knee below the best may be the fixed cost at work, and how many auctions would tell', () => {
    // 100 requests × 40 ms at C=5 need 0.8 s of the best step's 1 s: the knee at C=1 stands.
    expect(recommend([step(1, 95, 0, 40), step(5, 100, 0, 40)])?.caveat).toBeUndefined();
    // × 20 ms: 0.4 s of it; the other 0.6 s, paid at every C, brings C=1 within 90%.
    expect(recommend([step(1, 95, 0, 20), step(5, 100, 0, 20)])?.caveat).toBe(
      "the requests needed about 0.40 s of the best step's 1.00 s (100 × p50 20 ms at C=5); the rest (start-up, processing, writing) is paid at every C and makes C=1 look as good: try --auctions 600 or more",
    );
    // 50 auctions took the 100 requests: the auctions that would tell are half the requests.
    expect(recommend([step(1, 95, 0, 20), step(5, 100, 0, 20)], 50)?.caveat).toMatch(/try --auctions 300 or more$/);
    // The best step recommended: nothing lower was taken for it.
    expect(recommend([step(1, 60, 0, 20), step(5, 100, 0, 20)])?.caveat).toBeUndefined();
  });

  it("says instead when the client's CPU was the limit: more auctions would not tell the levels apart", () => {
    const busy = { ...step(5, 100, 0, 20), cpuSeconds: 1.8 };
    expect(recommend([step(1, 95, 0, 20), busy], 100, 2)?.caveat).toBe(
      "the best step kept the client's 2 cores 90% busy (1.80 CPU-s in 1.00 s): from about C=1 the client's processing, not the server's latency, limits the rate, and it grows with the auctions as the requests do (more cores would let a higher C pay)",
    );
    // Half the cores busy: the fixed cost's caveat, as before.
    expect(recommend([step(1, 95, 0, 20), busy], 100, 4)?.caveat).toMatch(/try --auctions 600 or more$/);
  });

  it('the verdict prints the caveat under the rule, in the text and the Markdown report', () => {
    const steps = [step(1, 95, 0, 20), step(5, 100, 0, 20)];
    const report: TuneReport = {
      startedAt: '2026-12-07T00:00:00.000Z',
      totalSeconds: 3,
      machine: { cores: 2, node: 'v20.20.0', loadAverage: 0 },
      settings: {},
      steps,
      stopped: null,
      recommended: recommend(steps),
      charts: [],
      notes: [],
    };
    expect(renderTuneText(report)).toMatch(/\nrule: smallest C .*\ncaveat: the requests needed about 0\.40 s .*--auctions 600 or more$/);
    expect(renderTuneMarkdown(report)).toMatch(/\nrule: smallest C .* {2}\ncaveat: the requests needed/);
  });
});
