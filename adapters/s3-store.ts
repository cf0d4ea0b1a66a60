import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ObjectStore, StoredObject } from '../core/ports.js';
import { s3Metadata } from './s3-metadata.js';

/**
 * Keys as objects in one S3 bucket. A PUT is atomic, and metadata travels with the
 * object (S3 user metadata: lower-case keys, ASCII values, 2 KB in all: see s3Metadata).
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        Metadata: metadata && s3Metadata(metadata),
        ContentType: contentType(key),
      }),
    );
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: await res.Body!.transformToByteArray(), metadata: res.Metadata ?? {}, etag: res.ETag };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  async head(key: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).Metadata ?? {};
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async putIfUnchanged(key: string, body: Uint8Array, etag: string | null): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType(key),
          ...(etag === null ? { IfNoneMatch: '*' } : { IfMatch: etag }),
        }),
      );
      return true;
    } catch (e) {
      if (lostRace(e)) return false;
      throw e;
    }
  }

  async deleteIfUnchanged(key: string, etag: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: etag }));
      return true;
    } catch (e) {
      if (lostRace(e) || notFound(e)) return false;
      throw e;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const first = res.Errors?.[0];
      if (first) throw new Error(`S3 delete failed for ${res.Errors?.length} key(s), first ${first.Key}: ${first.Code}`);
    }
  }
}

function notFound(e: unknown): boolean {
  const err = e as S3ServiceException;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** 412: the precondition failed; 409: a concurrent conditional write to the same key won. */
function lostRace(e: unknown): boolean {
  const status = (e as S3ServiceException)?.$metadata?.httpStatusCode;
  return status === 412 || status === 409;
}

function contentType(key: string): string {
  if (key.endsWith('.json.gz')) return 'application/gzip';
  if (key.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  return key.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}
