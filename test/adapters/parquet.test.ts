import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParquet, encodeParquet } from '../../adapters/parquet.js';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { tableFileKey } from '../../core/raw-key.js';
import { TABLES, TABLE_NAMES, type Row, type TableName } from '../../core/tables.js';
import { normalisedFixtures } from '../helpers/normalised.js';

const fixtures = normalisedFixtures();
const expected: Record<string, Row[]> = {};
let dir: string;
let db: TableQuery;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-test-'));
  for (const f of fixtures) {
    for (const [table, rows] of Object.entries(f.tables) as [TableName, Row[]][]) {
      const key = tableFileKey(table, (rows[0]?.source_key as string) ?? '');
      const path = join(dir, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, encodeParquet(TABLES[table], rows));
      (expected[table] ??= []).push(...rows);
    }
  }
  db = await TableQuery.open(dir);
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A select list that turns every column back into the plain values normalisers produce. */
function plainSelect(table: TableName): string {
  return TABLES[table].columns
    .map((c) => {
      if (c.type === 'timestamp') return `CAST(epoch_ms(${c.name}) AS DOUBLE) AS ${c.name}`;
      if (c.type === 'date') return `CAST(${c.name} - DATE '1970-01-01' AS DOUBLE) AS ${c.name}`;
      if (c.type === 'int64') return `CAST(${c.name} AS DOUBLE) AS ${c.name}`;
      return c.name;
    })
    .join(', ');
}

describe('Parquet written with parquet-wasm, read back through DuckDB', () => {
  for (const table of TABLE_NAMES) {
    it(`${table}: every row and value survives`, async () => {
      const rows = expected[table]!;
      expect(rows.length).toBeGreaterThan(0);
      const cols = TABLES[table].columns.map((c) => c.name);
      const order = TABLES[table].identity.concat(table.startsWith('via') ? ['snapshot_at'] : []).join(', ');
      const result = await db.query(`SELECT ${plainSelect(table)} FROM ${table} ORDER BY ${order}`);
      expect(result.columns).toEqual(cols);
      const got = result.rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
      const key = (r: Record<string, unknown>) =>
        TABLES[table].identity
          .concat(['snapshot_at'])
          .map((c) => String(r[c]))
          .join('|');
      const want = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      got.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      expect(got).toEqual(JSON.parse(JSON.stringify(want)));
    });
  }

  it('columns have the declared SQL types and the partition column dt', async () => {
    const r = await db.query(
      "SELECT column_name, column_type FROM (DESCRIBE maxsold_items) WHERE column_name IN ('auction_id','current_bid','end_at','images','dt')",
    );
    expect(Object.fromEntries(r.rows as [string, string][])).toEqual({
      auction_id: 'BIGINT',
      current_bid: 'DOUBLE',
      end_at: 'TIMESTAMP WITH TIME ZONE',
      images: 'VARCHAR[]',
      dt: 'DATE',
    });
  });

  it('decodeParquet returns the rows that were encoded', () => {
    for (const f of fixtures) {
      for (const [table, rows] of Object.entries(f.tables) as [TableName, Row[]][]) {
        expect(decodeParquet(TABLES[table], encodeParquet(TABLES[table], rows))).toEqual(rows);
      }
    }
  });

  it('an empty row list writes a valid empty file', () => {
    expect(decodeParquet(TABLES.maxsold_bids, encodeParquet(TABLES.maxsold_bids, []))).toEqual([]);
  });
});
