import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { judgeTargets, type BenchReport } from './bench-report.js';
import { benchCharts } from './bench-charts.js';
import { renderBenchMarkdown } from './bench-markdown.js';
import { runCold } from './cold.js';
import { helpCpuSeconds } from './command-run.js';
import { machineBusy } from './cpu-sampler.js';
import { runCompact } from './compact.js';
import { runJob } from './job-runner.js';
import { runLambda } from './lambda.js';
import { runLayout } from './layout.js';
import { runMicro } from './micro.js';
import { benchDefaults, timestampName, type BenchOptions } from './options.js';
import { summariseRuns } from './profile-runs.js';
import { startSimulatorProcess } from './sim-process.js';

export interface BenchOutcome {
  report: BenchReport;
  /** The results directory: report.json, report.md, charts, profiles. */
  dir: string;
}

/**
 * The whole bench: the simulator in its own process with the bodies made before it
 * listens, then the cold runs (the real commands, each a fresh process), `--help`'s
 * start-up cost, and the warm scaling run; then charts and the reports.
 */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<BenchOutcome> {
  const started = Date.now();
  const dir = join(o.out, timestampName(started));
  await mkdir(dir, { recursive: true });
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGb: Math.round(totalmem() / 1e9),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    busyBefore: await machineBusy(),
  };
  if (machine.busyBefore > 0.1)
    log(`note: the machine was already ${Math.round(machine.busyBefore * 100)}% busy before the bench: timings will be pessimistic`);
  const notes: string[] = o.profile
    ? ['Profiled run: the profilers cost CPU time themselves, so its timings are a little pessimistic.']
    : [];
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    totalSeconds: 0,
    machine,
    settings: settingsOf(o),
    cold: [],
    helpCpuSeconds: null,
    scaling: null,
    lambda: null,
    micro: null,
    layout: null,
    compact: null,
    targets: [],
    charts: [],
    profiles: [],
    notes,
  };
  const dataDirs: string[] = [];
  if (o.sections.includes('cold')) {
    const most = Math.max(...o.auctions, o.naiveAuctions);
    log(
      `simulator (own process): ${o.latencyMs} ms ± ${o.jitterMs} ms, no rate limit, no faults; making the bodies of ${most} auctions first …`,
    );
    const sim = await startSimulatorProcess({
      latencyMs: o.latencyMs,
      jitterMs: o.jitterMs,
      pregenerate: { from: o.firstId, to: o.firstId + most - 1 },
    });
    try {
      report.cold = await runCold({
        baseUrl: sim.url,
        firstId: o.firstId,
        auctions: o.auctions,
        naiveAuctions: o.naiveAuctions,
        concurrency: o.concurrency,
        modes: o.modes,
        sim,
        profileDir: o.profile ? join(dir, 'profiles') : undefined,
        dataDirs,
        log,
      });
    } finally {
      await sim.stop();
      if (o.keepData) notes.push(`data directories kept (--keep-data): ${dataDirs.join(', ')}`);
      // Removed at the end, not between runs: deleting thousands of files slows the file creation of the next run on ext4.
      else await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
    }
    log('scraper --help, three times …');
    const helps = [await helpCpuSeconds(), await helpCpuSeconds(), await helpCpuSeconds()].sort((a, b) => a - b);
    report.helpCpuSeconds = helps[1]!;
  }
  if (o.sections.includes('scaling')) {
    const counts = [...new Set([1, o.workers])];
    // Each worker count's fastest of five batches: other work on the machine only ever slows one down.
    const repeats = o.quick ? 1 : 5;
    log(
      `warm: the processing pool on ${o.scalingBodies} pre-generated bodies with ${counts.join(' and ')} worker(s), best of ${repeats} …`,
    );
    const run = await runJob('scaling', { kind: 'scaling', firstId: o.firstId, bodies: o.scalingBodies, workerCounts: counts, repeats });
    report.scaling = { ...run.output.scaling, peakRssMb: Math.round(run.output.maxRssBytes / 1e6), cores: run.cores };
  }
  if (o.sections.includes('lambda'))
    report.lambda = await runLambda({ quick: o.quick, firstId: o.firstId, log, profileDir: o.profile ? join(dir, 'profiles') : undefined });
  if (o.sections.includes('layout')) {
    const auctions = o.quick ? 40 : 300;
    log(`file layout: ${auctions} auctions as Parquet per raw object, per batch of 10, per day; DuckDB scans each …`);
    report.layout = await runLayout(auctions, 10);
  }
  if (o.sections.includes('compact')) {
    log('compaction: scraper compact on partitions of auctions and of bid histories, each at a size and at four times it …');
    report.compact = await runCompact({ quick: o.quick, firstId: o.firstId, log });
  }
  if (o.sections.includes('micro')) {
    log('micro-benchmarks (tinybench, this process, warm) …');
    report.micro = await runMicro({ quick: o.quick, log });
  }
  if (o.profile) report.profiles = await summariseRuns(report.cold.map((f) => ({ name: `${f.mode} ${f.auctions}`, files: f.profiles })));
  report.charts = await benchCharts(dir, report);
  const finished = Date.now();
  report.finishedAt = new Date(finished).toISOString();
  report.totalSeconds = Math.round((finished - started) / 100) / 10;
  report.targets = judgeTargets(report, o.quick ? 'quick' : isDefaultRun(o) ? 'defaults' : 'other');
  await writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(dir, 'report.md'), renderBenchMarkdown(report));
  return { report, dir };
}

/** Whether this run has the defaults the targets are stated for. */
function isDefaultRun(o: BenchOptions): boolean {
  const d = benchDefaults();
  const same = (['naiveAuctions', 'latencyMs', 'jitterMs', 'concurrency', 'workers', 'scalingBodies'] as const).every((k) => o[k] === d[k]);
  return (
    same &&
    o.auctions.join() === d.auctions.join() &&
    !o.profile &&
    o.modes.join() === d.modes.join() &&
    o.sections.join() === d.sections.join()
  );
}

function settingsOf(o: BenchOptions): BenchReport['settings'] {
  return {
    auctions: o.auctions.join(', '),
    'naive auctions': o.naiveAuctions,
    origin: `simulator (own process, bodies made before it listens), ${o.latencyMs} ms ± ${o.jitterMs} ms`,
    concurrency: o.concurrency,
    'scaling workers': o.workers,
    'scaling bodies': o.scalingBodies,
    sections: o.sections.join(', '),
    quick: o.quick,
    profiled: o.profile,
    runs: 'each command in a fresh process and data directory, timed from spawn to exit; CPU = every thread since the process started',
    'data directories': o.keepData ? 'kept (--keep-data)' : 'all removed after the last run (not between runs)',
    'per-core load': 'os.cpus() deltas every 200 ms, machine-wide (client, simulator and anything else running)',
  };
}
