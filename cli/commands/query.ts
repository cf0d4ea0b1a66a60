import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TableQuery, type QueryResult } from '../../adapters/duckdb-query.js';
import { speakTrino } from '../../adapters/duckdb-trino.js';
import { namedQueries } from '../../core/named-queries.js';
import { TABLE_NAMES } from '../../core/tables.js';
import { choice, existingDataDir, int, parse, str, UsageError } from '../args.js';

/** The Glue database the named queries name: the default stage's (queryNames('ApiScraper')). */
const LOCAL_DATABASE = 'api_scraper';

export const QUERY_HELP = `Usage:
  scraper query "SELECT …" [--out DIR] [--format table|json|csv]
  scraper query --table maxsold_items [--limit 5]
  scraper query --named NAME

Runs DuckDB over the Parquet tables in DIR/tables. Each table is a view (${TABLE_NAMES.slice(0, 2).join(', ')},
${TABLE_NAMES.slice(2).join(', ')}), with a partition column dt, plus <table>_latest: the
newest row per entity (rows are snapshots).

By default the SQL reads the tables and nothing else: once the views exist, DuckDB's
external access is off (no other file read or written, no extension, no network)
and the SQL cannot turn it back on.

Options:
  -o, --out DIR        data directory (default ./data)
      --table NAME     show rows of one table instead of running SQL
      --limit N        rows to show with --table (default 10; in SQL, write LIMIT)
      --named NAME     run one of the Athena named queries the stack deploys, as written (Trino SQL
                       over ${LOCAL_DATABASE}.<table>, with DuckDB macros for the Trino functions it uses):
${namedQueries(LOCAL_DATABASE)
  .map((q) => wrap(`${q.name}: ${q.description}`, 25, 100))
  .join('\n')}
      --format F       table (default), json (integer and timestamp columns as numbers and
                       ISO 8601) or csv
      --external-access
                       let the SQL read and write any file and reach the network, e.g.
                       COPY (…) TO 'items.parquet' (default off)
  -h, --help           show this help`;

/** What mends a damaged table file, and where it cannot. */
export const REBUILD_HINT = 'scraper reprocess rebuilds table files from raw/, where raw/ still holds their objects';

/** `text` in lines of at most `width` characters, each indented by `indent` spaces, the next ones by two more. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const pad = ' '.repeat(lines.length === 0 ? indent : indent + 2);
    if (line && pad.length + line.length + 1 + word.length > width) {
      lines.push(pad + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(' '.repeat(lines.length === 0 ? indent : indent + 2) + line);
  return lines.join('\n');
}

export async function queryCommand(args: string[]): Promise<number> {
  const p = parse(
    args,
    {
      out: { type: 'string', short: 'o' },
      table: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      named: { type: 'string' },
      'external-access': { type: 'boolean' },
    },
    true,
  );
  if (p.values.help) return (void process.stdout.write(QUERY_HELP + '\n'), 0);
  const out = str('out', p.values.out, './data');
  const format = choice('format', p.values.format, ['table', 'json', 'csv'] as const, 'table');
  let sql: string;
  const named = p.values.named === undefined ? undefined : namedQueries(LOCAL_DATABASE).find((q) => q.name === p.values.named);
  if (p.values.named !== undefined) {
    if (!named)
      throw new UsageError(
        `--named: expected one of ${namedQueries(LOCAL_DATABASE)
          .map((q) => q.name)
          .join(', ')}, got "${String(p.values.named)}"`,
      );
    if (p.positionals.length > 0 || p.values.table !== undefined) throw new UsageError('query: give SQL, --table or --named, only one');
    if (p.values.limit !== undefined) throw new UsageError('--limit: only with --table (a named query is run as written)');
    sql = named.sql;
  } else if (p.values.table !== undefined) {
    const table = String(p.values.table);
    if (!TABLE_NAMES.includes(table as never) && !TABLE_NAMES.some((t) => `${t}_latest` === table)) {
      throw new UsageError(`--table: expected one of ${TABLE_NAMES.join(', ')} (or <table>_latest), got "${table}"`);
    }
    if (p.positionals.length > 0) throw new UsageError('query: give SQL or --table, not both');
    sql = `SELECT * FROM ${table} LIMIT ${int('limit', p.values.limit, 10, 1, 1_000_000)}`;
  } else {
    const [statement] = p.positionals;
    if (p.positionals.length !== 1 || statement === undefined)
      throw new UsageError('query: expected one SQL statement in quotes, or --table NAME (scraper query --help)');
    if (p.values.limit !== undefined) throw new UsageError('--limit: only with --table (in SQL, write LIMIT)');
    sql = statement;
  }
  if (!existsSync(join(existingDataDir(out), 'tables')))
    process.stderr.write(
      existsSync(join(out, 'raw'))
        ? `note: ${out}/tables does not exist yet, but ${out}/raw does (a --raw-only run?): scraper reprocess --out ${out} builds the tables\n`
        : `note: ${out}/tables does not exist yet; tables are empty (run "scraper run" first)\n`,
    );
  const db = await TableQuery.open(out, { externalAccess: Boolean(p.values['external-access']) });
  for (const { table, reason, leftOut } of db.unreadable)
    process.stderr.write(
      leftOut
        ? `note: ${table} is read without ${leftOut.length} damaged file(s) (${leftOut.slice(0, 3).join(', ')}${leftOut.length > 3 ? ', …' : ''}): ${REBUILD_HINT}\n`
        : `note: ${table} cannot be read and is left out (${reason}): ${REBUILD_HINT}\n`,
    );
  try {
    if (named) await speakTrino(db, LOCAL_DATABASE);
    let result: QueryResult;
    try {
      result = await db.query(sql);
    } catch (e) {
      const message = (e as Error).message;
      // DuckDB suggests its own catalog's names (pg_sequences…) for a name far from ours: name ours too.
      const missing = /Table with name \S+ does not exist/.test(message)
        ? `\nthe tables: ${TABLE_NAMES.join(', ')} (and each one's _latest view)`
        : '';
      process.stderr.write(`query failed: ${message}${missing}\n`);
      return 1;
    }
    process.stdout.write(formatResult(result, format) + '\n');
    return 0;
  } finally {
    db.close();
  }
}

export function formatResult(r: QueryResult, format: 'table' | 'json' | 'csv'): string {
  if (format === 'json')
    return JSON.stringify(
      r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, jsonValue(row[i], r.types[i] ?? '')]))),
      null,
      2,
    );
  if (format === 'csv') return [r.columns, ...r.rows].map((row) => row.map(csvCell).join(',')).join('\n');
  return textTable(
    r.columns,
    r.rows.map((row) => row.map(cell)),
  );
}

/**
 * DuckDB gives a 64-bit integer as a string (it may not fit a double) and a timestamp as
 * `2026-12-07 19:40:44.189+00`: in JSON, a number where it is exact and ISO 8601.
 */
function jsonValue(v: unknown, type: string): unknown {
  if (typeof v !== 'string') return v;
  if (/^U?(BIG|HUGE)INT$/.test(type)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (type.startsWith('TIMESTAMP')) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(v);
    if (!m) return v;
    const [, date, time, hours, minutes = '00'] = m;
    const offset = hours === undefined ? '' : hours === '+00' && minutes === '00' ? 'Z' : `${hours}:${minutes}`;
    return `${date}T${time}${offset}`;
  }
  return v;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  // A table is for reading: a sum of prices shows as 5106.97, not its binary neighbour 5106.969999999999
  // (json and csv keep every digit).
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const shown = Number(v.toPrecision(15));
    // Past 15 digits before the point, rounding would show a fraction as a whole number.
    return String(Number.isInteger(shown) ? v : shown);
  }
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 60 ? flat.slice(0, 57) + '...' : flat;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function textTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
  ].join('\n');
}
