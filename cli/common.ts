import { renderReportText, type RunReport } from '../core/report.js';
import { DEFAULT_RESPONSE_LIMITS, KEPT_BYTES, type ResponseLimits } from '../core/response-limits.js';
import { DEFAULT_RETRY_BUDGET } from '../core/retry-budget.js';
import { duration, formatSize, int, rate, size, str, url, UsageError, type Options, type Parsed } from './args.js';
import { DEFAULT_MAX_CONCURRENCY } from './scrape.js';

/** Flags every scraping command shares. */
export const SCRAPE_OPTIONS: Options = {
  out: { type: 'string', short: 'o' },
  'base-url': { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  'max-concurrency': { type: 'string' },
  rate: { type: 'string' },
  workers: { type: 'string' },
  refetch: { type: 'boolean' },
  'raw-only': { type: 'boolean' },
  'max-retries': { type: 'string' },
  'give-up-after': { type: 'string' },
  deadline: { type: 'string' },
  'max-body': { type: 'string' },
  'max-inflated': { type: 'string' },
  'user-agent': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
};

export const SCRAPE_HELP = `  -o, --out DIR          data directory: DIR/raw, DIR/tables, DIR/quarantine (default ./data)
      --base-url URL     replace the APIs' origin, e.g. http://127.0.0.1:8080 (paths stay the real ones)
  -c, --concurrency N|auto
                         requests open at once per host; auto (the default) starts at 2 and finds the
                         host's pace: slow start, then +1 per round trip, halved on 429/503/timeouts
      --max-concurrency N  ceiling for auto (default ${DEFAULT_MAX_CONCURRENCY})
      --rate R           most requests started per second per host, e.g. 10/s or 600/min (default
                         unlimited; after a 429 the pace is also learned from what the server accepts)
      --workers N|auto   worker threads that parse, validate and write the files; 0 = on the main thread;
                         auto (the default): a pool of one thread per core, measured over the first 30
                         responses and let go for the main thread when processing takes under 5% of a
                         core (one core, or fewer than 30 items planned: main thread)
      --refetch          fetch again items already stored today, conditionally (If-None-Match /
                         If-Modified-Since); default: skip them, so a rerun resumes
      --raw-only         keep the raw responses (validated) and write no tables; build them later
                         with "scraper reprocess"
      --max-retries N    stop the run after N retries (default: once more than 100 retries are also
                         over half of all requests)
      --give-up-after DURATION
                         stop the run when no item has settled for this long while the server only
                         throttles or fails (default ${DEFAULT_RETRY_BUDGET.giveUpAfterMs / 60_000}m)
      --deadline DURATION  longest one request may take in all: headers, body, redirects, 1xx answers
                         (default ${DEFAULT_RESPONSE_LIMITS.deadlineMs / 1000}s; past it the attempt fails and is retried)
      --max-body SIZE    most bytes read from one response as sent (default ${formatSize(DEFAULT_RESPONSE_LIMITS.maxBodyBytes)}); a larger
                         body is quarantined as too_large, its first ${formatSize(KEPT_BYTES)} kept
      --max-inflated SIZE  most bytes one body may inflate to (default ${formatSize(DEFAULT_RESPONSE_LIMITS.maxInflatedBytes)}, or --max-body
                           when larger); past it: too_large
      --user-agent UA    User-Agent to send; put your contact in it when scraping the real APIs
  -q, --quiet            no progress output`;

/** The scraping flags and their help without those a command has no use for. */
export function scrapeOptions(without: readonly string[]): { options: Options; help: string } {
  const options = Object.fromEntries(Object.entries(SCRAPE_OPTIONS).filter(([name]) => !without.includes(name)));
  // An entry is its flag's line and the more deeply indented lines after it.
  const entries = SCRAPE_HELP.split(/\n(?= {2}(?:-\w, | {4})--)/);
  const flagOf = (entry: string) => /--([\w-]+)/.exec(entry)?.[1];
  return { options, help: entries.filter((e) => !without.includes(flagOf(e) ?? '')).join('\n') };
}

export interface ScrapeFlags {
  out: string;
  baseUrl?: string;
  concurrency: number | 'auto';
  maxConcurrency: number;
  ratePerSecond?: number;
  workers: number | 'auto';
  rawOnly: boolean;
  skipExisting: boolean;
  maxRetries?: number;
  giveUpAfterMs: number;
  limits: ResponseLimits;
  userAgent?: string;
  quiet: boolean;
}

export function scrapeFlags(p: Parsed): ScrapeFlags {
  const v = p.values;
  const workers = workersFlag(v.workers);
  return {
    out: str('out', v.out, './data'),
    baseUrl: url('base-url', v['base-url']),
    concurrency: concurrencyFlag(v.concurrency),
    maxConcurrency: int('max-concurrency', v['max-concurrency'], DEFAULT_MAX_CONCURRENCY, 1, 1000),
    ratePerSecond: rate('rate', v.rate),
    workers,
    rawOnly: Boolean(v['raw-only']),
    skipExisting: !v.refetch,
    maxRetries: v['max-retries'] === undefined ? undefined : int('max-retries', v['max-retries'], 0, 0, 100_000_000),
    giveUpAfterMs: duration('give-up-after', v['give-up-after']) ?? DEFAULT_RETRY_BUDGET.giveUpAfterMs,
    limits: limitFlags(v),
    userAgent: v['user-agent'] === undefined ? undefined : str('user-agent', v['user-agent'], ''),
    quiet: Boolean(v.quiet),
  };
}

function limitFlags(v: Parsed['values']): ResponseLimits {
  const d = DEFAULT_RESPONSE_LIMITS;
  const maxBodyBytes = size('max-body', v['max-body'], d.maxBodyBytes, 1024, MAX_BUFFER);
  const maxInflatedBytes = size('max-inflated', v['max-inflated'], Math.max(d.maxInflatedBytes, maxBodyBytes), 1024, MAX_BUFFER);
  if (maxInflatedBytes < maxBodyBytes)
    throw new UsageError(`--max-inflated: expected at least --max-body (${formatSize(maxBodyBytes)}), got "${String(v['max-inflated'])}"`);
  return { deadlineMs: duration('deadline', v.deadline) ?? d.deadlineMs, maxBodyBytes, maxInflatedBytes };
}

/** Past 512 MiB one body could not become one string to parse (V8's longest string is just under 2^29 characters). */
const MAX_BUFFER = 512 * 1024 * 1024;

export function workersFlag(value: string | boolean | undefined): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) > 256)
    throw new UsageError(`--workers: expected auto or a whole number from 0 to 256, got "${String(value)}"`);
  return Number(value);
}

export function concurrencyFlag(value: string | boolean | undefined): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new UsageError(`--concurrency: expected auto or a whole number from 1 to 1000, got "${String(value)}"`);
  }
  return Number(value);
}

/**
 * SIGINT/SIGTERM: stop taking new work and abandon requests in flight, so the run
 * ends with a report; a second signal exits at once. `dispose` aborts the signal too, so what
 * still listens to it (a plan waiting for its next poll) lets go of its timers when the run is over.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${name}: stopping; finishing the report (again to quit now)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!controller.signal.aborted) controller.abort(new Error('the run is over'));
    },
  };
}

export function printReport(report: RunReport, out: string): void {
  process.stdout.write(`\n${renderReportText(report)}\n\n  report: ${out}/report.json, ${out}/report.md\n`);
  if (report.stopReason) process.stderr.write(`scraper: stopped early: ${report.stopReason}\n`);
}

export function requireNoPositionals(p: Parsed, usage: string): void {
  if (p.positionals.length > 0) throw new UsageError(`unexpected argument "${p.positionals[0]}"; ${usage}`);
}
