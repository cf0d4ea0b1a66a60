import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { tempDir } from '../helpers/data-dir.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function store(): FsObjectStore {
  const { dir, cleanup } = tempDir('store-');
  cleanups.push(cleanup);
  return new FsObjectStore(dir);
}

describe('FsObjectStore', () => {
  it('puts a body and its metadata, and reads them back', async () => {
    const s = store();
    await s.put('raw/a/b.json.gz', new Uint8Array([1, 2, 3]), { 'fetched-at': '2026-11-26T00:00:00.000Z' });
    expect(await s.head('raw/a/b.json.gz')).toEqual({ 'fetched-at': '2026-11-26T00:00:00.000Z' });
    expect(await s.get('raw/a/b.json.gz')).toEqual({ body: new Uint8Array([1, 2, 3]), metadata: { 'fetched-at': '2026-11-26T00:00:00.000Z' } });
    expect(await s.head('raw/a/missing.json.gz')).toBeUndefined();
    await s.close();
  });

  it('lists keys under a prefix, without sidecars or temp files', async () => {
    const s = store();
    await s.put('tables/t/dt=2026-11-26/x.parquet', new Uint8Array(1));
    await s.put('tables/t/dt=2026-11-26/y.parquet', new Uint8Array(1), { a: 'b' });
    await s.put('raw/z.json.gz', new Uint8Array(1));
    const keys: string[] = [];
    for await (const k of s.list('tables/')) keys.push(k);
    expect(keys).toEqual(['tables/t/dt=2026-11-26/x.parquet', 'tables/t/dt=2026-11-26/y.parquet']);
    await s.delete(['tables/t/dt=2026-11-26/y.parquet']);
    expect(existsSync(join(s.root, 'tables/t/dt=2026-11-26/y.parquet.meta.json'))).toBe(false);
    await s.close();
  });

  it('refuses keys that would leave the data directory', async () => {
    await expect(store().put('../escape', new Uint8Array(1))).rejects.toThrow(/relative without/);
  });

  it('sweeps the temp folders of dead processes', async () => {
    const s = store();
    const dead = join(s.root, '.tmp', '999999');
    await import('node:fs/promises').then((fs) => fs.mkdir(dead, { recursive: true }).then(() => fs.writeFile(join(dead, '0'), 'half a file')));
    await s.put('raw/x.json.gz', new Uint8Array(1));
    expect(readdirSync(join(s.root, '.tmp'))).toEqual([String(process.pid)]);
    await s.close();
  });

  it('an idle writer thread does not keep the process alive', () => {
    const { dir, cleanup } = tempDir('exit-');
    cleanups.push(cleanup);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const script = `import { FsObjectStore } from './adapters/fs-store.ts'; await new FsObjectStore(${JSON.stringify(dir)}).put('a/b', new Uint8Array(1));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 20_000 });
    expect(r.status, r.stderr?.toString()).toBe(0);
    expect(existsSync(join(dir, 'a/b'))).toBe(true);
  });
});
