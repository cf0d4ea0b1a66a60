import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedQueries } from '../../core/named-queries.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

// The named Athena queries, as deployed, run locally by DuckDB over tables the scraper wrote.
describe('scraper query --named', () => {
  let sim: RunningSimulator;
  let dir: string;
  let cleanup: () => void;

  beforeAll(async () => {
    sim = await startSimulator();
    ({ dir, cleanup } = tempDir('named-'));
    for (const args of [['maxsold', '--ids', '100000-100005'], ['via']]) {
      const r = await runCli(['run', ...args, '--base-url', sim.url, '--out', dir, '--workers', '0', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    await sim.close();
    cleanup();
  });

  it.each(namedQueries('api_scraper').map((q) => q.name))('%s runs', async (name) => {
    const r = await runCli(['query', '--named', name, '--out', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });

  it('answers from the tables: every fetched table is fresh in table-freshness', async () => {
    const r = await runCli(['query', '--named', 'table-freshness', '--out', dir, '--format', 'json']);
    const tables = new Set((JSON.parse(r.stdout) as { table_name: string }[]).map((row) => row.table_name));
    expect([...tables].sort()).toEqual(['maxsold_auctions', 'maxsold_items', 'via_train_stops', 'via_trains']);
  });

  it('names the queries it knows when given another', async () => {
    const r = await runCli(['query', '--named', 'nope', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--named: expected one of maxsold-auction-totals, .*table-freshness, got "nope"/);
  });
});
