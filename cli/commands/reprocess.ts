import { existsSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lockDataDir } from '../../adapters/data-dir-lock.js';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { PoolProcessor } from '../../adapters/pool-processor.js';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { buildReport } from '../../core/report.js';
import { dtOfKey, itemFromRawKey, tablesOf } from '../../core/raw-key.js';
import { reprocessRaw } from '../../core/reprocess.js';
import { RunStats } from '../../core/run-stats.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import { TABLE_NAMES, type TableName } from '../../core/tables.js';
import { existingDataDir, parse, str } from '../args.js';
import { printReport, requireNoPositionals, workersFlag } from '../common.js';
import { writeReports } from '../scrape.js';
import { Progress } from '../progress.js';
import { availableParallelism } from 'node:os';

export const REPROCESS_HELP = `Usage: scraper reprocess [--out DIR] [--workers N|auto]

Rebuilds every table from the raw responses in DIR/raw, with the same code a fetch
uses, into a fresh directory that replaces DIR/tables only when it is complete. A
partition no raw object has rows in (its raw objects expired or removed), and anything
under DIR/tables that is not a table's, is kept as it was; with no raw objects at all,
nothing changes (exit 1; exit 2 when there is no DIR/raw). Raw objects that no longer normalise are copied to
DIR/quarantine with the reason. The report goes to DIR/report.json and report.md (the
last run, as \`scraper status\` shows it).

Options:
  -o, --out DIR        data directory (default ./data)
      --workers N|auto worker threads (default auto: one per core; 0 = main thread)
  -q, --quiet          no progress output
  -h, --help           show this help`;

export async function reprocessCommand(args: string[]): Promise<number> {
  const p = parse(args, { out: { type: 'string', short: 'o' }, workers: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } });
  if (p.values.help) return (void process.stdout.write(REPROCESS_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper reprocess --help');
  // Rebuilding from no raw objects would replace tables/ with nothing.
  const out = existingDataDir(str('out', p.values.out, './data'), 'raw');
  const chosen = workersFlag(p.values.workers);
  const workers = chosen === 'auto' ? availableParallelism() : chosen;
  const unlock = lockDataDir(out, 'reprocess');
  try {
    return await reprocess(out, workers, Boolean(p.values.quiet));
  } finally {
    unlock();
  }
}

async function reprocess(out: string, workers: number, quiet: boolean): Promise<number> {
  await recoverInterrupted(out);
  const stage = join(out, `.rebuild-${process.pid}`);
  const target = new FsObjectStore(stage);
  const processor =
    workers > 0
      ? new PoolProcessor({ config: { origins: REAL_ORIGINS }, out: stage }, workers)
      : new InlineProcessor({ origins: REAL_ORIGINS }, target, loadTableEncoder);
  const stats = new RunStats();
  const progress = new Progress(stats, { quiet, rebuild: true });
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  progress.start();
  const source = new FsObjectStore(out);
  // The partitions (`<table>/dt=<day>`) some raw object has rows in: the rebuild writes them afresh.
  const rebuilt = new Set<string>();
  try {
    await reprocessRaw(source, processor, stats, {
      lanes: Math.max(2, workers * 2),
      onObject: (key) => {
        const item = itemFromRawKey(key);
        if (item) for (const table of tablesOf(item)) rebuilt.add(`${table}/dt=${dtOfKey(key)}`);
      },
    });
  } finally {
    progress.stop();
    await Promise.all([processor.close(), source.close(), target.close()]);
  }
  if (stats.totalPlanned() === 0) {
    await rm(stage, { recursive: true, force: true });
    process.stderr.write(`scraper: ${out}/raw holds no raw objects: nothing to rebuild from; ${out}/tables left as it is\n`);
    return 1;
  }
  const kept = await carryOver(join(out, 'tables'), join(stage, 'tables'), rebuilt);
  const old = join(out, `.tables-old-${process.pid}`);
  if (existsSync(join(out, 'tables'))) await rename(join(out, 'tables'), old);
  if (existsSync(join(stage, 'tables'))) await rename(join(stage, 'tables'), join(out, 'tables'));
  await rm(stage, { recursive: true, force: true });
  await rm(old, { recursive: true, force: true });
  const cpu = process.cpuUsage(cpu0);
  const report = buildReport(stats, {
    command: 'reprocess',
    startedAt: started,
    finishedAt: Date.now(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cores: availableParallelism(),
    settings: { out, processing: processor.description },
  });
  await writeReports(out, report);
  process.stdout.write(`\nrebuilt ${out}/tables from ${stats.totalPlanned()} raw objects\n`);
  if (kept.length > 0)
    process.stdout.write(
      `kept as they were, no raw object of theirs left to rebuild from: ${kept.slice(0, 10).join(', ')}${kept.length > 10 ? `, … (${kept.length} in all)` : ''}\n`,
    );
  printReport(report, out);
  return 0;
}

/**
 * What the rebuild did not write is kept: a table's partition (`<table>/dt=…`) no raw object
 * has rows in (its raw objects expired, or were removed), and anything under tables/ that is
 * not a table's. A partition some raw object is of is the rebuild's alone: the old one's files
 * (compacted parts among them) hold the same rows. Each kept file is hard-linked into the
 * rebuilt tables, so the old tables/ stays whole until the swap; returns what it kept.
 */
async function carryOver(oldTables: string, newTables: string, rebuilt: Set<string>): Promise<string[]> {
  if (!existsSync(oldTables)) return [];
  const kept: string[] = [];
  for (const entry of await readdir(oldTables, { withFileTypes: true })) {
    const isTable = entry.isDirectory() && TABLE_NAMES.includes(entry.name as TableName);
    if (!isTable) {
      await linkTree(join(oldTables, entry.name), join(newTables, entry.name));
      kept.push(entry.name);
      continue;
    }
    for (const part of await readdir(join(oldTables, entry.name))) {
      if (rebuilt.has(`${entry.name}/${part}`)) continue;
      await linkTree(join(oldTables, entry.name, part), join(newTables, entry.name, part));
      kept.push(`${entry.name}/${part}`);
    }
  }
  return kept.sort();
}

/** `to` as a copy of `from` whose files are hard links (the same bytes, no copy). */
async function linkTree(from: string, to: string): Promise<void> {
  if (!(await stat(from)).isDirectory()) {
    await mkdir(dirname(to), { recursive: true });
    await link(from, to);
    return;
  }
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) await linkTree(join(from, name), join(to, name));
}

/**
 * A rebuild killed before its swap leaves its staging directory (removed: the tables are as
 * they were); killed between the swap's two renames, it leaves no tables/ and the old ones
 * under `.tables-old-<pid>`: put back.
 */
async function recoverInterrupted(out: string): Promise<void> {
  if (!existsSync(out)) return;
  const names = await readdir(out);
  const old = names.find((n) => n.startsWith('.tables-old-'));
  if (old && !existsSync(join(out, 'tables'))) {
    await rename(join(out, old), join(out, 'tables'));
    process.stderr.write(`note: ${out}/tables put back from ${old}, left by a rebuild that was stopped mid-swap\n`);
  }
  for (const name of await readdir(out))
    if (name.startsWith('.rebuild-') || name.startsWith('.tables-old-')) await rm(join(out, name), { recursive: true, force: true });
}
