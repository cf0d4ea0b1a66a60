import { benchDefaults, MODES, QUICK, SECTIONS, type BenchOptions } from '../../bench/options.js';
import { int, parse, str, url, UsageError } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const BENCH_HELP = `Usage: scraper bench [options]

Measures each stage of the pipeline on this machine. Starts the API simulator in its
own process (unless --base-url), makes one untimed pass to warm its body cache, then
runs the same auctions, each run in a fresh child process and data directory that first
runs them once untimed (V8 compiles hot code meanwhile):
  fetch stage  request, validation, raw write only (no rows): client CPU per 1,000 fetches
               (at least 1,000 auctions against the simulator, unless --quick)
  naive        one request at a time, processed inline on the main thread
  async        C requests open at once, processed inline
  parallel     C requests open at once, processed on a worker-thread pool
and the normaliser's scaling (item rows/s on 1 worker vs all cores). Prints a table and
writes report.md, report.json and SVG charts into DIR/<timestamp>/.

Options:
      --auctions N                auctions per run (default 500; ids from --first-id)
      --latency MS                simulator latency (default 50)
      --jitter MS                 ± spread of the simulator latency (default 10)
      --concurrency C             C of the async mode and the fetch stage (default 20)
      --parallel-concurrency C    C of the parallel mode (default 50)
      --workers N                 worker threads of the parallel mode and the scaling run (default: one per core)
      --modes LIST                modes to run, of ${MODES.join(', ')} (default all)
      --only LIST                 sections to run, of ${SECTIONS.join(', ')} (default modes,fetch,scaling;
                                  micro = the micro-benchmarks, also "npm run bench:micro";
                                  layout = Parquet files per raw object vs per batch vs per day)
      --scaling-bodies N          gzipped auction bodies for the scaling run (default 400)
      --first-id N                first auction id (default 100000)
  -o, --out DIR                   results directory (default bench-results)
      --quick                     60 auctions at 20 ms latency, 60 scaling bodies: well under 30 s
      --profile                   also write a CPU profile of every timed run (.cpuprofile: open it in
                                  Chrome DevTools → Performance → Load profile, or in VS Code) and a
                                  summary of where the CPU went in report.md
      --keep-data                 keep each run's data directory (raw objects, table files) to look at;
                                  by default they are removed after the last run
      --base-url URL              bench a real endpoint instead of the simulator (no warm-up; concurrency
                                  capped at 8; please do this rarely)
  -h, --help                      show this help

Timings depend on everything else running on the machine; the report states the load average.`;

const OPTIONS = {
  auctions: { type: 'string' }, latency: { type: 'string' }, jitter: { type: 'string' }, concurrency: { type: 'string' },
  'parallel-concurrency': { type: 'string' }, workers: { type: 'string' }, modes: { type: 'string' }, only: { type: 'string' },
  'scaling-bodies': { type: 'string' }, 'first-id': { type: 'string' }, out: { type: 'string', short: 'o' }, quick: { type: 'boolean' },
  profile: { type: 'boolean' }, 'keep-data': { type: 'boolean' }, 'base-url': { type: 'string' },
} as const;

export async function benchCommand(args: string[]): Promise<number> {
  const p = parse(args, OPTIONS);
  if (p.values.help) return void process.stdout.write(BENCH_HELP + '\n'), 0;
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
    auctions: int('auctions', v.auctions, base.auctions, 1, 1_000_000),
    latencyMs: int('latency', v.latency, base.latencyMs, 0, 60_000),
    jitterMs: int('jitter', v.jitter, base.jitterMs, 0, 60_000),
    concurrency: int('concurrency', v.concurrency, base.concurrency, 1, 1000),
    parallelConcurrency: int('parallel-concurrency', v['parallel-concurrency'], base.parallelConcurrency, 1, 1000),
    workers: int('workers', v.workers, base.workers, 1, 256),
    modes: list('modes', v.modes, MODES, base.modes),
    sections: list('only', v.only, SECTIONS, base.sections),
    scalingBodies: int('scaling-bodies', v['scaling-bodies'], base.scalingBodies, 1, 100_000),
    firstId: int('first-id', v['first-id'], base.firstId, 1, 99_999_999),
    out: str('out', v.out, base.out),
    profile: Boolean(v.profile),
    keepData: Boolean(v['keep-data']),
    baseUrl: url('base-url', v['base-url']),
  };
}

/** `a,b` → checked, de-duplicated, in the order given. */
export function list<T extends string>(flag: string, value: string | boolean | undefined, choices: readonly T[], fallback: T[]): T[] {
  if (value === undefined) return fallback;
  const items = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.find((s) => !(choices as readonly string[]).includes(s));
  if (bad !== undefined || items.length === 0) throw new UsageError(`--${flag}: expected a comma-separated list of ${choices.join(', ')}, got "${String(value)}"`);
  return [...new Set(items as T[])];
}
