import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { spillingStores, type FauxqsStores } from '../../emulator/spilled-objects.js';

interface Store {
  createBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer): { body: Buffer; etag: string; contentLength: number };
  getObject(bucket: string, key: string): { body: Buffer; etag: string; contentLength: number };
  deleteObject(bucket: string, key: string): void;
  deleteObjects(bucket: string, keys: string[]): string[];
}

let stores: FauxqsStores | undefined;
afterEach(() => stores?.close());

describe("the emulation's S3 store", () => {
  it("keeps each object's bytes in a file, reads them back, and removes the file when the object is replaced or deleted", async () => {
    stores = await spillingStores();
    const s3 = stores.s3Store as Store;
    s3.createBucket('b');
    const first = s3.putObject('b', 'raw/1.json.gz', Buffer.from('first body'));
    expect(readdirSync(stores.dir)).toHaveLength(1);
    expect(first.contentLength).toBe(10);
    expect(s3.getObject('b', 'raw/1.json.gz').body.toString()).toBe('first body');

    const second = s3.putObject('b', 'raw/1.json.gz', Buffer.from('second, longer body'));
    expect(second.etag).not.toBe(first.etag);
    expect(readdirSync(stores.dir)).toHaveLength(1);
    expect(s3.getObject('b', 'raw/1.json.gz').body.toString()).toBe('second, longer body');

    s3.putObject('b', 'raw/2.json.gz', Buffer.from('two'));
    s3.putObject('b', 'raw/3.json.gz', Buffer.from('three'));
    expect(readdirSync(stores.dir)).toHaveLength(3);
    s3.deleteObject('b', 'raw/1.json.gz');
    s3.deleteObjects('b', ['raw/2.json.gz']);
    expect(readdirSync(stores.dir)).toHaveLength(1);
    expect(() => s3.getObject('b', 'raw/1.json.gz')).toThrow(/does not exist/);
    expect(s3.getObject('b', 'raw/3.json.gz').body.toString()).toBe('three');

    stores.close();
    expect(existsSync(stores.dir)).toBe(false);
  });
});

interface Listing {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListingStore extends Store {
  listObjects(bucket: string, options: { prefix?: string; delimiter?: string; maxKeys?: number; startAfter?: string }): Listing;
}

/** Every key under `prefix`, a page of `pageSize` at a time, each page starting after the last key of the one before. */
function listAll(s3: ListingStore, prefix: string, pageSize: number, between?: (page: number) => void, bucket = 'b'): string[] {
  const out: string[] = [];
  let after: string | undefined;
  for (let page = 0; ; page++) {
    const res = s3.listObjects(bucket, { prefix, maxKeys: pageSize, startAfter: after });
    out.push(...res.objects.map((o) => o.key));
    if (!res.isTruncated) return out;
    after = out[out.length - 1];
    between?.(page);
  }
}

const byteOrder = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe("the emulation's S3 listing", () => {
  it("lists in S3's byte order, so that paging after the last key skips nothing: '_' after '/', '=' after digits, capitals first", async () => {
    stores = await spillingStores();
    const s3 = stores.s3Store as ListingStore;
    s3.createBucket('b');
    const keys = [
      'raw/source=maxsold_bids/dt=2026-11-23/auction=104000/item=1.json.gz',
      'raw/source=maxsold/dt=2026-11-23/auction=104000.json.gz',
      'raw/source=maxsold/dt=2026-11-23/auction=1040001.json.gz',
      'raw/a=1',
      'raw/a0',
      'raw/B',
      'raw/a',
      'raw/a-b',
      'raw/a.b',
    ];
    for (const k of keys) s3.putObject('b', k, Buffer.from(k));
    s3.putObject('b', 'tables/x.parquet', Buffer.from('not under raw/'));
    for (const pageSize of [1, 2, 3, 1000]) expect(listAll(s3, 'raw/', pageSize)).toEqual(byteOrder(keys));
  });

  it('pages stay right while keys are stored and deleted between them', async () => {
    stores = await spillingStores();
    const s3 = stores.s3Store as ListingStore;
    s3.createBucket('b');
    for (let i = 0; i < 10; i++) s3.putObject('b', `p/${i}`, Buffer.from('x'));
    const seen = listAll(s3, 'p/', 3, (page) => {
      if (page !== 0) return;
      s3.putObject('b', 'p/0a', Buffer.from('before the cursor: not in this listing'));
      s3.putObject('b', 'p/5a', Buffer.from('after the cursor: listed'));
      s3.deleteObject('b', 'p/7');
      s3.putObject('b', 'p/8', Buffer.from('stored again: listed once'));
    });
    expect(seen).toEqual(['p/0', 'p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'p/5a', 'p/6', 'p/8', 'p/9']);
    s3.deleteObject('b', 'p/3');
    s3.putObject('b', 'p/3', Buffer.from('deleted and stored again: listed once'));
    expect(listAll(s3, 'p/', 1000)).toEqual(['p/0', 'p/0a', 'p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'p/5a', 'p/6', 'p/8', 'p/9']);
  });

  it('groups keys by a delimiter into common prefixes, counted in the page', async () => {
    stores = await spillingStores();
    const s3 = stores.s3Store as ListingStore;
    s3.createBucket('b');
    for (const k of ['t/a/dt=1/x', 't/a/dt=1/y', 't/a/dt=2/x', 't/a/z', 't/b/dt=1/x']) s3.putObject('b', k, Buffer.from('x'));
    const first = s3.listObjects('b', { prefix: 't/a/', delimiter: '/', maxKeys: 2 });
    expect(first.commonPrefixes).toEqual(['t/a/dt=1/', 't/a/dt=2/']);
    expect(first.objects).toEqual([]);
    expect(first.isTruncated).toBe(true);
    const next = s3.listObjects('b', { prefix: 't/a/', delimiter: '/', maxKeys: 2, startAfter: 't/a/dt=2/' });
    expect(next.commonPrefixes).toEqual([]);
    expect(next.objects.map((o) => o.key)).toEqual(['t/a/z']);
    expect(next.isTruncated).toBe(false);
  });
});

describe("the emulation's S3 listing, edge cases", () => {
  it('lists a prefix whose start-after sorts before it, counts a folder once in a page of one, and lists a multipart upload', async () => {
    stores = await spillingStores();
    const s3 = stores.s3Store as ListingStore & {
      createMultipartUpload(bucket: string, key: string): string;
      uploadPart(uploadId: string, partNumber: number, body: Buffer): string;
      completeMultipartUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): unknown;
    };
    s3.createBucket('b');
    for (const k of ['a/1', 'b/1', 'b/2', 'c/1']) s3.putObject('b', k, Buffer.from('x'));
    expect(s3.listObjects('b', { prefix: 'b/', startAfter: 'a/1' }).objects.map((o) => o.key)).toEqual(['b/1', 'b/2']);

    // Two keys in one folder: a page of one holds the folder, and nothing is left.
    for (const k of ['t/d/1', 't/d/2']) s3.putObject('b', k, Buffer.from('x'));
    const only = s3.listObjects('b', { prefix: 't/', delimiter: '/', maxKeys: 1 });
    expect([only.commonPrefixes, only.isTruncated]).toEqual([['t/d/'], false]);
    // Then a plain key after it: the page of one is truncated, and the next holds the key.
    s3.putObject('b', 't/z', Buffer.from('x'));
    const first = s3.listObjects('b', { prefix: 't/', delimiter: '/', maxKeys: 1 });
    expect([first.commonPrefixes, first.isTruncated]).toEqual([['t/d/'], true]);
    const second = s3.listObjects('b', { prefix: 't/', delimiter: '/', maxKeys: 1, startAfter: 't/d/' });
    expect([second.objects.map((o) => o.key), second.isTruncated]).toEqual([['t/z'], false]);

    const upload = s3.createMultipartUpload('b', 'm/big');
    const etag = s3.uploadPart(upload, 1, Buffer.from('one part'));
    s3.completeMultipartUpload(upload, [{ partNumber: 1, etag }]);
    expect(s3.listObjects('b', { prefix: 'm/' }).objects.map((o) => o.key)).toEqual(['m/big']);
  });

  it('removes its files when the process ends without closing the stores (an uncaught error)', () => {
    const module = pathToFileURL(join(inject('cliBuild'), 'emulator/spilled-objects.js')).href;
    const script = `
      const { spillingStores } = await import(${JSON.stringify(module)});
      const stores = await spillingStores();
      stores.s3Store.createBucket('b');
      stores.s3Store.putObject('b', 'raw/1.json.gz', Buffer.from('body'));
      console.log(stores.dir);
      throw new Error('the run failed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/the run failed/);
    const dir = r.stdout.trim();
    expect(dir).toMatch(/scraper-cloud-s3-/);
    expect(existsSync(dir)).toBe(false);
  });
});
