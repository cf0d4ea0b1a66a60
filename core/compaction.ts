import type { ObjectStore, TableCodec } from './ports.js';
import { TABLES_PREFIX } from './raw-key.js';
import { TABLES, type TableName } from './tables.js';

/**
 * A partition is compacted into parts, `compacted-000001.parquet`, … : each step merges up to
 * `maxFilesPerStep` per-object files into a new part and never reads a part again (unless a
 * later file holds rows of the same raw object), so the work grows with the rows, not with their
 * square, and a step's memory is bounded. `compacted.parquet` (one file per partition, as earlier
 * versions wrote it) is a part too.
 */
const PART = /\/compacted(?:-(\d+))?\.parquet$/;

export function isCompactedPart(key: string): boolean {
  return PART.test(key);
}

function partKey(p: Pick<Partition, 'table' | 'dt'>, n: number): string {
  return `${TABLES_PREFIX}${p.table}/dt=${p.dt}/compacted-${String(n).padStart(6, '0')}.parquet`;
}

function nextPartNumber(files: string[]): number {
  let max = 0;
  for (const k of files) max = Math.max(max, Number(PART.exec(k)?.[1] ?? 0));
  return max + 1;
}

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

export interface CompactionOptions {
  /** The UTC day whose partitions are still being written: left alone unless `includeOpen`. */
  today: string;
  includeOpen: boolean;
  /** Per-object files merged into one part: bounds each step's memory and time, and a part's size. @default 2000 */
  maxFilesPerStep?: number;
  /** Reads and deletes in flight at once. @default 16 */
  parallel?: number;
  /** Asked before each step; false stops the run there (the rest waits for the next run). @default - never stops */
  keepGoing?: () => boolean;
}

export interface CompactionResult {
  partitions: number;
  filesMerged: number;
  /** Parts written (a partition's files merge into one part per step). */
  partsWritten: number;
  /** Rows written into new parts. */
  rows: number;
  skippedOpen: number;
  /** Partitions with files left when the run stopped (time ran out). */
  partitionsLeft: number;
  /** Files rewritten between their read and their delete: kept, merged by the next run. */
  changedMeanwhile: number;
  /** Steps another compaction got ahead of (it wrote the same part, or changed a part first): nothing of theirs deleted. */
  lostRaces: number;
  /** Parts rewritten without the rows of a raw object that a newer file holds. */
  partsRewritten: number;
}

export interface StepResult {
  filesMerged: number;
  rows: number;
  /** The files merged (and deleted unless changed meanwhile). */
  merged: string[];
  /** The part written, and the source keys in it. */
  part?: { key: string; sourceKeys: Set<string> };
  partsRewritten: number;
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

/** The source keys of each part of a partition: read once per run, kept up to date by its steps. */
export type PartKeys = Map<string, Set<string>>;

/**
 * One step of one partition: up to `maxFiles` per-object files are read and written as a
 * new part (whole, in the columnar format; where two hold rows of the same raw object, the
 * first keeps them), then parts that already held rows of these raw objects are rewritten
 * without them (newer files win: a reprocess, or a step repeated after a crash), then the
 * files are deleted. Rows leave a part only once the new part holding them is written, so
 * an interruption anywhere leaves at worst a second copy, which the next run removes.
 * Safe beside a normaliser rewriting files of the same partition, and beside another
 * compaction, where the store can say so: parts are created and rewritten only if unchanged
 * since read (else another compaction got ahead, and nothing is deleted), and each input is
 * deleted only if it is still the version read (a rewritten file stays for the next run).
 */
export async function compactPartitionStep(
  store: ObjectStore,
  codec: TableCodec,
  p: Partition,
  parts: PartKeys,
  maxFiles: number,
  parallel: number,
): Promise<StepResult> {
  const schema = TABLES[p.table];
  const inputs = p.files
    .filter((k) => !isCompactedPart(k))
    .sort()
    .slice(0, maxFiles);
  const read = await eachBounded(inputs, parallel, async (key) => {
    const obj = await store.get(key);
    return obj && { key, body: obj.body, etag: obj.etag, sourceKeys: await codec.sourceKeys(obj.body) };
  });
  const files = read.filter((f) => f !== undefined);
  // A file listed but gone (another compaction merged it) is done.
  const gone = inputs.filter((_, i) => read[i] === undefined);
  const result: StepResult = { filesMerged: 0, rows: 0, merged: gone, partsRewritten: 0, changedMeanwhile: 0, lostRace: false };
  if (files.length === 0) return result;

  const sourceKeys = new Set<string>();
  const merge = files.map((f) => {
    const drop = new Set([...f.sourceKeys].filter((k) => sourceKeys.has(k)));
    for (const k of f.sourceKeys) sourceKeys.add(k);
    return { bytes: f.body, drop };
  });
  const target = partKey(p, nextPartNumber([...p.files, ...parts.keys()]));
  const { bytes, rows } = await codec.concat(schema, merge, 'compacted');
  if (store.putIfUnchanged) {
    if (!(await store.putIfUnchanged(target, bytes, null))) return { ...result, lostRace: true };
  } else await store.put(target, bytes);
  result.part = { key: target, sourceKeys };
  result.rows = rows;

  // Older parts holding rows of these raw objects lose them, now that the new part has them.
  for (const [key, keys] of parts) {
    const stale = [...keys].filter((k) => sourceKeys.has(k));
    if (stale.length === 0) continue;
    const obj = await store.get(key);
    if (!obj) {
      parts.delete(key);
      continue;
    }
    const kept = stale.length < keys.size ? await codec.concat(schema, [{ bytes: obj.body, drop: sourceKeys }], 'compacted') : undefined;
    const done =
      kept && kept.rows > 0
        ? store.putIfUnchanged
          ? await store.putIfUnchanged(key, kept.bytes, obj.etag ?? null)
          : (await store.put(key, kept.bytes), true)
        : store.deleteIfUnchanged && obj.etag
          ? await store.deleteIfUnchanged(key, obj.etag)
          : (await store.delete([key]), true);
    if (!done) {
      // Another compaction changed it first: the new part stays, the files too; the next run settles both.
      parts.set(target, sourceKeys);
      return { ...result, lostRace: true };
    }
    result.partsRewritten++;
    if (kept && kept.rows > 0) parts.set(key, new Set([...keys].filter((k) => !sourceKeys.has(k))));
    else parts.delete(key);
  }
  parts.set(target, sourceKeys);

  if (store.deleteIfUnchanged) {
    const deleted = await eachBounded(files, parallel, async (f) =>
      f.etag ? store.deleteIfUnchanged!(f.key, f.etag) : (await store.delete([f.key]), true),
    );
    result.changedMeanwhile = deleted.filter((d) => !d).length;
  } else await store.delete(files.map((f) => f.key));
  result.filesMerged = files.length;
  result.merged = [...gone, ...files.map((f) => f.key)];
  return result;
}

/** The source keys in each existing part of a partition. */
async function readPartKeys(store: ObjectStore, codec: TableCodec, files: string[], parallel: number): Promise<PartKeys> {
  const parts = files.filter(isCompactedPart);
  const keys = await eachBounded(parts, parallel, async (key) => {
    const obj = await store.get(key);
    return obj && ([key, await codec.sourceKeys(obj.body)] as const);
  });
  return new Map(keys.filter((k) => k !== undefined));
}

/**
 * Merges each partition's per-object files into parts, oldest partition first, a step
 * of at most `maxFilesPerStep` files at a time. Partitions of today (UTC) are still
 * being written and are left alone unless `includeOpen`. Safe to repeat and safe to
 * interrupt: a part is written whole before any of its inputs is deleted, and a repeated
 * step replaces what the interrupted one wrote. `keepGoing` bounds a run (a Lambda's
 * remaining time): what is left is merged by the next run.
 */
export async function compactTables(store: ObjectStore, codec: TableCodec, options: CompactionOptions): Promise<CompactionResult> {
  const result: CompactionResult = {
    partitions: 0,
    filesMerged: 0,
    partsWritten: 0,
    rows: 0,
    skippedOpen: 0,
    partitionsLeft: 0,
    changedMeanwhile: 0,
    lostRaces: 0,
    partsRewritten: 0,
  };
  const maxFiles = options.maxFilesPerStep ?? 2000;
  const parallel = options.parallel ?? 16;
  const partitions = (await listPartitions(store)).sort((a, b) => a.dt.localeCompare(b.dt) || a.table.localeCompare(b.table));
  for (const p of partitions) {
    if (!options.includeOpen && p.dt >= options.today) {
      result.skippedOpen++;
      continue;
    }
    let files = p.files;
    if (files.every(isCompactedPart)) continue;
    let parts: PartKeys | undefined;
    let stepped = false;
    while (files.some((k) => !isCompactedPart(k))) {
      if (options.keepGoing && !options.keepGoing()) {
        result.partitionsLeft++;
        break;
      }
      parts ??= await readPartKeys(store, codec, files, parallel);
      const step = await compactPartitionStep(store, codec, { ...p, files }, parts, maxFiles, parallel);
      result.partsRewritten += step.partsRewritten;
      if (step.lostRace) {
        result.lostRaces++;
        break;
      }
      stepped = true;
      result.filesMerged += step.filesMerged;
      if (step.part) result.partsWritten++;
      result.rows += step.rows;
      result.changedMeanwhile += step.changedMeanwhile;
      const done = new Set(step.merged);
      files = [...parts.keys(), ...files.filter((k) => !isCompactedPart(k) && !done.has(k))];
    }
    if (stepped) result.partitions++;
  }
  return result;
}
