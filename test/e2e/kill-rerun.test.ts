import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { TABLES, type TableName } from '../../core/tables.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

let sim: RunningSimulator;
const dirs: (() => void)[] = [];

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 25, jitterMs: 10, faults: { notFound: 0.05, serverError: 0.05 } });
});
afterAll(async () => {
  await sim.close();
  dirs.forEach((c) => c());
});

const args = (out: string) => ['run', 'maxsold', '--ids', '100000-100079', '--base-url', sim.url, '--out', out, '--concurrency', '4', '--workers', '1', '--quiet'];

/** Every table's rows without fetched_at (which differs between runs), as sorted JSON lines. */
async function tableContents(out: string): Promise<Record<string, string[]>> {
  const db = await TableQuery.open(out);
  try {
    const result: Record<string, string[]> = {};
    for (const name of Object.keys(TABLES) as TableName[]) {
      const cols = TABLES[name].columns.map((c) => c.name).filter((c) => c !== 'fetched_at');
      const r = await db.query(`SELECT ${cols.join(', ')} FROM ${name}`);
      result[name] = r.rows.map((row) => JSON.stringify(row)).sort();
    }
    return result;
  } finally {
    db.close();
  }
}

function rawCount(out: string): number {
  try {
    return readdirSync(join(out, 'raw'), { recursive: true }).filter((f) => String(f).endsWith('.json.gz')).length;
  } catch {
    return 0;
  }
}

describe('kill -9 mid-run, then the same command again', () => {
  it('ends with the same tables as an uninterrupted run', async () => {
    const whole = tempDir('whole-');
    const killed = tempDir('killed-');
    dirs.push(whole.cleanup, killed.cleanup);

    const uninterrupted = await runCli(args(whole.dir));
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    const { child, done } = startCli(args(killed.dir));
    while (rawCount(killed.dir) < 20) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    const first = await done;
    expect(first.signal).toBe('SIGKILL');
    const storedBefore = rawCount(killed.dir);
    expect(storedBefore).toBeLessThan(rawCount(whole.dir));

    const rerun = await runCli(args(killed.dir));
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse((await import('node:fs')).readFileSync(join(killed.dir, 'report.json'), 'utf8'));
    expect(report.outcomes.skipped).toBeGreaterThanOrEqual(storedBefore - 1);

    expect(await tableContents(killed.dir)).toEqual(await tableContents(whole.dir));
  });
});
