import { asFatal, FatalError } from './errors.js';
import { processStored } from './normalise-object.js';
import { putAll, type ObjectStore, type Processor, type TableChunk, type TableCodec } from './ports.js';
import { dtOfKey, itemFromRawKey, TABLES_PREFIX, tableFileKey } from './raw-key.js';
import type { RunStats } from './run-stats.js';
import { TABLES, type TableName } from './tables.js';

/** Write-ahead records of batches being committed; one left behind means a run stopped mid-commit. */
export const BATCH_PREFIX = 'state/batches/';
/** Raw-object metadata naming the batch whose table files hold its rows. */
export const BATCH_META = 'table-batch';

/**
 * Bodies per batch, and the longest a fetched body waits for its batch. Measured on
 * the bench: one Parquet file per table per batch instead of per body cuts Arrow +
 * Parquet from 722 to about 467 µs per auction and three of every four file
 * creations; 50 bodies beat 100 and 25 (async mode, 3 of 3 paired runs each): a
 * batch's encode blocks its thread, and shorter blocks keep more requests moving.
 */
export const BATCH_DEFAULTS = { maxItems: 50, maxAgeMs: 1000 };

export function batchFileKey(table: TableName, dt: string, batchId: string): string {
  return `${TABLES_PREFIX}${table}/dt=${dt}/batch-${batchId}.parquet`;
}

const journalKey = (batchId: string) => `${BATCH_PREFIX}${batchId}.json`;

/** One fetched body on its way to being committed with the rest of its batch. */
export interface BatchEntry {
  /** Raw key: the raw object is the commit marker a rerun trusts. */
  key: string;
  rawGz: Uint8Array;
  metadata: Record<string, string>;
  chunks: TableChunk[];
  /** Metadata of the committed object this one replaces (a refetch that changed): its old rows are removed. */
  replaces?: Record<string, string>;
  /** Runs once the raw object, its rows and the removal of the replaced rows are all stored. */
  committed: () => void | Promise<void>;
}

/** What a batch commit is about to do, written before it starts. */
interface Journal {
  id: string;
  /** Raw keys of the batch. */
  raws: string[];
  /** Table files the batch writes. */
  files: string[];
  /** Raw keys whose earlier rows the batch removes, with the batch that held them. */
  replaced: { key: string; batch?: string }[];
}

export interface BatcherOptions {
  store: ObjectStore;
  /** Encodes each table file (inline or on the worker pool). */
  processor: Processor;
  /** Reads and rewrites a table file when a refetch replaces rows in it. */
  codec: TableCodec;
  maxItems?: number;
  maxAgeMs?: number;
  /** Unique per run, sortable: batch ids are `<runId>-<sequence>`. */
  runId: string;
  /** Counts the table files written. */
  stats?: RunStats;
}

/**
 * Commits fetched bodies in batches: one table file per table (and partition) per
 * batch instead of one per body. A batch commits in an order that survives a kill at
 * any point:
 *   1. a journal naming the raw keys and table files goes to `state/batches/`;
 *   2. the raw objects are written, their metadata naming the batch;
 *   3. the table files are written; rows a changed refetch replaces are removed from
 *      the files that held them;
 *   4. the journal is deleted.
 * A journal still present at the next start (`recoverBatches`) is finished from the
 * raw objects that were committed, so a raw object never lacks its rows and no row
 * outlives a replaced or uncommitted body.
 */
export class TableBatcher {
  readonly #o: Required<Omit<BatcherOptions, 'stats'>> & Pick<BatcherOptions, 'stats'>;
  #pending: BatchEntry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #sequence = 0;
  #error: unknown;

  constructor(options: BatcherOptions) {
    this.#o = { maxItems: BATCH_DEFAULTS.maxItems, maxAgeMs: BATCH_DEFAULTS.maxAgeMs, ...options };
  }

  /**
   * Takes an entry; waits only when two batches are already waiting to be written
   * (backpressure), or, with batches of one, until the entry is committed (the plain loop).
   */
  async add(entry: BatchEntry): Promise<void> {
    if (this.#error) throw this.#error;
    this.#pending.push(entry);
    if (this.#pending.length >= this.#o.maxItems) this.#flush();
    else if (this.#pending.length === 1) {
      this.#timer = setTimeout(() => this.#flush(), this.#o.maxAgeMs);
      this.#timer.unref?.();
    }
    if (this.#queued >= 2 || this.#o.maxItems === 1) await this.#chain;
    if (this.#error) throw this.#error;
  }

  /** Commits what is pending and waits for every commit; throws the first commit's error. */
  async close(): Promise<void> {
    this.#flush();
    await this.#chain;
    if (this.#error) throw this.#error;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const entries = this.#pending.splice(0);
    if (entries.length === 0) return;
    this.#queued++;
    this.#chain = this.#chain
      .then(() => (this.#error ? undefined : this.#commit(entries)))
      .catch((e: unknown) => {
        this.#error ??= asFatal(e, 'cannot commit a batch');
      })
      .finally(() => this.#queued--);
  }

  async #commit(entries: BatchEntry[]): Promise<void> {
    const { store } = this.#o;
    const id = `${this.#o.runId}-${String(this.#sequence++).padStart(6, '0')}`;
    const files = groupChunks(entries, id);
    const replaced = entries.filter((e) => e.replaces).map((e) => ({ key: e.key, batch: e.replaces![BATCH_META] }));
    const journal: Journal = { id, raws: entries.map((e) => e.key), files: [...files.keys()], replaced };
    await store.put(journalKey(id), new TextEncoder().encode(JSON.stringify(journal)));
    await putAll(store, entries.map((e) => ({ key: e.key, body: e.rawGz, metadata: { ...e.metadata, [BATCH_META]: id } })));
    await writeFiles(files, this.#o);
    await removeRows(replaced, this.#o);
    await store.delete([journalKey(id)]);
    if (this.#o.stats) this.#o.stats.tableFiles += files.size;
    for (const e of entries) await e.committed();
  }
}

/**
 * Finishes the commits a stopped run left half done: each journal's table files are
 * written again from the raw objects that were committed under it (others are left
 * for the rerun to fetch), the rows they replace are removed, the journal goes.
 * Returns the number of batches recovered.
 */
export async function recoverBatches(o: Pick<BatcherOptions, 'store' | 'processor' | 'codec'>): Promise<number> {
  const journals: string[] = [];
  for await (const key of o.store.list(BATCH_PREFIX)) if (key.endsWith('.json')) journals.push(key);
  for (const key of journals) {
    const journal = readJournal(key, (await o.store.get(key))?.body);
    const committed: { key: string; chunks: TableChunk[] }[] = [];
    for (const raw of journal.raws) {
      const object = await o.store.get(raw);
      const item = itemFromRawKey(raw);
      // Only a body committed by this batch counts: an older version stays where its rows are.
      if (!object || !item || object.metadata[BATCH_META] !== journal.id) continue;
      const result = await processStored(item, raw, object, o.processor);
      committed.push({ key: raw, chunks: result.kind === 'accepted' ? result.chunks : [] });
    }
    const files = groupChunks(committed, journal.id);
    await writeFiles(files, o);
    const unwritten = journal.files.filter((f) => !files.has(f));
    if (unwritten.length > 0) await o.store.delete(unwritten);
    const keys = new Set(committed.map((c) => c.key));
    await removeRows(journal.replaced.filter((r) => keys.has(r.key)), o);
    await o.store.delete([key]);
  }
  return journals.length;
}

function readJournal(key: string, body: Uint8Array | undefined): Journal {
  try {
    const j = JSON.parse(new TextDecoder().decode(body)) as Journal;
    if (typeof j.id === 'string' && Array.isArray(j.raws) && Array.isArray(j.files) && Array.isArray(j.replaced)) return j;
  } catch {
    // reported below
  }
  throw new FatalError(`${key} is not a batch journal this version can finish (move it away to go on; the rows of the raw objects it names can be rebuilt with \`scraper reprocess\`)`);
}

type FileGroups = Map<string, { table: TableName; batches: Uint8Array[] }>;

/** Chunks by the table file they go to: per table and per partition date of their raw key. */
function groupChunks(entries: { key: string; chunks: TableChunk[] }[], batchId: string): FileGroups {
  const files: FileGroups = new Map();
  for (const e of entries) {
    for (const c of e.chunks) {
      const fileKey = batchFileKey(c.table, dtOfKey(e.key), batchId);
      let group = files.get(fileKey);
      if (!group) files.set(fileKey, (group = { table: c.table, batches: [] }));
      group.batches.push(c.batch);
    }
  }
  return files;
}

async function writeFiles(files: FileGroups, o: Pick<BatcherOptions, 'store' | 'processor'>): Promise<void> {
  await Promise.all([...files].map(async ([key, { table, batches }]) => o.store.put(key, await o.processor.encodeTable(table, batches))));
}

/**
 * Removes the rows of replaced raw objects from wherever they were written: a batch
 * file (named in the old metadata) or a file of their own (written per object by
 * `reprocess` or in AWS). Repeating it is harmless.
 */
async function removeRows(replaced: { key: string; batch?: string }[], o: Pick<BatcherOptions, 'store' | 'codec'>): Promise<void> {
  if (replaced.length === 0) return;
  const tables = Object.keys(TABLES) as TableName[];
  await o.store.delete(replaced.flatMap((r) => tables.map((t) => tableFileKey(t, r.key))));
  const byFile = new Map<string, { table: TableName; keys: Set<string> }>();
  for (const r of replaced) {
    if (!r.batch) continue;
    for (const table of tables) {
      const file = batchFileKey(table, dtOfKey(r.key), r.batch);
      let entry = byFile.get(file);
      if (!entry) byFile.set(file, (entry = { table, keys: new Set() }));
      entry.keys.add(r.key);
    }
  }
  for (const [file, { table, keys }] of byFile) {
    const stored = await o.store.get(file);
    if (!stored) continue;
    const rows = o.codec.decode(TABLES[table], stored.body);
    const kept = rows.filter((r) => !keys.has(String(r.source_key)));
    if (kept.length === rows.length) continue;
    if (kept.length === 0) await o.store.delete([file]);
    else await o.store.put(file, o.codec.encode(TABLES[table], kept, 'landing'));
  }
}
