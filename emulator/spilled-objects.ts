import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An object as fauxqs's S3 store keeps it: the emulation reaches it through `body` only. */
interface StoredObject {
  body: Buffer;
}

interface S3StoreShape {
  buckets: Map<string, Map<string, StoredObject>>;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>): StoredObject;
  deleteObject(bucket: string, key: string): void;
}

export interface FauxqsStores {
  sqsStore: unknown;
  snsStore: unknown;
  s3Store: unknown;
  /** The spool directory: a file per stored object. */
  dir: string;
  /** Removes the spool directory (the objects' bytes). */
  close(): void;
}

/**
 * fauxqs's stores, with each S3 object's bytes in a file: fauxqs keeps every object's bytes in
 * memory, which at production volume outgrows this machine within a simulated week (~0.15 GB a
 * minute of wall time). Each object's bytes are written to a spool directory as the object is
 * stored and read back when it is read; memory keeps the metadata. An overwritten or deleted
 * object's file is removed. fauxqs exports only `buildApp`, which takes the stores as an option;
 * the store classes are loaded from its own files.
 */
export async function spillingStores(): Promise<FauxqsStores> {
  const app = import.meta.resolve('fauxqs');
  const load = async (path: string) => (await import(new URL(path, app).href)) as Record<string, new () => unknown>;
  const [s3, sqs, sns] = await Promise.all([load('./s3/s3Store.js'), load('./sqs/sqsStore.js'), load('./sns/snsStore.js')]);
  const S3Store = s3.S3Store as new () => S3StoreShape;
  const dir = mkdtempSync(join(tmpdir(), 'scraper-cloud-s3-'));
  const files = new WeakMap<StoredObject, string>();
  let next = 0;
  const release = (obj: StoredObject | undefined) => {
    const file = obj && files.get(obj);
    if (!obj || file === undefined) return;
    files.delete(obj);
    unlinkSync(file);
  };

  class SpillingS3Store extends S3Store {
    override putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>) {
      const previous = this.buckets.get(bucket)?.get(key);
      const obj = super.putObject(bucket, key, body, contentType, metadata);
      const file = join(dir, String(++next));
      writeFileSync(file, body);
      files.set(obj, file);
      // fauxqs reads `body` synchronously where it sends an object, so a read never meets a removed file.
      Object.defineProperty(obj, 'body', { get: () => readFileSync(file), enumerable: true, configurable: true });
      release(previous);
      return obj;
    }

    override deleteObject(bucket: string, key: string) {
      const previous = this.buckets.get(bucket)?.get(key);
      super.deleteObject(bucket, key);
      release(previous);
    }
  }

  return {
    sqsStore: new (sqs.SqsStore as new () => unknown)(),
    snsStore: new (sns.SnsStore as new () => unknown)(),
    s3Store: new SpillingS3Store(),
    dir,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
