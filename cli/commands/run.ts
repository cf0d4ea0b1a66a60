import { readFile } from 'node:fs/promises';
import { countIds, parseIdList, parseIdRanges, planAuctions, planViaPolls, type IdRange } from '../../core/planner.js';
import { systemClock } from '../../core/clock.js';
import { utcDate } from '../../core/work-item.js';
import { duration, parse, UsageError } from '../args.js';
import { interruptSignal, printReport, SCRAPE_HELP, SCRAPE_OPTIONS, scrapeFlags } from '../common.js';
import { scrape } from '../scrape.js';

export const RUN_HELP = `Usage:
  scraper run maxsold --ids 100000-100500 [--with-bids] [options]
  scraper run maxsold --ids-file ids.txt [options]
  scraper run via [--every 60s] [--for 2h] [options]

Fetches, keeps every raw response (gzipped, with metadata), and writes Parquet tables.

MaxSold:
      --ids SPEC         auction ids: 100000-100500, 103417 or a comma-separated mix
      --ids-file FILE    auction ids, one per line (or comma/space separated; # comments)
      --with-bids        also fetch each item's bid history (&itemid=) for items with bids
VIA Rail:
      --every DURATION   poll on this cadence, e.g. 60s or 5m (default: one snapshot)
      --for DURATION     poll for this long: a snapshot at the start and one every --every up to
                         and including its end (--every 60s --for 2h: 121) (default: until Ctrl-C)
Options:
${SCRAPE_HELP}
  -h, --help             show this help

Exit status: 0 when every planned item ended (fetched, unchanged, missing, redirected, empty or
quarantined), 1 when the run stopped early (interrupted, disk full, retry budget spent, the data
directory in use by another run), 2 for bad arguments. Ctrl-C is how "run via --every" without
--for ends: 0 then, unless a poll was in flight.`;

export async function runCommand(args: string[]): Promise<number> {
  const p = parse(
    args,
    {
      ...SCRAPE_OPTIONS,
      ids: { type: 'string' },
      'ids-file': { type: 'string' },
      'with-bids': { type: 'boolean' },
      every: { type: 'string' },
      for: { type: 'string' },
    },
    true,
  );
  if (p.values.help) return (void process.stdout.write(RUN_HELP + '\n'), 0);
  const [source, ...extra] = p.positionals;
  if (source !== 'maxsold' && source !== 'via')
    throw new UsageError(`run: expected a source, "maxsold" or "via", got ${source ? `"${source}"` : 'nothing'} (scraper run --help)`);
  if (extra.length > 0) throw new UsageError(`run: unexpected argument "${extra[0]}"`);
  const flags = scrapeFlags(p);
  const { signal, dispose } = interruptSignal();
  try {
    let plan;
    let expected: number | undefined;
    const timed = source === 'via';
    const endless = timed && p.values.every !== undefined && p.values.for === undefined;
    if (source === 'maxsold') {
      if (p.values.every || p.values.for) throw new UsageError('--every/--for: only for "run via"');
      const ranges = await idRanges(p.values.ids, p.values['ids-file']);
      expected = countIds(ranges);
      plan = planAuctions(ranges, utcDate(Date.now()));
    } else {
      if (p.values.ids || p.values['ids-file'] || p.values['with-bids'])
        throw new UsageError('--ids/--ids-file/--with-bids: only for "run maxsold"');
      const everyMs = duration('every', p.values.every, '1s, 60s, 5m or 2h');
      const forMs = duration('for', p.values.for);
      if (forMs !== undefined && everyMs === undefined) throw new UsageError('--for: needs --every (how often to poll)');
      // Snapshot keys are stamped to the second: two polls in one second would share a key.
      if (everyMs !== undefined && everyMs < 1000) throw new UsageError(`--every: expected at least 1s, got "${String(p.values.every)}"`);
      plan = planViaPolls(systemClock, { everyMs: everyMs ?? 1, forMs: everyMs === undefined ? 0 : forMs, signal });
      expected = everyMs !== undefined && forMs !== undefined ? Math.floor(forMs / everyMs) + 1 : everyMs === undefined ? 1 : undefined;
    }
    const report = await scrape({
      command: `run ${source}`,
      plan,
      expected,
      timed,
      endless,
      ...flags,
      withBids: Boolean(p.values['with-bids']),
      signal,
    });
    printReport(report, flags.out);
    return report.complete ? 0 : 1;
  } finally {
    dispose();
  }
}

async function idRanges(ids: string | boolean | undefined, file: string | boolean | undefined): Promise<IdRange[]> {
  if ((ids === undefined) === (file === undefined))
    throw new UsageError('run maxsold: give exactly one of --ids 100000-100500 or --ids-file FILE');
  try {
    if (typeof ids === 'string') return parseIdRanges(ids);
    let text: string;
    try {
      text = await readFile(String(file), 'utf8');
    } catch (e) {
      throw new UsageError(`--ids-file: cannot read "${String(file)}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return parseIdList(text);
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(`${typeof ids === 'string' ? '--ids' : '--ids-file'}: ${e.message}`);
    throw e;
  }
}
