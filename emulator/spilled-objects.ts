import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratch-dir.js';
import { SortedKeys } from './sorted-keys.js';

/** An object as fauxqs's S3 store keeps it: the emulation reaches it through `body` only. */
interface StoredObject {
  body: Buffer;
}

interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  marker?: string;
}

interface S3StoreShape {
  buckets: Map<string, Map<string, StoredObject>>;
  multipartUploads: Map<string, { bucket: string; key: string }>;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>): StoredObject;
  deleteObject(bucket: string, key: string): void;
  completeMultipartUpload(uploadId: string, ...rest: unknown[]): unknown;
  listObjects(bucket: string, options?: ListOptions): { objects: StoredObject[]; commonPrefixes: string[]; isTruncated: boolean };
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
 * object's file is removed. Listing walks each bucket's keys kept in S3's order (sorted-keys.ts)
 * instead of fauxqs's sort of the whole prefix on every page. fauxqs exports only `buildApp`,
 * which takes the stores as an option; the store classes are loaded from its own files.
 */
export async function spillingStores(): Promise<FauxqsStores> {
  const app = import.meta.resolve('fauxqs');
  const load = async (path: string) => (await import(new URL(path, app).href)) as Record<string, new () => unknown>;
  const [s3, sqs, sns] = await Promise.all([load('./s3/s3Store.js'), load('./sqs/sqsStore.js'), load('./sns/snsStore.js')]);
  const S3Store = s3.S3Store as new () => S3StoreShape;
  const { dir, remove } = scratchDir('scraper-cloud-s3-');
  const files = new WeakMap<StoredObject, string>();
  let next = 0;
  const release = (obj: StoredObject | undefined) => {
    const file = obj && files.get(obj);
    if (!obj || file === undefined) return;
    files.delete(obj);
    unlinkSync(file);
  };

  class SpillingS3Store extends S3Store {
    readonly #keys = new Map<string, SortedKeys>();

    #index(bucket: string): SortedKeys {
      let index = this.#keys.get(bucket);
      if (!index) this.#keys.set(bucket, (index = new SortedKeys((k) => this.buckets.get(bucket)?.has(k) ?? false)));
      return index;
    }

    override putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>) {
      const previous = this.buckets.get(bucket)?.get(key);
      const obj = super.putObject(bucket, key, body, contentType, metadata);
      if (!previous) this.#index(bucket).added(key);
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
      if (previous) this.#index(bucket).removed();
      release(previous);
    }

    override completeMultipartUpload(uploadId: string, ...rest: unknown[]) {
      const upload = this.multipartUploads.get(uploadId);
      const existed = upload && this.buckets.get(upload.bucket)?.has(upload.key);
      const out = super.completeMultipartUpload(uploadId, ...rest);
      if (upload && !existed) this.#index(upload.bucket).added(upload.key);
      return out;
    }

    /** fauxqs's listing (the same page, truncation and common prefixes), walking the bucket's keys in order. */
    override listObjects(bucket: string, options: ListOptions = {}) {
      const objects = this.buckets.get(bucket);
      if (!objects) return super.listObjects(bucket, options); // NoSuchBucket, as fauxqs words it
      const { prefix = '', delimiter, maxKeys = 1000 } = options;
      const after = options.startAfter ?? options.marker ?? '';
      const found: StoredObject[] = [];
      const common = new Set<string>();
      let isTruncated = false;
      for (const key of this.#index(bucket).list(prefix, after)) {
        const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        const folder = at >= 0 ? key.slice(0, at + delimiter!.length) : undefined;
        if (folder !== undefined && (common.has(folder) || folder <= after)) continue;
        if (found.length + common.size >= maxKeys) {
          isTruncated = true;
          break;
        }
        if (folder !== undefined) common.add(folder);
        else found.push(objects.get(key)!);
      }
      return { objects: found, commonPrefixes: [...common].sort(), isTruncated };
    }
  }

  return {
    sqsStore: new (sqs.SqsStore as new () => unknown)(),
    snsStore: new (sns.SnsStore as new () => unknown)(),
    s3Store: new SpillingS3Store(),
    dir,
    close: remove,
  };
}
