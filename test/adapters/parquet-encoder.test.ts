import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bool, DateDay, Field, Float64, Int32, Int64, List, TimestampMicrosecond, Utf8, tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpcStreamEncoder } from '../../adapters/arrow-ipc.js';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { concatParquet } from '../../adapters/parquet-merge.js';
import { decodeParquet, encodeParquet, encodeRecordBatch, parquetFromBatches, type ParquetProfile } from '../../adapters/parquet.js';
import { TABLES, type Row, type TableSchema } from '../../core/tables.js';

const bidRow: Row = { auction_id: 1, item_id: 2, position: 0, bid_at: 0, amount: 1, is_proxy: false, source_key: 'k', fetched_at: 0 };

/** One column of every type the tables use; the name only has to be one the writer accepts. */
const ALL_TYPES: TableSchema = {
  name: 'maxsold_items',
  doc: 'every column type',
  identity: ['n'],
  rules: [],
  columns: [
    { name: 'n', type: 'int32', doc: 'row number' },
    { name: 's', type: 'string', doc: '' },
    { name: 'i32', type: 'int32', doc: '' },
    { name: 'i64', type: 'int64', doc: '' },
    { name: 'f64', type: 'float64', doc: '' },
    { name: 'b', type: 'bool', doc: '' },
    { name: 'ts', type: 'timestamp', doc: '' },
    { name: 'd', type: 'date', doc: '' },
    { name: 'l', type: 'string_list', doc: '' },
  ],
};

const row = (values: Partial<Row>): Row => ({ s: null, i32: null, i64: null, f64: null, b: null, ts: null, d: null, l: [], ...values });
const MAX_TIMESTAMP_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** More than 8 rows, so validity bitmaps span bytes; values chosen at the edges of each type. */
const ROWS: Row[] = [
  row({ s: 'plain', i32: 7, i64: 42, f64: 1.5, b: true, ts: 1_700_000_000_123, d: 19_700, l: ['a', 'b'] }),
  row({ s: '', i32: 0, i64: 0, f64: 0, b: false, ts: 0, d: 0, l: [] }),
  row({}),
  row({
    s: 'é 日本 😀',
    i32: 2_147_483_647,
    i64: Number.MAX_SAFE_INTEGER,
    f64: Number.MAX_VALUE,
    b: true,
    ts: MAX_TIMESTAMP_MS,
    d: 2_932_896,
    l: ['', 'é', '😀'],
  }),
  row({
    s: '\uFEFFstarts with a BOM',
    i32: -2_147_483_648,
    i64: Number.MIN_SAFE_INTEGER,
    f64: -Number.MIN_VALUE,
    b: false,
    ts: -1,
    d: -1,
    l: [''],
  }),
  row({ s: 'nul \u0000 inside', i64: 4_294_967_296, f64: -0.1, ts: -MAX_TIMESTAMP_MS }),
  row({ s: 'a', i64: -4_294_967_296, ts: 1 }),
  row({ s: 'ab', i64: 4_294_967_295, l: ['x'.repeat(70_000)] }),
  row({ i64: -4_294_967_297, b: true }),
  row({ s: 'x'.repeat(100_000), i64: 2_147_483_648, i32: -1 }),
  row({ i64: -1, d: 10_957 }),
].map((r, n) => ({ n, ...r }));

describe('Parquet encoder: rows → Parquet → decodeParquet', () => {
  it.each<ParquetProfile>(['landing', 'compacted'])(
    'every column type, nulls, empty values and extremes survive (%s profile)',
    (profile) => {
      expect(decodeParquet(ALL_TYPES, encodeParquet(ALL_TYPES, ROWS, profile))).toEqual(ROWS);
    },
  );

  it('record batches of several bodies make one file with every row in order', () => {
    const file = parquetFromBatches(ALL_TYPES, [
      encodeRecordBatch(ALL_TYPES, ROWS.slice(0, 4)),
      encodeRecordBatch(ALL_TYPES, []),
      encodeRecordBatch(ALL_TYPES, ROWS.slice(4)),
    ]);
    expect(decodeParquet(ALL_TYPES, file)).toEqual(ROWS);
  });

  it('whole files merged at the Arrow level (compaction) keep every row and value, in order, from either profile', async () => {
    const merged = await concatParquet(
      ALL_TYPES,
      [
        encodeParquet(ALL_TYPES, ROWS.slice(0, 4), 'landing'),
        encodeParquet(ALL_TYPES, [], 'landing'),
        encodeParquet(ALL_TYPES, ROWS.slice(4), 'compacted'),
      ].map((bytes) => ({ bytes })),
    );
    expect(merged.rows).toBe(ROWS.length);
    expect(decodeParquet(ALL_TYPES, merged.bytes)).toEqual(ROWS);
  });

  it('a file of an older layout (lacking a column) is merged too, the column null in its rows', async () => {
    const narrow: TableSchema = { ...ALL_TYPES, columns: ALL_TYPES.columns.slice(0, 2) };
    const merged = await concatParquet(ALL_TYPES, [
      { bytes: encodeParquet(narrow, [{ n: 100, s: 'old' }]) },
      { bytes: encodeParquet(ALL_TYPES, ROWS) },
    ]);
    expect(decodeParquet(ALL_TYPES, merged.bytes)).toEqual([row({ n: 100, s: 'old' }), ...ROWS]);
  });

  it("leaves out the rows of the raw objects dropped, wherever they are in a file's batches", async () => {
    const schema = TABLES.maxsold_bids;
    const rows = Array.from({ length: 3000 }, (_, i): Row => ({
      auction_id: 1,
      item_id: i,
      position: 0,
      bid_at: 0,
      amount: i,
      is_proxy: false,
      source_key: `k${Math.floor(i / 7) % 5}`,
      fetched_at: 0,
    }));
    // 3,000 rows read back in batches of 1,024: runs of 7 rows per key cross the batch boundaries.
    const merged = await concatParquet(schema, [{ bytes: encodeParquet(schema, rows), drop: new Set(['k1', 'k3']) }]);
    const want = rows.filter((r) => r.source_key !== 'k1' && r.source_key !== 'k3');
    expect(merged.rows).toBe(want.length);
    expect(decodeParquet(schema, merged.bytes)).toEqual(want);
  });

  it('fails, rather than write a shorter file, when one of the files cannot be merged', async () => {
    const schema = TABLES.maxsold_bids;
    const bid = (amount: number, auction: number): Row => ({ ...bidRow, amount, auction_id: auction });
    // An older layout (auction_id as a float) that does not fit the table's int64: only rows could carry it, and they cannot.
    const floatIds: TableSchema = {
      ...schema,
      columns: schema.columns.map((c) => (c.name === 'auction_id' ? { ...c, type: 'float64' } : c)),
    };
    await expect(
      concatParquet(schema, [
        { bytes: encodeParquet(schema, [bid(1, 1)]) },
        { bytes: encodeParquet(floatIds, [bid(2, 1.5)]) },
        { bytes: encodeParquet(schema, [bid(3, 1)]) },
      ]),
    ).rejects.toThrow('auction_id: 1.5 does not fit int64');
  });

  it('merging no rows at all still makes a file of the table', async () => {
    const merged = await concatParquet(ALL_TYPES, [{ bytes: encodeParquet(ALL_TYPES, []) }]);
    expect(merged.rows).toBe(0);
    expect(decodeParquet(ALL_TYPES, merged.bytes)).toEqual([]);
  });

  it('an absent or null list is stored as an empty one', () => {
    const rows: Row[] = [
      { ...row({}), n: 0, l: null },
      { n: 1, s: 'no list key' },
    ];
    expect(decodeParquet(ALL_TYPES, encodeParquet(ALL_TYPES, rows)).map((r) => r.l)).toEqual([[], []]);
  });

  it('a column the file lacks reads as null (an empty list for a list)', () => {
    const narrow: TableSchema = { ...ALL_TYPES, columns: ALL_TYPES.columns.slice(0, 2) };
    const decoded = decodeParquet(ALL_TYPES, encodeParquet(narrow, [{ n: 1, s: 'x' }]));
    expect(decoded).toEqual([row({ n: 1, s: 'x' })]);
  });

  it.each([
    ['an int32 past 2^31', { i32: 2_147_483_648 }, 'i32: 2147483648 does not fit int32'],
    ['a fractional int32', { i32: 1.5 }, 'i32: 1.5 does not fit int32'],
    ['an int64 past 2^53', { i64: 2 ** 53 }, 'i64: 9007199254740992 does not fit int64'],
    ['a timestamp whose microseconds pass 2^53', { ts: MAX_TIMESTAMP_MS + 1 }, `ts: ${MAX_TIMESTAMP_MS + 1} does not fit timestamp`],
    ['a fractional date', { d: 0.5 }, 'd: 0.5 does not fit date'],
  ])('refuses %s rather than write a wrapped number', (_name, values, message) => {
    expect(() => encodeParquet(ALL_TYPES, [row({ n: 0, ...values })])).toThrow(new RangeError(message));
  });
});

describe('Arrow IPC stream, read by apache-arrow itself', () => {
  const fields = [
    new Field('n', new Int32(), true),
    new Field('s', new Utf8(), true),
    new Field('i32', new Int32(), true),
    new Field('i64', new Int64(), true),
    new Field('f64', new Float64(), true),
    new Field('b', new Bool(), true),
    new Field('ts', new TimestampMicrosecond('UTC'), true),
    new Field('d', new DateDay(), true),
    new Field('l', new List(new Field('item', new Utf8(), true)), true),
  ];

  it('a stream of record batches has the schema, every batch and every value', () => {
    const encoder = new IpcStreamEncoder(fields);
    const table = tableFromIPC(
      encoder.stream([encodeRecordBatch(ALL_TYPES, ROWS.slice(0, 5)), encodeRecordBatch(ALL_TYPES, ROWS.slice(5))]),
    );
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(fields.map((f) => `${f.name}:${String(f.type)}`));
    expect(table.batches.map((b) => b.numRows)).toEqual([5, ROWS.length - 5]);
    // apache-arrow's decoder drops a leading U+FEFF (why decodeParquet reads strings itself).
    expect(table.getChild('s')!.toArray()).toEqual(ROWS.map((r) => (r.s as string | null)?.replace(/^\uFEFF/, '') ?? null));
    expect(Array.from(table.getChild('i64')!, (v) => (v === null ? null : Number(v)))).toEqual(ROWS.map((r) => r.i64));
    expect(Array.from(table.getChild('b')!)).toEqual(ROWS.map((r) => r.b));
    expect(Array.from(table.getChild('l')!, (v) => Array.from(v as Iterable<string>))).toEqual(ROWS.map((r) => r.l));
  });

  it('a stream without batches is an empty table of the schema', () => {
    const table = tableFromIPC(new IpcStreamEncoder(fields).stream([]));
    expect([table.numRows, table.numCols]).toEqual([0, fields.length]);
  });
});

describe('Parquet encoder: read back through DuckDB', () => {
  let dir: string;
  let db: TableQuery;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parquet-encoder-'));
    writeFileSync(join(dir, 'all-types.parquet'), encodeParquet(ALL_TYPES, ROWS));
    writeFileSync(
      join(dir, 'merged.parquet'),
      (
        await concatParquet(ALL_TYPES, [
          { bytes: encodeParquet(ALL_TYPES, ROWS.slice(0, 5)) },
          { bytes: encodeParquet(ALL_TYPES, ROWS.slice(5)) },
        ])
      ).bytes,
    );
    db = await TableQuery.open(dir, { externalAccess: true });
  });
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = () => `read_parquet('${join(dir, 'all-types.parquet')}')`;

  it('each column has its SQL type', async () => {
    const r = await db.query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${file()})`);
    expect(Object.fromEntries(r.rows as [string, string][])).toEqual({
      n: 'INTEGER',
      s: 'VARCHAR',
      i32: 'INTEGER',
      i64: 'BIGINT',
      f64: 'DOUBLE',
      b: 'BOOLEAN',
      ts: 'TIMESTAMP WITH TIME ZONE',
      d: 'DATE',
      l: 'VARCHAR[]',
    });
  });

  it('every value reads as written: int64 and timestamps exact, dates as days, nulls as NULL', async () => {
    // Integers, timestamps and dates as text, so no value passes through a float on the way back; strings
    // as their UTF-8 bytes, because the DuckDB client's JSON drops a leading U+FEFF that the file holds.
    const r = await db.query(
      `SELECT n, to_base64(encode(s)), i32, CAST(i64 AS VARCHAR), f64, b, CAST(epoch_ms(ts) AS VARCHAR), CAST(d - DATE '1970-01-01' AS VARCHAR), l FROM ${file()} ORDER BY n`,
    );
    const text = (v: unknown) => (v === null ? null : String(v));
    const utf8 = (v: unknown) => (v === null ? null : Buffer.from(v as string).toString('base64'));
    const want = ROWS.map((w) => [w.n, utf8(w.s), w.i32, text(w.i64), w.f64, w.b, text(w.ts), text(w.d), w.l]);
    for (let i = 0; i < want.length; i++) expect(r.rows[i]).toEqual(want[i]);
  });

  it('a file merged from others (compaction) reads exactly as one written from the rows', async () => {
    const all = (f: string) =>
      `SELECT n, to_base64(encode(s)), i32, CAST(i64 AS VARCHAR), f64, b, CAST(epoch_ms(ts) AS VARCHAR), d, l FROM read_parquet('${join(dir, f)}') ORDER BY n`;
    const types = (f: string) => `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${join(dir, f)}'))`;
    expect((await db.query(all('merged.parquet'))).rows).toEqual((await db.query(all('all-types.parquet'))).rows);
    expect((await db.query(types('merged.parquet'))).rows).toEqual((await db.query(types('all-types.parquet'))).rows);
  });

  it('a timestamp is the UTC instant: 1969-12-31 23:59:59.999 for -1 ms', async () => {
    const r = await db.query(`SELECT strftime(ts, '%Y-%m-%d %H:%M:%S.%g'), CAST(d AS VARCHAR) FROM ${file()} WHERE n = 4`);
    expect(r.rows).toEqual([['1969-12-31 23:59:59.999', '1969-12-31']]);
  });
});
