import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TABLES, TABLE_NAMES, type ColumnType, type TableSchema } from '../core/tables.js';
import { damagedParquetFiles } from './parquet-check.js';

export interface QueryResult {
  columns: string[];
  /** Each column's DuckDB type, as DuckDB names it (`BIGINT`, `TIMESTAMP WITH TIME ZONE`). */
  types: string[];
  rows: unknown[][];
}

const SQL_TYPE: Record<ColumnType, string> = {
  string: 'VARCHAR',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  timestamp: 'TIMESTAMPTZ',
  date: 'DATE',
  string_list: 'VARCHAR[]',
};

export interface QueryOptions {
  /**
   * Let SQL reach past the tables: read and write any file, load extensions, use the
   * network (`COPY … TO 'out.csv'`, `read_csv('other.csv')`). Off, external access is
   * disabled once the views exist, and only the data directory's tables can be read. @default false
   */
  externalAccess?: boolean;
}

/**
 * DuckDB over a data directory: a view per table over its Parquet files
 * (`dt` from the partition path) and a `<table>_latest` view with the newest
 * row per entity, because rows are snapshots.
 */
export class TableQuery {
  /**
   * Tables DuckDB could not read as they are: read without their damaged files (`leftOut`, a
   * file cut short, say), or, failing that, left out; with why, so the rest still answers.
   */
  readonly unreadable: { table: string; reason: string; leftOut?: string[] }[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(dataDir: string, options: QueryOptions = {}): Promise<TableQuery> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const q = new TableQuery(instance, connection);
    await connection.run("SET TimeZone = 'UTC'");
    const tables = join(resolve(dataDir), 'tables');
    for (const name of TABLE_NAMES) {
      const dir = join(tables, name);
      try {
        await q.createViews(TABLES[name], dir);
      } catch (e) {
        const reason = (e as Error).message.split('\n')[0]!;
        const damaged = damagedParquetFiles(dir);
        const whole = readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.parquet') && !damaged.includes(f));
        try {
          if (damaged.length === 0 || whole.length === 0) throw e;
          await q.createViews(TABLES[name], dir, whole);
          q.unreadable.push({ table: name, reason, leftOut: damaged.map((f) => join(dir, f)) });
        } catch {
          q.unreadable.push({ table: name, reason });
        }
      }
    }
    if (!options.externalAccess) {
      // The views keep reading the tables (DuckDB checks the glob as written, then each file it finds); nothing
      // else on disk or the network can be reached, and the SQL cannot undo it.
      const allowed = [...new Set([tables + sep, globLiteral(tables) + sep])].map(sqlString).join(', ');
      await connection.run(`SET allowed_directories = [${allowed}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    }
    return q;
  }

  /** The table's view over every file under `dir`, or over `files` (paths relative to it) only. */
  private async createViews(schema: TableSchema, dir: string, files?: string[]): Promise<void> {
    const hasFiles = existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
    if (hasFiles) {
      const from = files
        ? `[${files.map((f) => sqlString(join(dir, f))).join(', ')}]`
        : sqlString(join(globLiteral(dir), '*', '*.parquet'));
      await this.connection.run(
        `CREATE VIEW ${schema.name} AS SELECT * FROM read_parquet(${from}, hive_partitioning = true, union_by_name = true)`,
      );
    } else {
      const cols = schema.columns.map((c) => `${c.name} ${SQL_TYPE[c.type]}`).join(', ');
      await this.connection.run(`CREATE TABLE ${schema.name} (${cols}, dt DATE)`);
    }
    const identity = schema.identity.join(', ');
    await this.connection.run(
      `CREATE VIEW ${schema.name}_latest AS SELECT * FROM ${schema.name} QUALIFY row_number() OVER (PARTITION BY ${identity} ORDER BY fetched_at DESC) = 1`,
    );
  }

  /** One statement: DuckDB would run several and show only one's result. */
  async query(sql: string): Promise<QueryResult> {
    const statements = await this.connection.extractStatements(sql);
    if (statements.count > 1) throw new Error(`expected one SQL statement, got ${statements.count}: run them one at a time`);
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), types: reader.columnTypes().map(String), rows: reader.getRowsJson() };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** A path DuckDB's glob takes literally: `*`, `?` and `[` each become a one-character class (`[*]`). */
function globLiteral(path: string): string {
  return path.replace(/[*?[]/g, (c) => `[${c}]`);
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
