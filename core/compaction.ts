import type { ObjectStore, TableCodec } from './ports.js';
import { TABLES_PREFIX } from './raw-key.js';
import { TABLES, type Row, type TableName } from './tables.js';

/** The file a partition is compacted into. Its name is fixed, so compacting again replaces it. */
export const COMPACTED_FILE = 'compacted.parquet';

export interface Partition {
  table: TableName;
  dt: string;
  files: string[];
}

/** Partitions under tables/, grouped from a key listing. */
export async function listPartitions(store: ObjectStore): Promise<Partition[]> {
  const byPrefix = new Map<string, Partition>();
  for await (const key of store.list(TABLES_PREFIX)) {
    const m = /^tables\/([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/.exec(key);
    if (!m || !(m[1] in TABLES)) continue;
    const id = `${m[1]}/${m[2]}`;
    let p = byPrefix.get(id);
    if (!p) byPrefix.set(id, (p = { table: m[1] as TableName, dt: m[2], files: [] }));
    p.files.push(key);
  }
  return [...byPrefix.values()];
}

/**
 * Rows of a partition, deduplicated by `source_key`: the rows of one raw object
 * come from one file only. Per-object files win over an older compacted file,
 * because they were written after it (a reprocess or a late rerun).
 */
export function mergePartitionRows(files: { key: string; rows: Row[] }[]): Row[] {
  const fresh = files.filter((f) => !f.key.endsWith('/' + COMPACTED_FILE));
  const old = files.filter((f) => f.key.endsWith('/' + COMPACTED_FILE));
  const owner = new Map<string, string>();
  for (const f of [...fresh, ...old]) {
    for (const r of f.rows) {
      const sk = String(r.source_key);
      if (!owner.has(sk)) owner.set(sk, f.key);
    }
  }
  const out: Row[] = [];
  for (const f of [...fresh, ...old]) for (const r of f.rows) if (owner.get(String(r.source_key)) === f.key) out.push(r);
  return out;
}

export interface CompactionResult {
  partitions: number;
  filesMerged: number;
  rows: number;
  skippedOpen: number;
}

/**
 * Merges each partition's files into one. Partitions of today (UTC) are still being
 * written and are left alone unless `includeOpen`. Safe to repeat and safe to
 * interrupt: the merged file is written whole before any input is deleted.
 */
export async function compactTables(store: ObjectStore, codec: TableCodec, options: { today: string; includeOpen: boolean }): Promise<CompactionResult> {
  const result: CompactionResult = { partitions: 0, filesMerged: 0, rows: 0, skippedOpen: 0 };
  for (const p of await listPartitions(store)) {
    if (!options.includeOpen && p.dt >= options.today) {
      result.skippedOpen++;
      continue;
    }
    const target = `${TABLES_PREFIX}${p.table}/dt=${p.dt}/${COMPACTED_FILE}`;
    if (p.files.length === 1 && p.files[0] === target) continue;
    const schema = TABLES[p.table];
    const files = [];
    for (const key of p.files) {
      const obj = await store.get(key);
      if (obj) files.push({ key, rows: codec.decode(schema, obj.body) });
    }
    const rows = mergePartitionRows(files);
    await store.put(target, codec.encode(schema, rows, 'compacted'));
    await store.delete(p.files.filter((k) => k !== target));
    result.partitions++;
    result.filesMerged += p.files.length;
    result.rows += rows.length;
  }
  return result;
}
