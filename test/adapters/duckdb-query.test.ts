import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

let sim: RunningSimulator;
let root: string;
let cleanup: () => void;

async function scrapeInto(out: string, from: number, to: number): Promise<void> {
  const r = await scrape({
    command: 'query',
    plan: planAuctions([{ from, to }], '2026-11-26'),
    out,
    baseUrl: sim.url,
    concurrency: 4,
    workers: 0,
    skipExisting: true,
    withBids: false,
    quiet: true,
    writeReport: false,
  });
  expect(r.outcomes.fetched).toBe(to - from + 1);
}

beforeAll(async () => {
  sim = await startSimulator();
  ({ dir: root, cleanup } = tempDir('query-'));
  // A data directory whose name DuckDB would read as a glob, and the sibling that glob matches.
  await scrapeInto(join(root, 'd[1]*?'), 100000, 100001);
  await scrapeInto(join(root, 'd1xy'), 100002, 100004);
});
afterAll(async () => {
  await sim.close();
  cleanup();
});

const count = async (db: TableQuery) => (await db.query('SELECT count(*)::INT AS n FROM maxsold_auctions')).rows[0]![0];

describe('TableQuery', () => {
  it('reads a data directory whose path holds [, * and ? as it is, never a sibling the glob would match', async () => {
    const db = await TableQuery.open(join(root, 'd[1]*?'));
    try {
      expect(await count(db)).toBe(2);
    } finally {
      db.close();
    }
  });

  it('by default, once the views exist, the SQL reaches nothing else: no other file, no COPY, no way to turn it back on', async () => {
    const outside = join(root, 'outside.csv');
    writeFileSync(outside, 'a,b\n1,2\n');
    const db = await TableQuery.open(join(root, 'd1xy'));
    try {
      expect(await count(db)).toBe(3);
      await expect(db.query(`SELECT * FROM read_csv('${outside}')`)).rejects.toThrow(/Permission Error/);
      await expect(db.query(`COPY (SELECT 1) TO '${join(root, 'copy.csv')}'`)).rejects.toThrow(/Permission Error/);
      await expect(db.query('SET enable_external_access = true')).rejects.toThrow();
      await expect(db.query(`SET allowed_directories = ['/']`)).rejects.toThrow(/configuration has been locked/);
    } finally {
      db.close();
    }
    const open = await TableQuery.open(join(root, 'd1xy'), { externalAccess: true });
    try {
      expect((await open.query(`SELECT count(*)::INT FROM read_csv('${outside}')`)).rows).toEqual([[1]]);
    } finally {
      open.close();
    }
  });

  it('scraper query --external-access lets the SQL read other files; without it, one line says why not', async () => {
    const outside = join(root, 'other.csv');
    writeFileSync(outside, 'a\n7\n');
    const sql = `SELECT a FROM read_csv('${outside}')`;
    const denied = await runCli(['query', sql, '--out', join(root, 'd1xy')]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^query failed: Permission Error/);
    const allowed = await runCli(['query', sql, '--out', join(root, 'd1xy'), '--external-access', '--format', 'csv']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe('a\n7\n');
  });
});
