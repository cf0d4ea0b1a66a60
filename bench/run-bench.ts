import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fetchStageFigures, judgeTargets, runFigures, type BenchReport, type ModeFigures } from './bench-report.js';
import { benchCharts } from './bench-charts.js';
import type { Job } from './jobs.js';
import { machineBusy } from './cpu-sampler.js';
import { runJob, type JobRun, type RunJobOptions } from './job-runner.js';
import { runLayout } from './layout.js';
import { runMicro } from './micro.js';
import { benchDefaults, isLocalOrigin, MODES, POLITE_MAX_CONCURRENCY, timestampName, type BenchOptions, type ModeName } from './options.js';
import { summariseRuns } from './profile-runs.js';
import { renderBenchMarkdown } from './bench-markdown.js';
import { startSimulatorProcess } from './sim-process.js';

export interface BenchOutcome {
  report: BenchReport;
  /** The results directory: report.json, report.md, charts, profiles. */
  dir: string;
}

/**
 * Auctions each child runs untimed before its clock starts (at most the run's own, so by
 * default the same 500 once). Measured with --trace-opt: functions called once per
 * auction (the fetch loop, the store's put, undici's request) were first optimised by
 * TurboFan only after ~600 auctions, so with 200 the timed run paid V8's compilation on
 * its helper threads (~0.1–0.4 ms per auction) on top of the job.
 */
export const WARMUP_AUCTIONS = 1000;

/** Auctions the fetch stage fetches at least (against the simulator): the unit of its figure. */
export const FETCH_STAGE_AUCTIONS = 1000;

/**
 * The whole bench: a simulator in its own process (unless --base-url), one untimed
 * warm-up pass, then each selected section, every timed run in a fresh child
 * process with a fresh data directory; then charts and the reports.
 */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<BenchOutcome> {
  const started = Date.now();
  const dir = join(o.out, timestampName(started));
  await mkdir(dir, { recursive: true });
  const machine = {
    cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform} ${process.arch}`,
    memoryGb: Math.round(totalmem() / 1e9), loadAverage: Math.round(loadavg()[0] * 100) / 100, busyBefore: await machineBusy(),
  };
  if (machine.busyBefore > 0.1) log(`note: the machine was already ${Math.round(machine.busyBefore * 100)}% busy before the bench: timings will be pessimistic`);
  const notes: string[] = o.profile ? ['Profiled run: the profilers cost CPU time themselves, so its timings are a little pessimistic.'] : [];
  const c = politeConcurrency(o, notes, log);
  const needsServer = o.sections.includes('modes') || o.sections.includes('fetch');
  const sim = needsServer && !o.baseUrl ? await startSimulatorProcess({ latencyMs: o.latencyMs, jitterMs: o.jitterMs }) : undefined;
  const baseUrl = o.baseUrl ?? sim?.url ?? '';
  if (sim) log(`simulator (own process, pid ${sim.pid}) on ${sim.url}: ${o.latencyMs} ms ± ${o.jitterMs} ms latency, no rate limit, no faults`);
  const jobOptions: RunJobOptions = { sim, profileDir: o.profile ? dir : undefined };
  const runs: { name: string; run: JobRun }[] = [];
  const timed = async (name: string, job: Job): Promise<JobRun> => {
    const run = await runJob(name, job, jobOptions);
    runs.push({ name, run });
    return run;
  };
  // Data directories are removed at the end, not between runs: deleting thousands of files
  // makes the next run's file creation measurably slower on some file systems (ext4 without
  // a journal skips recently freed inodes, one lookup each), which would bill one run for
  // the clean-up of the one before.
  const dataDirs: string[] = [];
  const fresh = async () => {
    const d = await mkdtemp(join(tmpdir(), 'bench-data-'));
    dataDirs.push(d);
    return d;
  };
  const plan = { baseUrl, firstId: o.firstId, auctions: o.auctions };
  // The fetch stage's figure is CPU per 1,000 fetches: against the simulator it fetches at
  // least that many, so the figure is a measurement rather than a scaled-up 500.
  const fetchPlan = { ...plan, auctions: sim && !o.quick ? Math.max(o.auctions, FETCH_STAGE_AUCTIONS) : o.auctions };
  // Each timed run's process first runs this many of the auctions untimed (see job-child.ts, warmUp).
  // Never against a real endpoint: that would double the requests the user asked for.
  const warmupAuctions = !sim ? 0 : o.quick ? 20 : WARMUP_AUCTIONS;

  const report: BenchReport = {
    startedAt: new Date(started).toISOString(), finishedAt: '', totalSeconds: 0, machine,
    settings: settingsOf(o, c, baseUrl, sim !== undefined),
    warmup: null, modes: [], fetchStage: null, scaling: null, micro: null, layout: null, targets: [], charts: [], profiles: [], notes,
  };
  try {
    if (sim) {
      const cached = o.sections.includes('fetch') ? fetchPlan : plan;
      log(`warm-up: one untimed pass over the ${cached.auctions} auctions fills the simulator's body cache`);
      const out = await fresh();
      const w = await runJob('warmup', { kind: 'fetch-stage', ...cached, concurrency: o.parallelConcurrency, out }, { sim });
      report.warmup = { wallSeconds: w.output.report!.wallSeconds, requests: w.output.report!.requests };
    }
    if (o.sections.includes('fetch')) {
      log(`fetch stage only (request, validation, raw write; no rows), C=${c.async} …`);
      const run = await timed('fetch-stage', { kind: 'fetch-stage', ...fetchPlan, concurrency: c.async, out: await fresh(), warmupAuctions });
      report.fetchStage = fetchStageFigures(run, { concurrency: c.async, auctions: fetchPlan.auctions });
    }
    if (o.sections.includes('modes')) {
      for (const mode of o.modes) {
        const { concurrency, workers, sequential } = modeSettings(mode, o, c);
        log(`${mode}: C=${concurrency}, ${workers === 0 ? 'processing inline on the main thread' : `${workers} worker threads`}${sequential ? ', one auction at a time from request to stored files' : ''} …`);
        const run = await timed(mode, { kind: 'scrape', ...plan, concurrency, workers, sequential, out: await fresh(), warmupAuctions });
        report.modes.push({ ...runFigures(mode, run, { concurrency, workers, auctions: o.auctions }), mode, speedup: null, cores: run.cores });
      }
      addSpeedups(report.modes);
    }
  } finally {
    await sim?.stop();
    if (o.keepData) notes.push(`data directories kept (--keep-data): ${dataDirs.join(', ')} (and each one's .warmup)`);
    else await Promise.all(dataDirs.splice(0).flatMap((d) => [d, `${d}.warmup`]).map((d) => rm(d, { recursive: true, force: true })));
  }
  if (o.sections.includes('scaling')) {
    const counts = [...new Set([1, o.workers])];
    // Each worker count's fastest of five batches: other work on the machine only ever slows one down.
    const repeats = o.quick ? 1 : 5;
    log(`normaliser scaling: ${o.scalingBodies} gzipped auction bodies through the worker pool with ${counts.join(' and ')} worker(s), best of ${repeats} …`);
    const run = await timed('scaling', { kind: 'scaling', firstId: o.firstId, bodies: o.scalingBodies, workerCounts: counts, repeats });
    report.scaling = { ...run.output.scaling!, peakRssMb: Math.round(run.output.maxRssBytes / 1e6), cores: run.cores };
  }
  if (o.sections.includes('layout')) {
    const auctions = o.quick ? 40 : 300;
    log(`file layout: ${auctions} auctions as Parquet per raw object, per batch of 10, per day; DuckDB scans each …`);
    report.layout = await runLayout(auctions, 10);
  }
  if (o.sections.includes('micro')) {
    log('micro-benchmarks (tinybench, this process) …');
    report.micro = await runMicro({ quick: o.quick, log });
  }
  if (o.profile) report.profiles = await summariseRuns(runs.map(({ name, run }) => ({ name, files: run.profiles })));
  report.charts = await benchCharts(dir, report);
  const finished = Date.now();
  report.finishedAt = new Date(finished).toISOString();
  report.totalSeconds = Math.round((finished - started) / 100) / 10;
  report.targets = judgeTargets(report, o.quick ? 'quick' : isDefaultRun(o) ? 'defaults' : 'other');
  await writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(dir, 'report.md'), renderBenchMarkdown(report));
  return { report, dir };
}

/** Whether this run is the issue's "bench with defaults" (its duration is a target then). */
function isDefaultRun(o: BenchOptions): boolean {
  const d = benchDefaults();
  const same = (['auctions', 'latencyMs', 'concurrency', 'parallelConcurrency', 'workers', 'scalingBodies'] as const).every((k) => o[k] === d[k]);
  return same && !o.baseUrl && !o.profile && o.modes.length === MODES.length && o.sections.join() === d.sections.join();
}

/**
 * Naive is the plain loop of the article the project starts from: one auction from
 * request to stored files (its own table files), then the next. Async and parallel
 * overlap requests, processing and writes, and commit table files per batch.
 */
function modeSettings(mode: ModeName, o: BenchOptions, c: { async: number; parallel: number }): { concurrency: number; workers: number; sequential?: boolean } {
  if (mode === 'naive') return { concurrency: 1, workers: 0, sequential: true };
  if (mode === 'async') return { concurrency: c.async, workers: 0 };
  return { concurrency: c.parallel, workers: o.workers };
}

/** Against a real endpoint: a warning, and concurrency capped at the polite default. */
function politeConcurrency(o: BenchOptions, notes: string[], log: (line: string) => void): { async: number; parallel: number } {
  if (!o.baseUrl || isLocalOrigin(o.baseUrl)) return { async: o.concurrency, parallel: o.parallelConcurrency };
  const cap = (n: number) => Math.min(n, POLITE_MAX_CONCURRENCY);
  const note = `${o.baseUrl} is not this machine: every mode runs ${o.auctions} real requests; concurrency capped at ${POLITE_MAX_CONCURRENCY}. Please bench a public API rarely and with a contact in the User-Agent.`;
  log(`note: ${note}`);
  notes.push(note);
  return { async: cap(o.concurrency), parallel: cap(o.parallelConcurrency) };
}

function addSpeedups(modes: ModeFigures[]): void {
  const naive = modes.find((m) => m.mode === 'naive');
  for (const m of modes) m.speedup = naive && naive.requestsPerSecond > 0 ? Math.round((m.requestsPerSecond / naive.requestsPerSecond) * 10) / 10 : null;
}

function settingsOf(o: BenchOptions, c: { async: number; parallel: number }, baseUrl: string, simulated: boolean): BenchReport['settings'] {
  return {
    auctions: o.auctions,
    origin: simulated ? `simulator (own process), ${o.latencyMs} ms ± ${o.jitterMs} ms` : baseUrl,
    'async concurrency': c.async,
    'parallel concurrency': c.parallel,
    'parallel workers': o.workers,
    'scaling bodies': o.scalingBodies,
    sections: o.sections.join(', '),
    quick: o.quick,
    profiled: o.profile,
    'body cache': simulated ? 'warm (one untimed pass first)' : 'n/a',
    'data directories': o.keepData ? 'one fresh directory per run, kept (--keep-data)' : 'one fresh directory per run, all removed after the last run (not between runs)',
    'peak RSS': 'maxRSS of the child process that ran the job (its whole life)',
    'per-core utilisation': 'os.cpus() deltas every 200 ms, machine-wide (client, simulator and anything else running)',
  };
}
