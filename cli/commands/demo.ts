import { TableQuery } from '../../adapters/duckdb-query.js';
import { systemClock } from '../../core/clock.js';
import { mergePlans, planAuctions, planViaPolls } from '../../core/planner.js';
import { utcDate } from '../../core/work-item.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { int, parse, str, UsageError } from '../args.js';
import { concurrencyFlag, interruptSignal, printReport, requireNoPositionals, workersFlag } from '../common.js';
import { checkOneServer, scrape, ServerMismatch } from '../scrape.js';
import { formatResult } from './query.js';

/** The simulator's usual port: the same server each time, so a demo run again refreshes the first one's data directory. */
const DEMO_PORT = 20817;

export const DEMO_HELP = `Usage: scraper demo [--out DIR] [--auctions N] [--with-bids] [--port N]

Runs the whole pipeline offline: starts the built-in simulator of both APIs on
127.0.0.1 (with latency, a rate limit and a few injected faults), scrapes N MaxSold
auctions and three VIA Rail snapshots into DIR, prints the run report and
two DuckDB queries over the Parquet tables it wrote.

Options:
  -o, --out DIR          data directory (default ./demo-data: simulated data kept apart from ./data)
      --auctions N       auctions to scrape (default 300)
      --with-bids        also fetch bid histories (one request per item with bids: ~120 per auction here)
      --port N           the simulator's port on 127.0.0.1 (default ${DEMO_PORT}, or any free port when that
                         one is taken; 0 = any free port; a data directory holds one server's data,
                         so a demo run again on another port needs another --out)
  -c, --concurrency N|auto
                         requests open at once per host (default auto)
      --workers N|auto   worker threads (default auto, as scraper run)
  -q, --quiet            no progress output
  -h, --help             show this help`;

const FIRST_ID = 100000;

export async function demoCommand(args: string[]): Promise<number> {
  const p = parse(args, {
    out: { type: 'string', short: 'o' },
    auctions: { type: 'string' },
    'with-bids': { type: 'boolean' },
    concurrency: { type: 'string', short: 'c' },
    workers: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    port: { type: 'string' },
  });
  if (p.values.help) return (void process.stdout.write(DEMO_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper demo --help');
  const out = str('out', p.values.out, './demo-data');
  const auctions = int('auctions', p.values.auctions, 300, 1, 1_000_000);
  const concurrency = concurrencyFlag(p.values.concurrency);
  const workers = workersFlag(p.values.workers);
  const port = p.values.port === undefined ? undefined : int('port', p.values.port, 0, 0, 65_535);

  // A realistic server: some latency, a rate limit that answers 429, and the faults the real APIs show.
  const sim = await startDemoSimulator(port);
  try {
    await checkOneServer(out, sim.url);
  } catch (e) {
    await sim.close();
    if (!(e instanceof ServerMismatch)) throw e;
    // The demo has no --base-url to point elsewhere: say what a demo user can do.
    const taken = sim.port !== DEMO_PORT && port === undefined ? `, and another program has port ${DEMO_PORT} now` : '';
    throw new UsageError(
      `--out: ${out} holds data from ${e.earlier} and the demo's simulator is on ${e.origin}${taken}: one data directory holds one server's data; ${URL.canParse(e.earlier) ? `run the demo with --port ${new URL(e.earlier).port} (once it is free), or ` : ''}give another --out`,
    );
  }
  process.stdout.write(
    `simulator of both APIs on ${sim.url}\nscraping ${auctions} MaxSold auctions (ids ${FIRST_ID}–${FIRST_ID + auctions - 1}) and 3 VIA Rail snapshots into ${out}\n\n`,
  );
  const { signal, dispose } = interruptSignal();
  try {
    const report = await scrape({
      command: 'demo',
      plan: mergePlans(
        planAuctions([{ from: FIRST_ID, to: FIRST_ID + auctions - 1 }], utcDate(Date.now())),
        planViaPolls(systemClock, { everyMs: 2000, forMs: 4000, signal }),
      ),
      expected: auctions + 3,
      out,
      baseUrl: sim.url,
      concurrency,
      workers,
      skipExisting: false,
      withBids: Boolean(p.values['with-bids']),
      policy: { baseDelayMs: 100, maxDelayMs: 2000 },
      signal,
      quiet: Boolean(p.values.quiet),
    });
    const s = sim.stats();
    printReport(report, out);
    process.stdout.write(
      `  server side: ${s.requests} requests, peak ${s.peakInFlight} in flight, ${s.throttled429} answered 429, ${s.retryAfterViolations} Retry-After violations\n`,
    );
    if (!report.complete) return 1;
    await sampleQuery(out);
    return 0;
  } finally {
    dispose();
    await sim.close();
  }
}

const DEMO_WORLD = {
  latencyMs: 20,
  jitterMs: 15,
  rateLimit: { perSecond: 60, burst: 20 },
  faults: { notFound: 0.03, empty: 0.01, schema: 0.005, serverError: 0.02, reset: 0.01, truncated: 0.01, html: 0.01, slow: 0.005 },
  slowMs: 1500,
};

/** On `port` as asked, else on the usual port, or on any free one (said on stderr) when another program has it. */
async function startDemoSimulator(port: number | undefined): Promise<RunningSimulator> {
  try {
    return await startSimulator({ ...DEMO_WORLD, port: port ?? DEMO_PORT });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw e;
    if (port !== undefined)
      throw new UsageError(
        `--port: ${port} is ${code === 'EACCES' ? 'not ours to use' : 'in use'} on 127.0.0.1; expected a free port (or 0 for any)`,
      );
    const sim = await startSimulator(DEMO_WORLD);
    process.stderr.write(`scraper demo: port ${DEMO_PORT} is taken, so the simulator runs on ${sim.port}\n`);
    return sim;
  }
}

const SAMPLE_SQL = `SELECT a.auction_id, a.title[1:40] AS title, count(*) AS items,
       sum(i.bid_count) AS bids, round(sum(i.current_bid), 2) AS current_total
FROM maxsold_auctions_latest a JOIN maxsold_items_latest i USING (auction_id)
GROUP BY ALL ORDER BY current_total DESC LIMIT 5`;

async function sampleQuery(out: string): Promise<void> {
  const db = await TableQuery.open(out);
  try {
    process.stdout.write(`\nscraper query "${SAMPLE_SQL.replace(/\s+/g, ' ')}" --out ${out}\n\n`);
    process.stdout.write(formatResult(await db.query(SAMPLE_SQL), 'table') + '\n');
    const late = `SELECT count(*) AS stops, count(*) FILTER (WHERE diff_min > 15) AS late_over_15_min FROM via_train_stops_latest`;
    process.stdout.write(`\nscraper query "${late}" --out ${out}\n\n${formatResult(await db.query(late), 'table')}\n`);
    process.stdout.write(`\nNext: scraper query --table maxsold_items --limit 5 --out ${out}   (scraper --help for more)\n`);
  } finally {
    db.close();
  }
}
