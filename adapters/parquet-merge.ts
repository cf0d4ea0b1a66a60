/**
 * Compaction's side of Parquet: whole table files merged into one without building rows
 * (parquet.ts writes and reads rows).
 */
import { tableFromIPC } from 'apache-arrow';
import { ParquetFile, readParquet, RecordBatch as WasmRecordBatch, Table as WasmTable, transformParquetStream } from 'parquet-wasm';
import type { MergeInput, TableCodec } from '../core/ports.js';
import type { TableSchema } from '../core/tables.js';
import { decodeParquet, encodeRecordBatch, encoderOf, writerProperties, type ParquetProfile } from './parquet.js';

/** A table's schema in WebAssembly memory (an empty table of it), whose `schema` each merged batch is given. */
const emptyTables = new Map<TableSchema, WasmTable>();

function emptyTableOf(schema: TableSchema): WasmTable {
  let t = emptyTables.get(schema);
  if (!t) emptyTables.set(schema, (t = WasmTable.fromIPCStream(encoderOf(schema).stream([encodeRecordBatch(schema, [])]))));
  return t;
}

/**
 * One column of a file, read alone: `ParquetFile.read` reads only the columns asked for
 * (`readParquet` in parquet-wasm 0.8 reads them all, whatever `columns` says).
 */
async function columnOf(bytes: Uint8Array, column: string) {
  const file = await ParquetFile.fromFile(new Blob([bytes]));
  try {
    if (!hasColumn(file, column)) return undefined;
    const table = await file.read({ columns: [column] });
    return tableFromIPC(table.intoIPCStream()).getChild(column);
  } finally {
    file.free();
  }
}

/** Whether a file has a column: one of an older layout may not (and then has none of its values). */
function hasColumn(file: ParquetFile, column: string): boolean {
  const schema = file.schema();
  try {
    schema.indexOf(column);
    return true;
  } catch {
    return false;
  } finally {
    schema.free();
  }
}

/** Rows of a file, from its footer. */
async function rowsIn(bytes: Uint8Array): Promise<number> {
  const file = await ParquetFile.fromFile(new Blob([bytes]));
  try {
    return file.metadata().fileMetadata().numRows();
  } finally {
    file.free();
  }
}

/** Row ranges [start, end) of a file whose `source_key` is not in `drop`. */
async function keptRanges(bytes: Uint8Array, drop: ReadonlySet<string>): Promise<[number, number][]> {
  const keys = await columnOf(bytes, 'source_key');
  const ranges: [number, number][] = [];
  const n = keys?.length ?? 0;
  for (let i = 0; i < n; i++) {
    if (drop.has(String(keys!.get(i)))) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i, i + 1]);
  }
  return ranges;
}

/** A file's record batches, given the table's schema (or built again through rows for an older layout), without the dropped rows. */
async function mergeBatches(schema: TableSchema, target: WasmTable, input: MergeInput): Promise<WasmRecordBatch[]> {
  const { bytes, drop } = input;
  const table = readParquet(bytes);
  const read = table.recordBatches();
  table.free();
  const conformed: WasmRecordBatch[] = [];
  try {
    for (const b of read) conformed.push(b.withSchema(target.schema));
  } catch {
    for (const b of conformed) b.free();
    conformed.length = 0;
  } finally {
    for (const b of read) b.free();
  }
  if (conformed.length === 0 && read.length > 0) {
    const rows = decodeParquet(schema, bytes).filter((r) => !drop?.has(String(r.source_key)));
    const own = WasmTable.fromIPCStream(encoderOf(schema).stream([encodeRecordBatch(schema, rows)]));
    const batches = own.recordBatches();
    own.free();
    return batches;
  }
  if (!drop || drop.size === 0) return conformed;
  const keep = await keptRanges(bytes, drop);
  const out: WasmRecordBatch[] = [];
  let offset = 0;
  for (const b of conformed) {
    const n = b.numRows;
    for (const [start, end] of keep) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + n);
      if (from < to) out.push(b.slice(from - offset, to - from));
    }
    offset += n;
    b.free();
  }
  return out;
}

/**
 * Whole Parquet files of one table → one file, without leaving WebAssembly: each file's
 * record batches go straight into a streaming writer (sliced where rows are dropped), so no
 * row is built and only a row group at a time is held (compaction's hot path: rows cost ~5×
 * the CPU and memory). A file written with another layout (an older schema) is brought to
 * the table's through rows. parquet-wasm's streaming writer ends quietly at a failed batch,
 * so a failure is rethrown here and the file written must hold every row given to it.
 */
export async function concatParquet(
  schema: TableSchema,
  inputs: readonly MergeInput[],
  profile: ParquetProfile = 'compacted',
): Promise<{ bytes: Uint8Array; rows: number }> {
  const target = emptyTableOf(schema);
  let rows = 0;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const batches = new ReadableStream<WasmRecordBatch>({
    start(controller) {
      // The writer takes its schema from the first batch: the table's own, even if no file has rows.
      for (const b of target.recordBatches()) controller.enqueue(b);
    },
    async pull(controller) {
      try {
        const input = inputs[next++];
        if (input === undefined) return controller.close();
        for (const b of await mergeBatches(schema, target, input)) {
          rows += b.numRows;
          controller.enqueue(b);
        }
      } catch (error) {
        failure = { error };
        controller.error(error);
      }
    },
  });
  const chunks: Uint8Array[] = [];
  let written: unknown;
  try {
    for await (const chunk of await transformParquetStream(batches, writerProperties(schema, profile))) chunks.push(chunk as Uint8Array);
  } catch (e) {
    written = e;
  }
  // A batch that failed is the cause of whatever the writer then did.
  if (failure) throw failure.error;
  if (written !== undefined) throw written;
  const bytes = Buffer.concat(chunks);
  const held = await rowsIn(bytes);
  if (held !== rows) throw new Error(`parquet: the merged file holds ${held} of the ${rows} rows given to it`);
  return { bytes, rows };
}

/** The distinct `source_key`s of a file's rows (that column alone is read). */
export async function sourceKeysOf(bytes: Uint8Array): Promise<Set<string>> {
  const keys = new Set<string>();
  const vector = await columnOf(bytes, 'source_key');
  if (vector) for (let i = 0; i < vector.length; i++) keys.add(String(vector.get(i)));
  return keys;
}

/** Whole files merged, for compaction. */
export const parquetCodec: TableCodec = { concat: concatParquet, sourceKeys: sourceKeysOf };
