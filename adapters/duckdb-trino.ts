import type { TableQuery } from './duckdb-query.js';
import { TABLE_NAMES } from '../core/tables.js';

/**
 * Just enough Trino for the named Athena queries to run on DuckDB as they are written:
 * the Glue database as a schema of views over the local tables (`dt` a yyyy-MM-dd string,
 * as the Glue tables declare their partition column), and the Trino functions
 * they use that DuckDB spells differently. `max_by`, `count_if`, `round`, `INTERVAL 'n'
 * DAY` and `current_timestamp` are the same in both.
 */
export const TRINO_FUNCTIONS = [
  // Trino's MySQL-style pattern; the queries use %Y-%m-%d, which strftime reads the same.
  'CREATE OR REPLACE MACRO date_format(d, pattern) AS strftime(d, pattern)',
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)',
];

/** Makes `<database>.<table>` and the Trino functions resolve in this DuckDB session. */
export async function speakTrino(db: TableQuery, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new TypeError(`database: expected a lower-case SQL identifier, got "${database}"`);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${database}`);
  for (const table of TABLE_NAMES)
    await db.query(`CREATE OR REPLACE VIEW ${database}.${table} AS SELECT * REPLACE (CAST(dt AS VARCHAR) AS dt) FROM main.${table}`);
  for (const statement of TRINO_FUNCTIONS) await db.query(statement);
}
