import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from '../../adapters/data-dir-lock.js';
import { damagedParquetFiles } from '../../adapters/parquet-check.js';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { parquetCodec } from '../../adapters/parquet-merge.js';
import { compactTables } from '../../core/compaction.js';
import { utcDate } from '../../core/work-item.js';
import { existingDataDir, parse, str } from '../args.js';
import { requireNoPositionals } from '../common.js';
import { processFigures } from '../process-figures.js';
import { REBUILD_HINT } from './query.js';

export const COMPACT_HELP = `Usage: scraper compact [--out DIR] [--all] [--json]

Merges each partition's Parquet files (one per raw object) into parts of up to
2,000 files each (compacted-000001.parquet, …), deduplicated by source_key. Many
small files are what slows Athena and DuckDB down. Safe to repeat and to interrupt.

Options:
  -o, --out DIR        data directory (default ./data)
      --all            also compact today's partitions (still being written to)
      --json           print what was done as JSON (with the process's CPU and peak memory)
  -h, --help           show this help`;

export async function compactCommand(args: string[]): Promise<number> {
  const p = parse(args, { out: { type: 'string', short: 'o' }, all: { type: 'boolean' }, json: { type: 'boolean' } });
  if (p.values.help) return (void process.stdout.write(COMPACT_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper compact --help');
  const out = existingDataDir(str('out', p.values.out, './data'));
  const unlock = lockDataDir(out, 'compact');
  const store = new FsObjectStore(out);
  let r: Awaited<ReturnType<typeof compactTables>>;
  try {
    r = await compactTables(store, parquetCodec, { today: utcDate(Date.now()), includeOpen: Boolean(p.values.all) });
  } catch (e) {
    const damaged = existsSync(join(out, 'tables')) ? damagedParquetFiles(join(out, 'tables')) : [];
    if (damaged.length === 0) throw e;
    process.stderr.write(
      `scraper: compact stopped: ${damaged.length} table file(s) are not whole Parquet files (${(e as Error).message.split('\n')[0]}):\n` +
        damaged.map((f) => `  ${out}/tables/${f}\n`).join('') +
        `${REBUILD_HINT}; the partitions compacted before it stopped are whole\n`,
    );
    return 1;
  } finally {
    unlock();
    await store.close();
  }
  if (p.values.json) return (void process.stdout.write(JSON.stringify({ ...r, process: processFigures() }) + '\n'), 0);
  process.stdout.write(
    `compacted ${r.partitions} partition(s): ${r.filesMerged} files → ${r.partsWritten} (${r.rows} rows)` +
      (r.skippedOpen > 0 ? `; left ${r.skippedOpen} partition(s) of today alone (use --all to include them)` : '') +
      '\n',
  );
  return 0;
}
