import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

// A rebuild replaces tables/ with what raw/ holds: what raw/ no longer holds must not go with it.
describe('reprocess keeps what it cannot rebuild and mends what is damaged', () => {
  let sim: RunningSimulator;
  let base: string;
  let day: string;
  const dirs: (() => void)[] = [];
  /** A copy of the scraped directory, for one test to change. */
  const copy = () => {
    const { dir, cleanup } = tempDir('reprocess-');
    dirs.push(cleanup);
    cpSync(base, dir, { recursive: true });
    return dir;
  };
  const count = async (dir: string, table: string) =>
    (await runCli(['query', `SELECT count(*) FROM ${table}`, '--format', 'csv', '--out', dir])).stdout.split('\n')[1];

  beforeAll(async () => {
    sim = await startSimulator();
    const t = tempDir('reprocess-base-');
    dirs.push(t.cleanup);
    base = t.dir;
    const r = await runCli(['run', 'maxsold', '--ids', '100000-100003', '--base-url', sim.url, '--out', base, '--workers', '0', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    day = readdirSync(join(base, 'tables', 'maxsold_items'))[0]!;
  });
  afterAll(async () => {
    await sim.close();
    for (const cleanup of dirs) cleanup();
  });

  it('with no raw objects left, changes nothing and says so (exit 1)', async () => {
    const dir = copy();
    const before = filesUnder(join(dir, 'tables'));
    rmSync(join(dir, 'raw'), { recursive: true });
    mkdirSync(join(dir, 'raw'));
    const r = await runCli(['reprocess', '--out', dir, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`scraper: ${dir}/raw holds no raw objects: nothing to rebuild from; ${dir}/tables left as it is\n`);
    expect(filesUnder(join(dir, 'tables'))).toEqual(before);
  });

  it("keeps a partition whose raw objects are gone, and files that are not a table's; rebuilds the rest", async () => {
    const dir = copy();
    const items = await count(dir, 'maxsold_items');
    // An older day whose raw objects have expired: its table files only.
    for (const table of ['maxsold_auctions', 'maxsold_items'])
      cpSync(join(dir, 'tables', table, day), join(dir, 'tables', table, 'dt=2020-01-01'), { recursive: true });
    mkdirSync(join(dir, 'tables', 'notes'));
    writeFileSync(join(dir, 'tables', 'notes', 'readme.csv'), 'a,b\n');
    const r = await runCli(['reprocess', '--out', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'kept as they were, no raw object of theirs left to rebuild from: maxsold_auctions/dt=2020-01-01, maxsold_items/dt=2020-01-01, notes\n',
    );
    expect(existsSync(join(dir, 'tables', 'notes', 'readme.csv'))).toBe(true);
    expect(Number(await count(dir, 'maxsold_items'))).toBe(2 * Number(items));
  });

  it('a day whose raw objects no longer normalise is rebuilt without them, not kept as it was', async () => {
    const dir = copy();
    const store = new FsObjectStore(dir);
    try {
      for await (const key of store.list('raw/source=maxsold/')) {
        const stored = (await store.get(key))!;
        await store.put(key, gzipSync('{"status":"ok","auction":{"id":"oops"}}'), stored.metadata);
      }
    } finally {
      await store.close();
    }
    const r = await runCli(['reprocess', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/quarantined\s+4\n/);
    expect(r.stdout).not.toMatch(/kept as they were/);
    expect(existsSync(join(dir, 'tables', 'maxsold_items', day))).toBe(false);
  });

  it("a rebuild stopped between the swap's two renames: the next one puts the old tables back first, and keeps what it should", async () => {
    const dir = copy();
    cpSync(join(dir, 'tables', 'maxsold_items', day), join(dir, 'tables', 'maxsold_items', 'dt=2020-01-01'), { recursive: true });
    renameSync(join(dir, 'tables'), join(dir, '.tables-old-999999'));
    mkdirSync(join(dir, '.rebuild-999999', 'tables'), { recursive: true });
    const r = await runCli(['reprocess', '--out', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${dir}/tables put back from .tables-old-999999, left by a rebuild that was stopped mid-swap\n`);
    expect(r.stdout).toContain('kept as they were, no raw object of theirs left to rebuild from: maxsold_items/dt=2020-01-01\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.rebuild-') || n.startsWith('.tables-old-'))).toEqual([]);
  });

  it('a table file cut short: the other tables still answer, compact names it, and a rebuild mends it', async () => {
    const dir = copy();
    const items = await count(dir, 'maxsold_items');
    const file = join('maxsold_items', day, 'maxsold-100001.parquet');
    const path = join(dir, 'tables', file);
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    // The table reads without that file, and says so; the others as they are.
    expect(Number(await count(dir, 'maxsold_items'))).toBeLessThan(Number(items));
    const other = await runCli(['query', 'SELECT count(*) FROM maxsold_auctions', '--format', 'csv', '--out', dir]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout.split('\n')[1]).toBe('4');
    expect(other.stderr).toBe(
      `note: maxsold_items is read without 1 damaged file(s) (${path}): scraper reprocess rebuilds table files from raw/, where raw/ still holds their objects\n`,
    );
    const compact = await runCli(['compact', '--all', '--out', dir]);
    expect(compact.code).toBe(1);
    expect(compact.stderr).toContain(`1 table file(s) are not whole Parquet files`);
    expect(compact.stderr).toContain(`\n  ${dir}/tables/${file}\n`);
    expect((await runCli(['reprocess', '--out', dir, '--quiet'])).code).toBe(0);
    expect((await runCli(['compact', '--all', '--out', dir])).code).toBe(0);
    expect(await count(dir, 'maxsold_items')).toBe(items);
  });

  it('--raw-only, then a query: the note points at reprocess, which builds the tables', async () => {
    const { dir, cleanup } = tempDir('raw-only-');
    dirs.push(cleanup);
    const r = await runCli(['run', 'maxsold', '--ids', '100000-100001', '--raw-only', '--base-url', sim.url, '--out', dir, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const before = await runCli(['query', 'SELECT count(*) FROM maxsold_auctions', '--format', 'csv', '--out', dir]);
    expect(before.stderr).toBe(
      `note: ${dir}/tables does not exist yet, but ${dir}/raw does (a --raw-only run?): scraper reprocess --out ${dir} builds the tables\n`,
    );
    expect((await runCli(['reprocess', '--out', dir, '--quiet'])).code).toBe(0);
    expect(await count(dir, 'maxsold_auctions')).toBe('2');
  });

  it('counts a raw object a killed run never committed as skipped, so the totals add up', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'raw', 'source=maxsold', day, 'auction=100004.json.gz'), gzipSync('{"auction":'));
    const r = await runCli(['reprocess', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/planned\s+5 auctions\n\s+rebuilt from raw\s+4\n\s+skipped \(never committed: a killed run\)\s+1\n/);
    expect(r.stderr).toMatch(/^5\/5 raw objects · 4 rebuilt · 1 skipped · 0 empty · 0 quarantined/m);
  });
});
