import {
  Bool,
  DateDay,
  Field,
  type Data,
  Float64,
  Int32,
  Int64,
  List,
  TimestampMicrosecond,
  Utf8,
  tableFromIPC,
  type DataType,
} from 'apache-arrow';
import {
  Compression,
  EnabledStatistics,
  readParquet,
  Table as WasmTable,
  writeParquet,
  WriterPropertiesBuilder,
  type WriterProperties,
} from 'parquet-wasm';
import { TABLES, type Column, type ColumnType, type Row, type TableName, type TableSchema } from '../core/tables.js';
import { IpcStreamEncoder, type ArrayBuffers } from './arrow-ipc.js';

/**
 * Two kinds of file, measured (see docs/performance.md):
 * - `landing`: written while fetching, one per batch of bodies (or per raw object
 *   where each object is its own trigger, as in AWS). Snappy, no
 *   dictionary, min/max statistics only on non-text columns: 0.37 ms for a 117-row
 *   item file, where zstd with dictionaries and full statistics takes 1.8 ms (zstd
 *   sets up a context per column chunk, which dominates at this size; dictionaries
 *   make such small files larger; min/max over long text costs half the write).
 * - `compacted`: a partition merged by `compact`, the file queries read for good.
 *   Zstd with dictionaries and statistics everywhere, where they pay off.
 */
export type ParquetProfile = 'landing' | 'compacted';

/** Rows per row group of a compacted file: what a streaming merge holds at once, and what a reader can skip by its statistics. */
const COMPACTED_ROW_GROUP = 128 * 1024;

export function writerProperties(schema: TableSchema, profile: ParquetProfile): WriterProperties {
  let b = new WriterPropertiesBuilder().setCreatedBy('api-scraper');
  if (profile === 'compacted')
    return b
      .setCompression(Compression.ZSTD)
      .setDictionaryEnabled(true)
      .setStatisticsEnabled(EnabledStatistics.Chunk)
      .setMaxRowGroupSize(COMPACTED_ROW_GROUP)
      .build();
  b = b.setCompression(Compression.SNAPPY).setDictionaryEnabled(false).setStatisticsEnabled(EnabledStatistics.None);
  for (const c of schema.columns)
    if (c.type !== 'string' && c.type !== 'string_list') b = b.setColumnStatisticsEnabled(c.name, EnabledStatistics.Chunk);
  return b.build();
}

/** One IPC encoder per table schema: its schema message is encoded once. */
const encoders = new Map<TableSchema, IpcStreamEncoder>();

export function encoderOf(schema: TableSchema): IpcStreamEncoder {
  let encoder = encoders.get(schema);
  if (!encoder)
    encoders.set(schema, (encoder = new IpcStreamEncoder(schema.columns.map((c) => new Field(c.name, arrowType(c.type), true)))));
  return encoder;
}

/**
 * Rows → one Arrow IPC record batch, its columns built directly into typed arrays
 * (no per-value `vectorFromArray`); batches of many bodies make one Parquet file
 * (`parquetFromBatches`).
 */
export function encodeRecordBatch(schema: TableSchema, rows: Row[]): Uint8Array {
  return encoderOf(schema).recordBatch(
    rows.length,
    schema.columns.map((c) => buildColumn(c, rows)),
  );
}

/** Record batches of one table (from any number of bodies) → one Parquet file, by parquet-wasm. */
export function parquetFromBatches(schema: TableSchema, batches: readonly Uint8Array[], profile: ParquetProfile = 'landing'): Uint8Array {
  return writeParquet(WasmTable.fromIPCStream(encoderOf(schema).stream(batches)), writerProperties(schema, profile));
}

/** One table's rows → its table file (landing profile): what a fetch or a rebuild writes per raw object. */
export function encodeTableFile(table: TableName, rows: Row[]): Uint8Array {
  return encodeParquet(TABLES[table], rows);
}

/** Rows → Parquet. */
export function encodeParquet(schema: TableSchema, rows: Row[], profile: ParquetProfile = 'landing'): Uint8Array {
  return parquetFromBatches(schema, [encodeRecordBatch(schema, rows)], profile);
}

/** Parquet bytes → rows in the same shape normalisers produce (timestamps as epoch ms). */
export function decodeParquet(schema: TableSchema, bytes: Uint8Array): Row[] {
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  const rows: Row[] = Array.from({ length: table.numRows }, () => ({}));
  for (const c of schema.columns) {
    const vector = table.getChild(c.name);
    if (!vector) for (const row of rows) row[c.name] = fromArrow(c.type, null);
    else if (c.type === 'string' || c.type === 'string_list') {
      let at = 0;
      for (const data of vector.data as Data[]) {
        for (let i = 0; i < data.length; i++) {
          const row = rows[at++];
          if (row === undefined) throw new TypeError(`parquet: column ${c.name} holds more values than the file's ${rows.length} rows`);
          row[c.name] = c.type === 'string' ? stringAt(data, i) : listAt(data, i);
        }
      }
    } else for (let i = 0; i < rows.length; i++) rows[i]![c.name] = fromArrow(c.type, vector.get(i));
  }
  return rows;
}

/**
 * Strings are decoded here, not by apache-arrow, whose decoder drops a U+FEFF at the
 * start of a value (a byte order mark to it; text here): compaction would lose it.
 */
const TEXT = new TextDecoder('utf-8', { ignoreBOM: true });

function stringAt(data: Data, i: number): string | null {
  if (!data.getValid(i)) return null;
  return TEXT.decode((data.values as Uint8Array).subarray(data.valueOffsets[i], data.valueOffsets[i + 1]));
}

function listAt(data: Data, i: number): string[] {
  if (!data.getValid(i)) return [];
  const strings = data.children[0];
  if (strings === undefined) throw new TypeError('parquet: a list column without its values');
  const out: string[] = [];
  for (let j = data.valueOffsets[i]; j < data.valueOffsets[i + 1]; j++) out.push(stringAt(strings, j) as string);
  return out;
}

function fromArrow(type: ColumnType, v: unknown): Row[string] {
  if (v === null || v === undefined) return type === 'string_list' ? [] : null;
  switch (type) {
    case 'int64':
      return Number(v as bigint);
    case 'timestamp':
      return Math.round(Number(v));
    case 'date':
      return Math.round(Number(v) / 86_400_000);
    case 'string_list':
      return Array.from(v as Iterable<string>);
    default:
      return v as Row[string];
  }
}

function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'string':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'timestamp':
      return new TimestampMicrosecond('UTC');
    case 'date':
      return new DateDay();
    case 'string_list':
      return new List(new Field('item', new Utf8(), true));
  }
}

/** Validity bitmap of a column; empty when nothing is null (Arrow allows omitting it). */
function validity(rows: Row[], name: string): { bitmap: Uint8Array; nulls: number } {
  const n = rows.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name];
    if (v === null || v === undefined) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap: nulls === 0 ? EMPTY : bitmap, nulls };
}

const EMPTY = new Uint8Array(0);
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** One column's Arrow buffers, built straight from the row values into typed arrays. */
function buildColumn(c: Column, rows: Row[]): ArrayBuffers {
  const n = rows.length;
  const name = c.name;
  const { bitmap, nulls } = validity(rows, name);
  switch (c.type) {
    case 'string': {
      const { offsets, data } = utf8(rows.map((r) => (r[name] as string | null) ?? null));
      return { length: n, nullCount: nulls, buffers: [bitmap, bytes(offsets), data] };
    }
    case 'int32':
    case 'date': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = (rows[i]![name] as number | null) ?? 0;
        if (v !== (v | 0)) throw outOfRange(c, v);
        data[i] = v;
      }
      return { length: n, nullCount: nulls, buffers: [bitmap, bytes(data)] };
    }
    case 'float64': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = (rows[i]![name] as number | null) ?? 0;
      return { length: n, nullCount: nulls, buffers: [bitmap, bytes(data)] };
    }
    case 'int64':
    case 'timestamp': {
      // Little-endian 64-bit integers written as two 32-bit words: no BigInt per value.
      const words = new Int32Array(n * 2);
      const scale = c.type === 'timestamp' ? 1000 : 1;
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name] as number | null | undefined;
        if (v === null || v === undefined) continue;
        const x = v * scale;
        if (!Number.isSafeInteger(x)) throw outOfRange(c, v);
        const hi = Math.floor(x / 4294967296);
        words[2 * i] = (x - hi * 4294967296) | 0;
        words[2 * i + 1] = hi | 0;
      }
      return { length: n, nullCount: nulls, buffers: [bitmap, bytes(words)] };
    }
    case 'bool': {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (rows[i]![name]) data[i >> 3]! |= 1 << (i & 7);
      return { length: n, nullCount: nulls, buffers: [bitmap, data] };
    }
    case 'string_list': {
      // A list is never null here: an absent list is an empty one.
      const offsets = new Int32Array(n + 1);
      const flat: string[] = [];
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (Array.isArray(v)) for (const x of v) flat.push(x);
        offsets[i + 1] = flat.length;
      }
      const child = utf8(flat);
      return {
        length: n,
        nullCount: 0,
        buffers: [EMPTY, bytes(offsets)],
        children: [{ length: flat.length, nullCount: 0, buffers: [EMPTY, bytes(child.offsets), child.data] }],
      };
    }
  }
}

/**
 * A value the column cannot hold exactly. The field readers keep values in range, so this
 * is a bug: the body is quarantined with this reason rather than a wrapped number written.
 */
function outOfRange(c: Column, v: unknown): RangeError {
  return new RangeError(`${c.name}: ${String(v)} does not fit ${c.type}`);
}

/** UTF-8 bytes and offsets of a string column, written straight into one buffer. */
function utf8(values: (string | null)[]): { offsets: Int32Array; data: Uint8Array } {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let capacity = 0;
  for (let i = 0; i < n; i++) capacity += values[i]?.length ?? 0;
  const buffer = Buffer.allocUnsafe(capacity * 3);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s) at += buffer.write(s, at, 'utf8');
    offsets[i + 1] = at;
  }
  return { offsets, data: new Uint8Array(buffer.buffer, buffer.byteOffset, at) };
}
