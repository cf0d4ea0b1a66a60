import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/bench-report.js';
import { runBench } from '../../bench/run-bench.js';
import { recommend, type TuneStep } from '../../bench/tune.js';
import { benchOptions } from '../../cli/commands/bench.js';
import { UsageError } from '../../cli/args.js';
import { runCli } from '../helpers/cli.js';
import { startSimulator } from '../../simulator/index.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

// Structure only: timings depend on the machine and on whatever else runs on it.

function keptDirs(report: BenchReport | undefined): string[] {
  const note = report?.notes.find((n) => n.startsWith('data directories kept'));
  return note ? note.slice(note.indexOf(': ') + 2, note.indexOf(' (and')).split(', ') : [];
}

describe('scraper bench --quick --profile', () => {
  let dir: string;
  let cleanup: () => void;
  let report: BenchReport;
  let results: string;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('bench-'));
    ({ report, dir: results } = await runBench(benchOptions({ quick: true, profile: true, 'keep-data': true, out: dir }), () => {}));
  });
  afterAll(() => {
    cleanup();
    for (const d of keptDirs(report)) for (const x of [d, `${d}.warmup`]) rmSync(x, { recursive: true, force: true });
  });

  it('with --keep-data, keeps every run\'s data directory, raw objects and table files in it, and says where', () => {
    const dirs = keptDirs(report);
    // The simulator's warm-up, the fetch stage and the three modes.
    expect(dirs).toHaveLength(5);
    for (const d of dirs) expect(filesUnder(d).some((f) => f.startsWith('raw/source=maxsold/'))).toBe(true);
    expect(filesUnder(dirs[dirs.length - 1]).some((f) => f.startsWith('tables/maxsold_items/'))).toBe(true);
  });

  it('runs the three modes in order, each complete, with numeric figures', () => {
    expect(report.modes.map((m) => m.mode)).toEqual(['naive', 'async', 'parallel']);
    for (const m of report.modes) {
      expect(m.complete).toBe(true);
      expect(m.requests).toBeGreaterThanOrEqual(60);
      for (const v of [m.wallSeconds, m.cpuSeconds, m.ioShare, m.requestsPerSecond, m.mbPerSecond, m.rowsPerSecond, m.itemRowsPerSecond, m.latencyMs.p50, m.latencyMs.p95, m.peakRssMb]) {
        expect(Number.isFinite(v)).toBe(true);
      }
      expect(m.coreBusy).toHaveLength(report.machine.cores);
      expect(m.cores.samples.length).toBeGreaterThan(0);
      expect(m.throttled429).toBe(0);
      expect(m.failures).toBe(0);
      // Every timed run came after an untimed pass in the same process, reported as its cold start.
      expect(m.coldStart?.auctions).toBe(20);
      expect(m.coldStart!.cpuMsPerAuction).toBeGreaterThan(0);
      expect(m.cpuMsPerAuction).toBeCloseTo((m.cpuSeconds / m.requests) * 1000, 0);
    }
  });

  it('gives every mode a speed-up over naive, naive itself 1×', () => {
    for (const m of report.modes) expect(typeof m.speedup).toBe('number');
    expect(report.modes[0].speedup).toBe(1);
  });

  it('settles concurrency and workers per mode', () => {
    expect(report.modes.map((m) => [m.concurrency, m.workers])).toEqual([[1, 0], [20, 0], [50, report.machine.cores]]);
  });

  it('measures the fetch stage alone: no rows, CPU per 1,000 fetches', () => {
    expect(report.fetchStage?.rowsPerSecond).toBe(0);
    expect(Number.isFinite(report.fetchStage?.cpuSecondsPer1000Fetches)).toBe(true);
    expect(report.warmup?.requests).toBeGreaterThanOrEqual(60);
  });

  it('measures the normaliser on one worker and on every core', () => {
    expect(report.scaling?.runs.map((r) => r.workers)).toEqual([...new Set([1, report.machine.cores])]);
    expect(report.scaling?.allAccepted).toBe(true);
    expect(report.scaling?.runs.every((r) => r.itemRows > 0 && Number.isFinite(r.itemRowsPerSecond))).toBe(true);
    expect(Number.isFinite(report.scaling?.efficiency)).toBe(true);
  });

  it('judges every target of the issue, marking those a --quick run can only indicate', () => {
    expect(report.targets).toHaveLength(6);
    expect(report.targets.filter((t) => t.met === null)).toEqual([]);
    expect(report.targets.map((t) => t.caveat)).toEqual([...Array(5).fill('--quick run'), undefined]);
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
    expect(JSON.parse(readFileSync(join(results, 'report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(readFileSync(join(results, 'report.md'), 'utf8')).toMatch(/## Targets[\s\S]*## Runs[\s\S]*## Normaliser scaling[\s\S]*## Where the CPU goes/);
  });

  it('with --profile, writes a .cpuprofile per timed run and says where the CPU went', () => {
    const profiles = filesUnder(results).filter((f) => f.endsWith('.cpuprofile'));
    expect(profiles).toEqual(expect.arrayContaining(['fetch-stage.main.cpuprofile', 'naive.main.cpuprofile', 'async.main.cpuprofile', 'parallel.main.cpuprofile']));
    expect(profiles.some((f) => /^parallel\.worker-\d+\.cpuprofile$/.test(f))).toBe(true);
    const parallel = report.profiles.find((p) => p.run === 'parallel');
    expect(parallel?.workers?.stages.map((s) => s.stage)).toContain('Parquet encode (parquet-wasm)');
    const profile = JSON.parse(readFileSync(join(results, 'naive.main.cpuprofile'), 'utf8'));
    expect(Object.keys(profile)).toEqual(expect.arrayContaining(['nodes', 'samples', 'timeDeltas']));
  });
});

describe('scraper bench --base-url', () => {
  it('sends the endpoint exactly the requests of the timed runs: no warm-up pass', async () => {
    const sim = await startSimulator({});
    const { dir, cleanup } = tempDir('bench-url-');
    try {
      const { report } = await runBench(benchOptions({ 'base-url': sim.url, auctions: '4', modes: 'naive,async', only: 'modes,fetch', out: dir }), () => {});
      expect(report.modes.map((m) => m.requests)).toEqual([4, 4]);
      expect(report.fetchStage?.requests).toBe(4);
      expect(sim.stats().requests).toBe(12);
    } finally {
      cleanup();
      await sim.close();
    }
  }, 60_000);
});

describe('scraper bench options', () => {
  it('--quick shrinks the run; explicit flags still win', () => {
    expect(benchOptions({ quick: true, auctions: '30' })).toMatchObject({ auctions: 30, latencyMs: 20, quick: true });
  });

  it.each([
    [{ modes: 'naive,turbo' }, /--modes: expected a comma-separated list of naive, async, parallel/],
    [{ only: 'everything' }, /--only: expected a comma-separated list of modes, fetch, scaling, micro/],
    [{ auctions: '0' }, /--auctions: expected a whole number from 1/],
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

  it('a bad flag exits 2 with one line naming it', async () => {
    const r = await runCli(['tune', '--levels', '1,lots']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--levels: expected comma-separated whole numbers/);
  });
});

describe('scraper tune recommends the knee', () => {
  const step = (concurrency: number, requestsPerSecond: number, throttled429 = 0): TuneStep => ({
    concurrency, requestsPerSecond, throttled429, requests: 100, wallSeconds: 1, cpuSeconds: 1, latencyMs: { p50: 1, p95: 1 }, failures: 0, complete: true,
  });

  it('picks the smallest C within 90% of the best clean req/s', () => {
    expect(recommend([step(1, 15), step(5, 70), step(10, 140), step(20, 190), step(50, 200)])?.concurrency).toBe(20);
  });

  it('ignores a step that was answered 429', () => {
    expect(recommend([step(1, 15), step(5, 70), step(10, 80, 3)])?.concurrency).toBe(5);
  });
});
