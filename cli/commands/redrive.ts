import { FsObjectStore } from '../../adapters/fs-store.js';
import { QUARANTINE_PREFIX, itemFromRawKey } from '../../core/raw-key.js';
import type { WorkItem } from '../../core/work-item.js';
import { existingDataDir, parse } from '../args.js';
import { interruptSignal, printReport, requireNoPositionals, scrapeFlags, scrapeOptions } from '../common.js';
import { checkOneServer, scrape } from '../scrape.js';

// Redrive always fetches again: --refetch would say nothing.
const SCRAPING = scrapeOptions(['refetch']);

export const REDRIVE_HELP = `Usage: scraper redrive [--reason TEXT] [options]

Fetches every quarantined item again (after a fix, or once the server is healthy).
An item that now succeeds is stored and leaves quarantine/; one that fails again
is quarantined again with its new reason; one the API no longer has (404, counted
as missing) stays in quarantine/ as it was, its bytes kept. A VIA snapshot is of
its minute and cannot be fetched again: it stays in quarantine/, its bytes kept.

Options:
      --reason TEXT      only items whose quarantine reason contains TEXT
      --with-bids        also fetch the bid histories of the redriven auctions' items with bids
${SCRAPING.help}
  -h, --help             show this help`;

export async function redriveCommand(args: string[]): Promise<number> {
  const p = parse(args, { ...SCRAPING.options, reason: { type: 'string' }, 'with-bids': { type: 'boolean' } });
  if (p.values.help) return (void process.stdout.write(REDRIVE_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper redrive --help');
  const flags = scrapeFlags(p);
  const store = new FsObjectStore(existingDataDir(flags.out));
  const items: WorkItem[] = [];
  let snapshots = 0;
  for await (const key of store.list(QUARANTINE_PREFIX)) {
    const item = itemFromRawKey(key);
    if (!item) continue;
    if (p.values.reason !== undefined && !((await store.head(key))?.reason ?? '').includes(String(p.values.reason))) continue;
    // Fetched again, it would be today's trains under that minute's name.
    if (item.source === 'via') snapshots++;
    else items.push(item);
  }
  if (snapshots > 0)
    process.stdout.write(
      `${snapshots} VIA snapshot(s) kept in ${flags.out}/quarantine with their bytes: a snapshot is of its minute and cannot be fetched again\n`,
    );
  if (items.length === 0) {
    process.stdout.write(
      `nothing to redrive: ${flags.out}/quarantine holds no ${p.values.reason === undefined ? '' : 'matching '}items to fetch again\n`,
    );
    return 0;
  }
  await checkOneServer(flags.out, flags.baseUrl);
  process.stdout.write(`redriving ${items.length} quarantined item(s)\n`);
  const { signal, dispose } = interruptSignal();
  try {
    const report = await scrape({
      command: 'redrive',
      plan: items,
      expected: items.length,
      ...flags,
      skipExisting: false,
      withBids: Boolean(p.values['with-bids']),
      signal,
    });
    printReport(report, flags.out);
    return report.complete ? 0 : 1;
  } finally {
    dispose();
  }
}
