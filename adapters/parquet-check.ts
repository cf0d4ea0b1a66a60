import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAGIC = Buffer.from('PAR1');

/**
 * The `.parquet` files under `dir` (recursively, as paths relative to it) that cannot be whole
 * Parquet files: shorter than a header and a footer, or without the `PAR1` magic at either end
 * (a file cut short by a full disk, or written over by something else). A cheap check of each
 * file's first and last four bytes, for naming what broke a read.
 */
export function damagedParquetFiles(dir: string): string[] {
  const damaged: string[] = [];
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.parquet'))
    .sort();
  const head = Buffer.alloc(4);
  const tail = Buffer.alloc(4);
  for (const file of files) {
    const path = join(dir, file);
    const size = statSync(path).size;
    if (size < 12) {
      damaged.push(file);
      continue;
    }
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
      readSync(fd, tail, 0, 4, size - 4);
    } finally {
      closeSync(fd);
    }
    if (!head.equals(MAGIC) || !tail.equals(MAGIC)) damaged.push(file);
  }
  return damaged;
}
