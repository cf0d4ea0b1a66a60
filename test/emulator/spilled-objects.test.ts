import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
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
