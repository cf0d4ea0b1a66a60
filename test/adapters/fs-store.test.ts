import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32, gunzipSync, gzipSync } from 'node:zlib';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { FatalError } from '../../core/errors.js';
import type { PutObject } from '../../core/ports.js';
import { gzipMetadata, withGzipMetadata } from '../../adapters/gzip-metadata.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

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

  it('putMany writes every object in one hand-off, and names the one it could not write', async () => {
    const s = store();
    const objects: PutObject[] = [
      { key: 'raw/x/1.json.gz', body: gzipSync('{"a":1}'), metadata: { 'fetched-at': '2026-11-26T00:00:00.000Z' } },
      { key: 'raw/y/2.json', body: new Uint8Array([7]), metadata: { n: '2' } },
      { key: 'tables/t/3.parquet', body: new Uint8Array([3, 3]) },
    ];
    await s.putMany(objects);
    expect(gunzipSync((await s.get('raw/x/1.json.gz'))!.body).toString()).toBe('{"a":1}');
    expect(await s.get('raw/y/2.json')).toEqual({ body: new Uint8Array([7]), metadata: { n: '2' } });
    expect((await s.get('tables/t/3.parquet'))!.body).toEqual(new Uint8Array([3, 3]));
    // A file where a folder must go: the second object cannot be written, the first was.
    await s.put('blocked', new Uint8Array([0]));
    const err = await s.putMany([{ key: 'ok/4', body: new Uint8Array([4]) }, { key: 'blocked/5', body: new Uint8Array([5]) }]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toContain(join(s.root, 'blocked/5'));
    expect(await s.get('ok/4')).toBeDefined();
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

describe('metadata in the gzip header', () => {
  const plain = Buffer.from(JSON.stringify({ status: 'success', title: 'Théière — teak' }));
  const meta = { 'fetched-at': '2026-11-26T12:00:00.000Z', url: 'https://maxsold.maxsold.com/msapi/auctions/items?auctionid=1', reason: 'schema: naïve — check' };

  it('a gzip body and its metadata are one file; the file still gunzips to the body', async () => {
    const s = store();
    await s.put('raw/a.json.gz', gzipSync(plain), meta);
    await s.close();
    expect(filesUnder(s.root).filter((f) => !f.startsWith('.tmp'))).toEqual(['raw/a.json.gz']);
    expect(gunzipSync(readFileSync(join(s.root, 'raw/a.json.gz')))).toEqual(plain);
    expect(await s.head('raw/a.json.gz')).toEqual(meta);
    expect((await s.get('raw/a.json.gz'))?.metadata).toEqual(meta);
    // Any other gzip reader skips the comment field too.
    expect(spawnSync('gzip', ['-dc', join(s.root, 'raw/a.json.gz')]).stdout).toEqual(plain);
  });

  it('replaces a header that had a name, an extra field and a header CRC', () => {
    const deflated = gzipSync(plain);
    // FNAME + FEXTRA + FHCRC, as some servers and tools write them.
    const fields = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x0e, 0, 0, 0, 0, 0, 3]), Buffer.from([4, 0, 0x41, 0x42, 0, 0]), Buffer.from('name.json\0', 'latin1')]);
    const crc = crc32(fields);
    const header = Buffer.concat([fields, Buffer.from([crc & 0xff, (crc >>> 8) & 0xff])]);
    const gz = Buffer.concat([header, deflated.subarray(10)]);
    expect(gunzipSync(gz)).toEqual(plain);
    const tagged = withGzipMetadata(gz, meta)!;
    expect(gunzipSync(tagged)).toEqual(plain);
    expect(gzipMetadata(tagged)).toEqual(meta);
    expect(gzipMetadata(gz)).toBeNull();
  });

  it('head finds metadata whose header ends at the edge of the first read or far past it (a long ETag)', async () => {
    const s = store();
    // The header: 10 fixed bytes, the comment, its NUL. `head` reads 16 KiB first.
    const emptyComment = 'api-scraper metadata '.length + JSON.stringify({ etag: '' }).length;
    for (const nulAt of [16_383, 16_384, 16_385, 60_000]) {
      const m = { etag: 'e'.repeat(nulAt - 10 - emptyComment) };
      const gz = withGzipMetadata(gzipSync(plain), m)!;
      expect(gz[nulAt]).toBe(0);
      await s.put(`raw/${nulAt}.json.gz`, gz.slice());
      expect(await s.head(`raw/${nulAt}.json.gz`), `NUL at ${nulAt}`).toEqual(m);
    }
    // Escaped non-ASCII grows sixfold: 3,000 bytes of ETag on the wire, 18,000 in the header.
    const wide = { etag: '"' + '\u00e9'.repeat(3000) + '"' };
    await s.put('raw/wide.json.gz', gzipSync(plain), wide);
    expect(await s.head('raw/wide.json.gz')).toEqual(wide);
    await s.close();
  });

  it('is not used for a body that is not gzip: a sidecar holds the metadata', async () => {
    const s = store();
    await s.put('quarantine/b.json.gz', new Uint8Array(0), meta);
    await s.close();
    expect(existsSync(join(s.root, 'quarantine/b.json.gz.meta.json'))).toBe(true);
    expect(await s.head('quarantine/b.json.gz')).toEqual(meta);
  });

  it('reads the sidecar of data written before metadata moved into the header', async () => {
    const s = store();
    mkdirSync(join(s.root, 'raw'), { recursive: true });
    writeFileSync(join(s.root, 'raw/old.json.gz'), gzipSync(plain));
    writeFileSync(join(s.root, 'raw/old.json.gz.meta.json'), JSON.stringify(meta));
    expect(await s.head('raw/old.json.gz')).toEqual(meta);
    expect((await s.get('raw/old.json.gz'))?.metadata).toEqual(meta);
  });
});
