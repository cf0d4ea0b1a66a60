import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { decodeParquet } from '../../adapters/parquet.js';
import { TABLES, type TableName } from '../../core/tables.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

let sim: RunningSimulator;
let whole: { dir: string; cleanup: () => void };
/** What the uninterrupted run stored: its raw bodies and its tables' rows. */
let expected: { raw: Record<string, string>; tables: Record<string, string[]> };
const dirs: (() => void)[] = [];

// 48 auctions: a kill lands with some stored, some in flight and some not yet asked for.
const args = (out: string, concurrency = 4) => [
  'run',
  'maxsold',
  '--ids',
  '100000-100047',
  '--base-url',
  sim.url,
  '--out',
  out,
  '--concurrency',
  String(concurrency),
  '--workers',
  '1',
  '--quiet',
];

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: 25, jitterMs: 10, faults: { notFound: 0.05, serverError: 0.05, truncated: 0.03 } });
  whole = tempDir('whole-');
  dirs.push(whole.cleanup);
  const uninterrupted = await runCli(args(whole.dir));
  expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
  expected = { raw: rawContents(whole.dir), tables: await tableContents(whole.dir) };
});
afterAll(async () => {
  await sim.close();
  dirs.forEach((c) => c());
});

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

/** Raw bodies (decompressed) by key: the raw store's content, metadata aside. */
function rawContents(out: string): Record<string, string> {
  const files = (readdirSync(join(out, 'raw'), { recursive: true }) as string[]).filter((f) => f.endsWith('.json.gz'));
  return Object.fromEntries(files.map((f) => [f, gunzipSync(readFileSync(join(out, 'raw', f))).toString('utf8')]));
}

function files(out: string, under: string, suffix: string): string[] {
  try {
    return (readdirSync(join(out, under), { recursive: true }) as string[]).filter((f) => f.endsWith(suffix));
  } catch {
    return [];
  }
}

/** A small seeded generator: the kill points differ per seed and repeat per run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

// The seeds run at once: each waits mostly on the server's latency and the retries' backoff.
describe('kill -9 at a random moment, then the same command again', () => {
  it.concurrent.for([1, 2, 3])("seed %i: the raw store and the tables equal an uninterrupted run's", async (seed, { expect }) => {
    const killed = tempDir('killed-');
    dirs.push(killed.cleanup);
    const target = 5 + Math.floor(seeded(seed)() * 36);
    const { child, done } = startCli(args(killed.dir));
    while (files(killed.dir, 'raw', '.json.gz').length < target) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    // Whatever the kill left, every table file in place is whole: each file is renamed into place, and a
    // body's raw object, the commit marker a rerun trusts, is written after its table files.
    for (const f of files(killed.dir, 'tables', '.parquet')) {
      const table = f.split('/')[0] as TableName;
      expect(() => decodeParquet(TABLES[table], readFileSync(join(killed.dir, 'tables', f)))).not.toThrow();
    }

    const rerun = await runCli(args(killed.dir).filter((a) => a !== '--quiet'));
    expect(rerun.code, rerun.stderr).toBe(0);
    // It says whose work it goes on with: the killed run left its lock.
    expect(rerun.stderr).toMatch(
      /^note: .* was locked by a run that is gone \(pid \d+, "run maxsold", since .*\): it stopped without finishing; this run goes on from what it stored$/m,
    );
    expect(rawContents(killed.dir)).toEqual(expected.raw);
    expect(await tableContents(killed.dir)).toEqual(expected.tables);
    // No temporary file survives: the rerun swept the killed process's folder and emptied its own.
    expect(files(killed.dir, '.tmp', '').filter((f) => f.includes('/'))).toEqual([]);
  });
});

describe('SIGINT', () => {
  it('stops taking work, writes the report, exits 1; the same command then finishes', async () => {
    const interrupted = tempDir('sigint-');
    dirs.push(interrupted.cleanup);
    // One request at a time: the first bodies are stored (within a second) while most ids are still to come.
    const { child, done } = startCli(args(interrupted.dir, 1));
    while (files(interrupted.dir, 'raw', '.json.gz').length < 10) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SIGINT: stopping/);
    const report = JSON.parse(readFileSync(join(interrupted.dir, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ complete: false, stopReason: 'interrupted by SIGINT' });
    expect(report.unfinished).toBeGreaterThan(0);
    const again = await runCli(args(interrupted.dir, 1));
    expect(again.code, again.stderr).toBe(0);
    expect(await tableContents(interrupted.dir)).toEqual(expected.tables);
  });
});
