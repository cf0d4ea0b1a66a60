import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32, gunzipSync, gzipSync } from 'node:zlib';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { FatalError } from '../../core/errors.js';
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
    expect(await s.get('raw/a/b.json.gz')).toEqual({
      body: new Uint8Array([1, 2, 3]),
      metadata: { 'fetched-at': '2026-11-26T00:00:00.000Z' },
    });
    expect(await s.head('raw/a/missing.json.gz')).toBeUndefined();
    await s.close();
  });

  it('names the file it could not write', async () => {
    const s = store();
    // A file where a folder must go.
    await s.put('blocked', new Uint8Array([0]));
    const err = await s.put('blocked/5', new Uint8Array([5])).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toContain(join(s.root, 'blocked/5'));
  });

  it('stores written from worker threads of one process keep their temp files apart', async () => {
    const s = store();
    const script = `
      import { threadId, workerData } from 'node:worker_threads';
      const { FsObjectStore } = await import(${JSON.stringify(new URL('../../adapters/fs-store.ts', import.meta.url).href)});
      const store = new FsObjectStore(workerData);
      for (let i = 0; i < 200; i++) await store.put('raw/' + threadId + '-' + i, new Uint8Array([i]));
    `;
    const { Worker } = await import('node:worker_threads');
    const run = () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(script)})); })`,
          { eval: true, workerData: s.root },
        );
        w.on('error', reject);
        w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      });
    await Promise.all([run(), run(), run()]);
    expect(readdirSync(join(s.root, 'raw'))).toHaveLength(600);
    expect(readdirSync(join(s.root, '.tmp'))).toHaveLength(3);
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
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(dead, { recursive: true }).then(() => fs.writeFile(join(dead, '0'), 'half a file')),
    );
    await s.put('raw/x.json.gz', new Uint8Array(1));
    expect(readdirSync(join(s.root, '.tmp'))).toEqual([`${process.pid}-0`]);
    await s.close();
  });
});

describe('metadata in the gzip header', () => {
  const plain = Buffer.from(JSON.stringify({ status: 'success', title: 'Théière — teak' }));
  const meta = {
    'fetched-at': '2026-11-26T12:00:00.000Z',
    url: 'https://maxsold.maxsold.com/msapi/auctions/items?auctionid=1',
    reason: 'schema: naïve — check',
  };

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
    const fields = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x0e, 0, 0, 0, 0, 0, 3]),
      Buffer.from([4, 0, 0x41, 0x42, 0, 0]),
      Buffer.from('name.json\0', 'latin1'),
    ]);
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
    expect((await s.get('quarantine/b.json.gz'))?.metadata).toEqual(meta);
  });

  it('a gzip body’s metadata is its header’s alone: a sidecar beside it is not read', async () => {
    const s = store();
    mkdirSync(join(s.root, 'raw'), { recursive: true });
    writeFileSync(join(s.root, 'raw/bare.json.gz'), gzipSync(plain));
    writeFileSync(join(s.root, 'raw/bare.json.gz.meta.json'), JSON.stringify(meta));
    expect(await s.head('raw/bare.json.gz')).toEqual({});
    expect((await s.get('raw/bare.json.gz'))?.metadata).toEqual({});
  });
});
