import { FIRST_ID } from '../../bench/options.js';
import { int, parse, rate, str, url, UsageError } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const TUNE_HELP = `Usage: scraper tune [options]

Finds a good concurrency: runs "scraper run" over the same auctions at each level C (in
increasing order, each a fresh process, timed as typed) against the simulator, started
for the sweep in its own process, or against --base-url. Stops raising C as soon as a
step sees a 429 or any failure. Charts req/s, p95 latency and 429s against C (SVG) and
recommends the knee: the smallest C without 429s or failures that reaches 90% of the
best such step's req/s. Every step also pays a fixed cost (start-up, writing): when
that is most of the best step's time and brings a lower C within 90%, the verdict says
so and how many --auctions would tell.

Options:
      --levels LIST        concurrency levels (default 1,5,10,20,50,100,200)
      --auctions N         auctions per step (default 200)
      --latency MS         simulator latency (default 50)
      --jitter MS          ± spread of the simulator latency (default 5)
      --sim-rate R         give the simulator a rate limit, e.g. 100/s, to see the sweep stop at
                           the first 429
      --workers N|auto     worker threads processing responses (default auto, as scraper run)
      --first-id N         first auction id (default 100000)
  -o, --out DIR            results directory (default bench-results; files go to DIR/tune-<timestamp>/)
      --base-url URL       sweep a real endpoint instead (levels above 8 dropped; please do this rarely)
  -h, --help               show this help`;

const OPTIONS = {
  levels: { type: 'string' },
  auctions: { type: 'string' },
  latency: { type: 'string' },
  jitter: { type: 'string' },
  'sim-rate': { type: 'string' },
  workers: { type: 'string' },
  'first-id': { type: 'string' },
  out: { type: 'string', short: 'o' },
  'base-url': { type: 'string' },
} as const;

export async function tuneCommand(args: string[]): Promise<number> {
  const p = parse(args, OPTIONS);
  if (p.values.help) return (void process.stdout.write(TUNE_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper tune --help');
  const v = p.values;
  const baseUrl = url('base-url', v['base-url']);
  if (baseUrl && v['sim-rate'] !== undefined)
    throw new UsageError('--sim-rate: only without --base-url (it limits the built-in simulator)');
  // Checked here so a typo fails before anything starts; the simulator parses the same form.
  if (v['sim-rate'] !== undefined) rate('sim-rate', v['sim-rate']);
  const [{ runTune, DEFAULT_LEVELS }, { renderTuneText }] = await Promise.all([
    import('../../bench/tune.js'),
    import('../../bench/tune-report.js'),
  ]);
  const { report, dir } = await runTune(
    {
      levels: levels(v.levels, DEFAULT_LEVELS),
      auctions: int('auctions', v.auctions, 200, 1, 1_000_000),
      latencyMs: int('latency', v.latency, 50, 0, 60_000),
      jitterMs: int('jitter', v.jitter, 5, 0, 60_000),
      simRate: v['sim-rate'] === undefined ? undefined : String(v['sim-rate']),
      baseUrl,
      workers: v.workers === undefined || v.workers === 'auto' ? undefined : int('workers', v.workers, 0, 0, 256),
      firstId: int('first-id', v['first-id'], FIRST_ID, 1, 99_999_999),
      out: str('out', v.out, 'bench-results'),
    },
    (line) => process.stderr.write(line + '\n'),
  );
  process.stdout.write(
    `\n${renderTuneText(report)}\n\nreport: ${dir}/report.md, ${dir}/report.json; charts: ${report.charts.join(', ')}\n`,
  );
  return 0;
}

function levels(value: string | boolean | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const parts = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 1000)) {
    throw new UsageError(`--levels: expected comma-separated whole numbers from 1 to 1000, like 1,5,10,20, got "${String(value)}"`);
  }
  return parts.map(Number);
}
