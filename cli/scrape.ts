import { availableParallelism } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFilesAtomically } from '../adapters/atomic-files.js';
import { lockDataDir } from '../adapters/data-dir-lock.js';
import { FsObjectStore } from '../adapters/fs-store.js';
import { AutoProcessor } from '../adapters/auto-processor.js';
import { PoolProcessor } from '../adapters/pool-processor.js';
import { InlineProcessor } from '../adapters/inline-processor.js';
import { loadTableEncoder } from '../adapters/table-encoder.js';
import { NO_ANSWER_REASONS, UndiciHttpClient } from '../adapters/undici-http.js';
import { systemClock } from '../core/clock.js';
import { hostRegistry } from '../core/hosts.js';
import { FatalError } from '../core/errors.js';
import { runPipeline } from '../core/pipeline.js';
import { RetryBudget, DEFAULT_RETRY_BUDGET } from '../core/retry-budget.js';
import type { HttpClient, Processor } from '../core/ports.js';
import { buildReport, failureKinds, renderReportMarkdown, type RunReport } from '../core/report.js';
import { DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../core/response-limits.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../core/retry-policy.js';
import { RunStats } from '../core/run-stats.js';
import { originsFrom, REAL_ORIGINS } from '../core/sources/requests.js';
import { RAW_PREFIX } from '../core/raw-key.js';
import type { WorkItem } from '../core/work-item.js';
import { formatSize, UsageError } from './args.js';
import { processFigures } from './process-figures.js';
import { Progress } from './progress.js';

/** Ceiling of adaptive concurrency per host (`--max-concurrency`). */
export const DEFAULT_MAX_CONCURRENCY = 64;

export interface ScrapeOptions {
  command: string;
  plan: Iterable<WorkItem> | AsyncIterable<WorkItem>;
  /** Items the plan will yield, when known (for the progress bar). */
  expected?: number;
  /** The plan yields on a clock (polls): the polls a stopped run never reached are not work left undone. */
  timed?: boolean;
  /** A poll with no end (no --for): Ctrl-C is how it stops, and with nothing in flight the run is complete. */
  endless?: boolean;
  out: string;
  baseUrl?: string;
  /** Requests open at once per host, or 'auto': found by the pace controller, up to maxConcurrency. */
  concurrency: number | 'auto';
  /** @default DEFAULT_MAX_CONCURRENCY */
  maxConcurrency?: number;
  ratePerSecond?: number;
  /** Worker threads for processing; 0 = inline on the main thread; 'auto' = measured (see AutoProcessor). */
  workers: number | 'auto';
  /** Keep raw responses only (validated), no table files: `scraper reprocess` builds them later. @default false */
  rawOnly?: boolean;
  /** Items worked on at once (fetching, processing or writing). @default twice the concurrency, plus two per worker */
  lanes?: number;
  skipExisting: boolean;
  withBids: boolean;
  userAgent?: string;
  policy?: Partial<RetryPolicy>;
  /** Absolute cap on retries in the run (`--max-retries`); a dead server stops the run earlier anyway. */
  maxRetries?: number;
  /** Stop when no item has settled for this long. @default DEFAULT_RETRY_BUDGET.giveUpAfterMs (10 min) */
  giveUpAfterMs?: number;
  /** Deadline and size limits of one response. @default DEFAULT_RESPONSE_LIMITS */
  limits?: Partial<ResponseLimits>;
  signal?: AbortSignal;
  quiet?: boolean;
  /** Write report.json and report.md into the data directory. @default true */
  writeReport?: boolean;
}

/**
 * The local composition root: undici, files, worker threads around the core pipeline.
 * Resolves with the report even when the run stopped early (interrupt, disk full,
 * retry budget): `report.complete` and `report.stopReason` say so.
 */
export async function scrape(o: ScrapeOptions): Promise<RunReport> {
  await checkOneServer(o.out, o.baseUrl);
  const store = new FsObjectStore(o.out);
  await store.checkWritable();
  const unlock = lockDataDir(o.out, o.command, (gone) => {
    // Said, since what follows (items skipped as stored) is this run resuming the other's work.
    if (!o.quiet)
      process.stderr.write(
        `note: ${o.out} was locked by a run that is gone${gone === 'unreadable' ? '' : ` (pid ${gone.pid}, "${gone.command}", since ${gone.since})`}: it stopped without finishing; this run goes on from what it stored\n`,
      );
  });
  try {
    return await scrapeLocked(o, store);
  } finally {
    unlock();
  }
}

/** How a report names the real APIs as its server (`settings.origin`). */
const REAL_APIS = 'real APIs';

/** Names the server a data directory's objects came from, written by the first run that stored one. */
const SERVER_FILE = 'server.json';

/**
 * A data directory holds one server's data: a run from another server than the one its objects
 * came from (the simulator's, then the real APIs, say) is refused before any request, naming both.
 * A directory from before server.json existed is named by the origin of its first stored object
 * (and the file written).
 */
export async function checkOneServer(out: string, baseUrl: string | undefined): Promise<void> {
  const origin = baseUrl ?? REAL_APIS;
  let earlier: unknown;
  try {
    earlier = (JSON.parse(readFileSync(join(out, SERVER_FILE), 'utf8')) as { origin?: unknown }).origin;
  } catch {
    const stored = await originOfStoredObjects(out);
    if (stored === undefined) return; // nothing stored yet
    writeServerFile(out, stored);
    earlier = stored;
  }
  const same = (a: string, b: string) => a === b || (URL.canParse(a) && URL.canParse(b) && new URL(a).origin === new URL(b).origin);
  if (typeof earlier === 'string' && !same(earlier, origin)) throw new ServerMismatch(out, earlier, origin);
}

/** A run refused: the data directory holds another server's data. */
export class ServerMismatch extends UsageError {
  constructor(
    readonly out: string,
    readonly earlier: string,
    readonly origin: string,
  ) {
    super(
      `--out: ${out} holds data from ${earlier} and this run fetches from ${origin}: one data directory holds one server's data; point --base-url at ${earlier}, or give another --out`,
    );
  }
}

/** Where the first committed raw object in `out` was fetched from (`REAL_APIS` for the real hosts), if any. */
async function originOfStoredObjects(out: string): Promise<string | undefined> {
  if (!existsSync(join(out, RAW_PREFIX))) return undefined;
  const store = new FsObjectStore(out);
  try {
    for await (const key of store.list(RAW_PREFIX)) {
      const url = (await store.head(key))?.url;
      if (url === undefined || !URL.canParse(url)) continue; // never committed
      const origin = new URL(url).origin;
      return origin === REAL_ORIGINS.maxsold || origin === REAL_ORIGINS.via ? REAL_APIS : origin;
    }
    return undefined;
  } finally {
    await store.close();
  }
}

async function scrapeLocked(o: ScrapeOptions, store: FsObjectStore): Promise<RunReport> {
  const origins = originsFrom(o.baseUrl);
  const adaptive = o.concurrency === 'auto';
  const ceiling = adaptive ? (o.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY) : (o.concurrency as number);
  const limits: ResponseLimits = { ...DEFAULT_RESPONSE_LIMITS, ...o.limits };
  const undici = new UndiciHttpClient({
    connections: ceiling,
    userAgent: o.userAgent,
    deadlineMs: limits.deadlineMs,
    maxBodyBytes: limits.maxBodyBytes,
  });
  let firstRequestMs: number | undefined;
  const http: HttpClient = {
    get: (url, options) => {
      // performance.now() counts from the process start.
      firstRequestMs ??= performance.now();
      return undici.get(url, options);
    },
    close: () => undici.close(),
  };
  const config = { origins, normalise: !o.rawOnly, maxInflatedBytes: limits.maxInflatedBytes };
  const workers = o.workers === 'auto' ? availableParallelism() : o.workers;
  const processor: Processor =
    o.workers === 'auto'
      ? new AutoProcessor(config, {
          workers,
          out: o.out,
          store,
          loadEncoder: loadTableEncoder,
          // With bid histories the plan grows as auctions arrive (one request per item with bids): measure instead.
          expected: o.withBids ? undefined : o.expected,
        })
      : o.workers > 0
        ? new PoolProcessor({ config, out: o.out }, o.workers)
        : new InlineProcessor(config, store, loadTableEncoder);
  const hosts = hostRegistry({ adaptive, maxConcurrency: ceiling, maxRatePerSecond: o.ratePerSecond }, systemClock);
  const stats = new RunStats();
  const progress = new Progress(stats, { expected: o.expected, quiet: o.quiet });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  progress.start();
  loop.enable();
  try {
    await runPipeline(
      o.plan,
      {
        http,
        hostFor: hosts.hostFor,
        processor,
        stats,
        origins,
        store,
        policy: { ...DEFAULT_RETRY_POLICY, ...o.policy },
        clock: systemClock,
        random: Math.random,
        signal: o.signal,
        budget: new RetryBudget({
          ...DEFAULT_RETRY_BUDGET,
          max: o.maxRetries,
          giveUpAfterMs: o.giveUpAfterMs ?? DEFAULT_RETRY_BUDGET.giveUpAfterMs,
        }),
      },
      // Twice the concurrency in items, so C requests stay open while as many again are processed.
      { lanes: o.lanes ?? 2 * ceiling + 2 * Math.max(1, workers), skipExisting: o.skipExisting, withBids: o.withBids },
    );
  } catch (e) {
    // The pipeline has recorded why it stopped; the report below says it.
    if (!(e instanceof FatalError)) throw e;
  } finally {
    loop.disable();
    progress.stop();
    await Promise.all([http.close(), processor.close(), store.close()]);
  }
  // Ctrl-C is how a poll without --for ends: with every poll it took stored, nothing is left undone.
  const interrupted = o.signal?.aborted && stats.stopReason === (o.signal.reason as Error | undefined)?.message;
  if (o.endless && interrupted && stats.totalPlanned() === stats.totalFinished()) stats.stopReason = undefined;
  const cpu = process.cpuUsage(cpu0);
  const report = buildReport(stats, {
    command: o.command,
    startedAt,
    finishedAt: Date.now(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    process: processFigures(firstRequestMs),
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    cores: availableParallelism(),
    expected: o.timed ? undefined : o.expected,
    // Items of the plan that were started (bid histories found on the way are follow-ups, not the plan's).
    taken: o.withBids ? stats.totalPlanned() - stats.planned.bids : stats.totalPlanned(),
    settings: {
      out: o.out,
      origin: o.baseUrl ?? REAL_APIS,
      concurrency: adaptive
        ? `auto (1–${ceiling}; ended at ${
            hosts
              .hosts()
              .map((h) => h.pace.concurrency)
              .join(', ') || '-'
          })`
        : ceiling,
      rate: o.ratePerSecond ? `${o.ratePerSecond}/s` : 'unlimited',
      'rate in force at the end (--rate, or learned from 429s)':
        hosts
          .hosts()
          .map((h) => (h.pace.ratePerSecond === undefined ? 'none' : `${h.pace.ratePerSecond.toFixed(1)}/s`))
          .join(', ') || 'none',
      processing: processor.description,
      'deadline per request': `${limits.deadlineMs / 1000} s`,
      'body size limit (as sent / inflated)': `${formatSize(limits.maxBodyBytes)} / ${formatSize(limits.maxInflatedBytes)}`,
      'give up after, without progress': `${(o.giveUpAfterMs ?? DEFAULT_RETRY_BUDGET.giveUpAfterMs) / 1000} s`,
      tables: o.rawOnly ? 'none (--raw-only)' : 'one Parquet file per table per raw object',
      'skip existing': o.skipExisting,
      'with bids': o.withBids,
    },
  });
  neverAnswered(report, o.baseUrl ?? REAL_APIS);
  if (o.writeReport ?? true) await writeReports(o.out, report);
  const stored = report.outcomes.fetched + report.outcomes.empty + report.outcomes.unchanged + report.outcomes.skipped;
  if (stored > 0 && !existsSync(join(o.out, SERVER_FILE))) writeServerFile(o.out, o.baseUrl ?? REAL_APIS);
  return report;
}

/**
 * A run whose every request went unanswered (a server down, a wrong --base-url) ends with
 * each item quarantined, which is an outcome for each: but the run did not do its job, and
 * a script running it must hear so. It is marked incomplete (exit 1), the reasons named.
 */
function neverAnswered(report: RunReport, origin: string): void {
  const o = report.outcomes;
  const answered = o.fetched + o.unchanged + o.empty + o.missing + o.redirected;
  const reasons = Object.keys(report.failureReasons);
  if (report.requests === 0 || answered > 0 || reasons.length === 0 || !reasons.every((r) => NO_ANSWER_REASONS.has(r))) return;
  report.complete = false;
  report.stopReason ??= `no request to ${origin} was answered (${failureKinds(report.failureReasons)
    .map(([r, n]) => `${r} × ${n}`)
    .join(', ')}): is it up, and is the address right?`;
}

/** A small file of the data directory, written whole or not at all (a kill or a full disk mid-write leaves the old one). */
function writeWhole(path: string, text: string): void {
  writeFilesAtomically([{ path, tmp: join(dirname(path), `.${basename(path)}.${process.pid}.tmp`), body: Buffer.from(text) }]);
}

function writeServerFile(out: string, origin: string): void {
  try {
    writeWhole(join(out, SERVER_FILE), JSON.stringify({ origin }) + '\n');
  } catch {
    // Only a convenience: each stored object names its server as well.
  }
}

/** report.json and report.md in the data directory: the last run, as `scraper status` shows it. */
export async function writeReports(out: string, report: RunReport): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
    writeWhole(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeWhole(join(out, 'report.md'), renderReportMarkdown(report));
  } catch (e) {
    // With the disk full the report may not fit either: it is still printed.
    process.stderr.write(`could not write the report files: ${(e as Error).message}\n`);
  }
}
