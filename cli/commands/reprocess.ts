import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lockDataDir } from '../../adapters/data-dir-lock.js';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { PoolProcessor } from '../../adapters/pool-processor.js';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { buildReport } from '../../core/report.js';
import { reprocessRaw } from '../../core/reprocess.js';
import { RunStats } from '../../core/run-stats.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import { existingDataDir, parse, str } from '../args.js';
import { printReport, requireNoPositionals, workersFlag } from '../common.js';
import { writeReports } from '../scrape.js';
import { Progress } from '../progress.js';
import { availableParallelism } from 'node:os';

export const REPROCESS_HELP = `Usage: scraper reprocess [--out DIR] [--workers N]

Rebuilds every table from the raw responses in DIR/raw, with the same code a fetch
uses, into a fresh directory that replaces DIR/tables only when it is complete. A
partition none of whose raw objects is left (expired or removed), and anything under
DIR/tables that is not a table's, is kept as it was; with no raw objects at all, nothing
changes (exit 1). Raw objects that no longer normalise are copied to DIR/quarantine with
the reason. Its
report goes to DIR/report.json and report.md (the last run, as \`scraper status\` shows it).

Options:
  -o, --out DIR        data directory (default ./data)
      --workers N      worker threads (default: one per core; 0 = main thread)
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
  // A rebuild that was interrupted leaves a hidden directory behind: start clean.
  if (existsSync(out))
    for (const name of await readdir(out)) if (name.startsWith('.rebuild-')) await rm(join(out, name), { recursive: true, force: true });
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
  try {
    await reprocessRaw(source, processor, stats, { lanes: Math.max(2, workers * 2) });
  } finally {
    progress.stop();
    await Promise.all([processor.close(), source.close(), target.close()]);
  }
  if (stats.totalPlanned() === 0) {
    await rm(stage, { recursive: true, force: true });
    process.stderr.write(`scraper: ${out}/raw holds no raw objects: nothing to rebuild from; ${out}/tables left as it is\n`);
    return 1;
  }
  const kept = await carryOver(join(out, 'tables'), join(stage, 'tables'));
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
 * What the rebuild did not write is kept: a table's partition (`<table>/dt=…`) none of whose
 * raw objects is left (expired, or removed), and anything under tables/ that is not ours. A
 * partition the rebuild wrote is its alone: the old one's files (compacted parts among them)
 * hold the same rows. Moves each into the rebuilt tables; returns what it moved.
 */
async function carryOver(oldTables: string, newTables: string): Promise<string[]> {
  if (!existsSync(oldTables)) return [];
  const kept: string[] = [];
  await mkdir(newTables, { recursive: true });
  for (const entry of await readdir(oldTables, { withFileTypes: true })) {
    const from = join(oldTables, entry.name);
    const to = join(newTables, entry.name);
    if (!existsSync(to)) {
      await rename(from, to);
      kept.push(entry.name);
    } else if (entry.isDirectory()) {
      for (const part of await readdir(from)) {
        if (existsSync(join(to, part))) continue;
        await rename(join(from, part), join(to, part));
        kept.push(`${entry.name}/${part}`);
      }
    }
  }
  return kept.sort();
}
