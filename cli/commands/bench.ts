import { COLD_MODES } from '../../bench/cold.js';
import { benchDefaults, QUICK, SECTIONS, type BenchOptions } from '../../bench/options.js';
import { int, parse, str, UsageError } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const BENCH_HELP = `Usage: scraper bench [options]

Measures the pipeline on this machine as a user gets it. Starts the API simulator in its
own process (the auctions' bodies made before it listens, so it costs little CPU), then
runs each command cold, in a fresh process and data directory, timed from spawn to exit:
  baseline   a bare undici loop at the same concurrency (fetch, gunzip, JSON.parse, write
             the body; nothing else): the practical limit of this machine
  fetch      scraper run --raw-only --workers 0 (the fetch Lambda's work: validated raw only)
  async      scraper run --workers 0 (raw + Parquet on the main thread)
  parallel   scraper run (the defaults: a worker pool of one thread per core)
  naive      scraper run --concurrency 1 --workers 0 (one auction at a time, the plain loop)
for 500 and 3,000 auctions (the naive loop: 100), each read as a fraction of the baseline;
then scraper --help's start-up cost, the processing pool warm on pre-generated bodies
(labelled steady state: not what a run gets), and the Lambda handlers as bundled.
Prints tables and the targets, and writes report.md, report.json and SVG charts into
DIR/<timestamp>/.

Options:
      --auctions LIST             auction counts of the cold runs (default 500,3000; ids from --first-id)
      --naive-auctions N          auctions of the naive loop (default 100)
      --latency MS                simulator latency (default 50)
      --jitter MS                 ± spread of the simulator latency (default 5)
      --concurrency C             requests open at once, every run but the naive loop (default 50)
      --modes LIST                cold runs to make, of ${COLD_MODES.join(', ')} (default all)
      --workers N                 worker threads of the warm scaling run (default: one per core)
      --only LIST                 sections to run, of ${SECTIONS.join(', ')}
                                  (default cold,scaling,lambda; lambda = the fetch and normalise handlers'
                                  esbuild bundles, each in a fresh process on a local S3/SQS emulator: cold
                                  start, first and warm invocations;
                                  micro = micro-benchmarks of each step, also "npm run bench:micro";
                                  layout = Parquet files per raw object vs per batch vs per day;
                                  compact = scraper compact on partitions of two shapes at two sizes)
      --scaling-bodies N          gzipped auction bodies for the scaling run (default 400)
      --first-id N                first auction id (default 100000)
  -o, --out DIR                   results directory (default bench-results)
      --quick                     60 auctions at 20 ms latency, 10 naive, 60 scaling bodies: well under 30 s
      --profile                   also write a CPU profile of every thread of every cold run (.cpuprofile:
                                  open it in Chrome DevTools → Performance → Load profile, or in VS Code)
                                  and a summary of where the CPU went in report.md
      --keep-data                 keep each run's data directory (raw objects, table files) to look at;
                                  by default they are removed after the last run
  -h, --help                      show this help

Everything stays on 127.0.0.1 ("scraper tune --base-url" sweeps a real endpoint, politely).
Timings depend on everything else running on the machine; the report states the load
average and the CPU other processes used during each run.`;

const OPTIONS = {
  auctions: { type: 'string' },
  'naive-auctions': { type: 'string' },
  latency: { type: 'string' },
  jitter: { type: 'string' },
  concurrency: { type: 'string' },
  modes: { type: 'string' },
  workers: { type: 'string' },
  only: { type: 'string' },
  'scaling-bodies': { type: 'string' },
  'first-id': { type: 'string' },
  out: { type: 'string', short: 'o' },
  quick: { type: 'boolean' },
  profile: { type: 'boolean' },
  'keep-data': { type: 'boolean' },
} as const;

export async function benchCommand(args: string[]): Promise<number> {
  const p = parse(args, OPTIONS);
  if (p.values.help) return (void process.stdout.write(BENCH_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper bench --help');
  const options = benchOptions(p.values);
  // Loaded here: vega, tinybench and the bench code stay out of every other command.
  const [{ runBench }, { printBench }] = await Promise.all([import('../../bench/run-bench.js'), import('../../bench/bench-print.js')]);
  const { report, dir } = await runBench(options, (line) => process.stderr.write(line + '\n'));
  printBench(report, dir);
  return 0;
}

export function benchOptions(v: Record<string, string | boolean | undefined>): BenchOptions {
  const base = { ...benchDefaults(), ...(v.quick ? QUICK : {}) };
  return {
    ...base,
    auctions: v.auctions === undefined ? base.auctions : counts('auctions', v.auctions),
    naiveAuctions: int('naive-auctions', v['naive-auctions'], base.naiveAuctions, 1, 100_000),
    latencyMs: int('latency', v.latency, base.latencyMs, 0, 60_000),
    jitterMs: int('jitter', v.jitter, base.jitterMs, 0, 60_000),
    concurrency: int('concurrency', v.concurrency, base.concurrency, 1, 1000),
    modes: list('modes', v.modes, COLD_MODES, base.modes),
    workers: int('workers', v.workers, base.workers, 1, 256),
    sections: list('only', v.only, SECTIONS, base.sections),
    scalingBodies: int('scaling-bodies', v['scaling-bodies'], base.scalingBodies, 1, 100_000),
    firstId: int('first-id', v['first-id'], base.firstId, 1, 99_999_999),
    out: str('out', v.out, base.out),
    profile: Boolean(v.profile),
    keepData: Boolean(v['keep-data']),
  };
}

/** `500,3000` → auction counts, each from 1 to 100,000. */
function counts(flag: string, value: string | boolean): number[] {
  const parts = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 100_000)) {
    throw new UsageError(`--${flag}: expected comma-separated whole numbers from 1 to 100000, like 500,3000, got "${String(value)}"`);
  }
  return [...new Set(parts.map(Number))];
}

/** `a,b` → checked, de-duplicated, in the order given. */
export function list<T extends string>(flag: string, value: string | boolean | undefined, choices: readonly T[], fallback: T[]): T[] {
  if (value === undefined) return fallback;
  const items = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.find((s) => !(choices as readonly string[]).includes(s));
  if (bad !== undefined || items.length === 0)
    throw new UsageError(`--${flag}: expected a comma-separated list of ${choices.join(', ')}, got "${String(value)}"`);
  return [...new Set(items as T[])];
}
