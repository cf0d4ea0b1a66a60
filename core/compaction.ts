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
    const table = m?.[1];
    const dt = m?.[2];
    if (table === undefined || dt === undefined || !(table in TABLES)) continue;
    const id = `${table}/${dt}`;
    let p = byPrefix.get(id);
    if (!p) byPrefix.set(id, (p = { table: table as TableName, dt, files: [] }));
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

export interface CompactionOptions {
  /** The UTC day whose partitions are still being written: left alone unless `includeOpen`. */
  today: string;
  includeOpen: boolean;
  /** Per-object files merged in one step of a partition (with its compacted file): bounds each step's memory and time. @default 2000 */
  maxFilesPerStep?: number;
  /** Reads and deletes in flight at once. @default 16 */
  parallel?: number;
  /** Asked before each step; false stops the run there (the rest waits for the next run). @default - never stops */
  keepGoing?: () => boolean;
}

export interface CompactionResult {
  partitions: number;
  filesMerged: number;
  rows: number;
  skippedOpen: number;
  /** Partitions with files left when the run stopped (time ran out). */
  partitionsLeft: number;
  /** Files rewritten between their read and their delete: kept, merged by the next run. */
  changedMeanwhile: number;
  /** Steps whose compacted file another compaction replaced first: nothing of theirs deleted. */
  lostRaces: number;
}

export interface StepResult {
  filesMerged: number;
  rows: number;
  /** The files merged (and deleted unless changed meanwhile). */
  merged: string[];
  changedMeanwhile: number;
  lostRace: boolean;
}

/** Runs `fn` over `items` with at most `parallel` calls in flight. */
async function eachBounded<T, R>(items: T[], parallel: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  return out;
}

/**
 * One step of one partition: its compacted file and up to `maxFiles` per-object files
 * are read, merged, written back as the compacted file, and the merged files deleted.
 * Safe beside a normaliser rewriting files of the same partition, where the store can
 * say so: the compacted file is written only if it is still the version read (else
 * another compaction won, and nothing is deleted), and each input is deleted only if
 * it is still the version read (a rewritten file stays for the next run).
 */
export async function compactPartitionStep(
  store: ObjectStore,
  codec: TableCodec,
  p: Partition,
  maxFiles: number,
  parallel: number,
): Promise<StepResult> {
  const target = `${TABLES_PREFIX}${p.table}/dt=${p.dt}/${COMPACTED_FILE}`;
  const inputs = p.files
    .filter((k) => k !== target)
    .sort()
    .slice(0, maxFiles);
  const schema = TABLES[p.table];
  const read = await eachBounded([...(p.files.includes(target) ? [target] : []), ...inputs], parallel, async (key) => {
    const obj = await store.get(key);
    return obj && { key, rows: codec.decode(schema, obj.body), etag: obj.etag };
  });
  const files = read.filter((f) => f !== undefined);
  const rows = mergePartitionRows(files);
  const bytes = codec.encode(schema, rows, 'compacted');
  const before = files.find((f) => f.key === target);
  if (store.putIfUnchanged) {
    if (!(await store.putIfUnchanged(target, bytes, before?.etag ?? null)))
      return { filesMerged: 0, rows: 0, merged: [], changedMeanwhile: 0, lostRace: true };
  } else await store.put(target, bytes);
  const merged = files.filter((f) => f.key !== target);
  let changedMeanwhile = 0;
  if (store.deleteIfUnchanged) {
    const kept = await eachBounded(merged, parallel, async (f) =>
      f.etag ? store.deleteIfUnchanged!(f.key, f.etag) : (await store.delete([f.key]), true),
    );
    changedMeanwhile = kept.filter((deleted) => !deleted).length;
  } else await store.delete(merged.map((f) => f.key));
  return { filesMerged: files.length, rows: rows.length, merged: merged.map((f) => f.key), changedMeanwhile, lostRace: false };
}

/**
 * Merges each partition's files into one, oldest partition first, in steps of at most
 * `maxFilesPerStep` files. Partitions of today (UTC) are still being written and are
 * left alone unless `includeOpen`. Safe to repeat and safe to interrupt: the merged file
 * is written whole before any input is deleted. `keepGoing` bounds a run (a Lambda's
 * remaining time): what is left is merged by the next run.
 */
export async function compactTables(store: ObjectStore, codec: TableCodec, options: CompactionOptions): Promise<CompactionResult> {
  const result: CompactionResult = {
    partitions: 0,
    filesMerged: 0,
    rows: 0,
    skippedOpen: 0,
    partitionsLeft: 0,
    changedMeanwhile: 0,
    lostRaces: 0,
  };
  const maxFiles = options.maxFilesPerStep ?? 2000;
  const parallel = options.parallel ?? 16;
  const partitions = (await listPartitions(store)).sort((a, b) => a.dt.localeCompare(b.dt) || a.table.localeCompare(b.table));
  for (const p of partitions) {
    if (!options.includeOpen && p.dt >= options.today) {
      result.skippedOpen++;
      continue;
    }
    const target = `${TABLES_PREFIX}${p.table}/dt=${p.dt}/${COMPACTED_FILE}`;
    let files = p.files;
    if (files.length === 1 && files[0] === target) continue;
    let stepped = false;
    let rows = 0;
    while (files.some((k) => k !== target)) {
      if (options.keepGoing && !options.keepGoing()) {
        result.partitionsLeft++;
        break;
      }
      const step = await compactPartitionStep(store, codec, { ...p, files }, maxFiles, parallel);
      if (step.lostRace) {
        result.lostRaces++;
        break;
      }
      stepped = true;
      result.filesMerged += step.filesMerged;
      rows = step.rows;
      result.changedMeanwhile += step.changedMeanwhile;
      const done = new Set(step.merged);
      files = [target, ...files.filter((k) => k !== target && !done.has(k))];
    }
    if (stepped) {
      result.partitions++;
      result.rows += rows;
    }
  }
  return result;
}
