import type { Request } from './sources/index.js';
import type { Anomalies } from './sources/fields.js';
import type { Row, TableName, TableSchema } from './tables.js';
import type { WorkItem } from './work-item.js';

/** Headers the pipeline reads, already picked out by the HTTP adapter. */
export interface ResponseHeaders {
  contentType?: string;
  contentEncoding?: string;
  etag?: string;
  lastModified?: string;
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  /** Body bytes as received (still gzipped when Content-Encoding says so). */
  body: Uint8Array;
  /** Redirects followed on the way (within the same origin), each one more request. @default 0 */
  redirects?: number;
}

/**
 * One GET, within a total deadline and a body size limit. Resolves for 2xx/304;
 * throws core's typed errors for everything else: ThrottledError (429/503),
 * PermanentError (404/410 and other 4xx; `redirected` for a redirect to another
 * origin or too many), TransientError (5xx, resets, timeouts, the deadline),
 * TooLargeError (a body past the limit). The body of a failed response is always consumed.
 */
export interface HttpClient {
  get(url: string, options?: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** Objects under keys (`raw/…`, `tables/…`, `quarantine/…`): a directory locally, S3 in AWS. */
export interface ObjectStore {
  /** Writes atomically: a reader sees the whole object or none. */
  put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  /** Metadata of an object, or undefined when it does not exist. */
  head(key: string): Promise<Record<string, string> | undefined>;
  list(prefix: string): AsyncIterable<string>;
  delete(keys: string[]): Promise<void>;
  /** Many objects at once, each written atomically (a store without its own way: `putAll`). */
  putMany?(objects: readonly PutObject[]): Promise<void>;
}

export interface PutObject {
  key: string;
  body: Uint8Array;
  metadata?: Record<string, string>;
}

/** Every object written, by the store's own batch write where it has one. */
export function putAll(store: ObjectStore, objects: readonly PutObject[]): Promise<void> {
  if (store.putMany) return store.putMany(objects);
  return Promise.all(objects.map((o) => store.put(o.key, o.body, o.metadata))).then(() => undefined);
}

export interface StoredObject {
  body: Uint8Array;
  metadata: Record<string, string>;
}

/** One fetched body, on its way to validation and rows. */
export interface ProcessInput {
  item: WorkItem;
  request: Request;
  body: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
  sourceKey: string;
  fetchedAt: number;
}

/**
 * One body's rows of one table, already columnar (an Arrow IPC record batch): cheap to
 * move between threads, and the chunks of many bodies join into one table file.
 */
export interface TableChunk {
  table: TableName;
  rows: number;
  batch: Uint8Array;
}

export type ProcessResult =
  | {
      kind: 'accepted';
      /** The body gzipped, as it is stored. */
      rawGz: Uint8Array;
      sha256: string;
      /** Uncompressed body size. */
      size: number;
      chunks: TableChunk[];
      anomalies: Anomalies;
      bidItemIds: string[];
      closesAt?: number;
    }
  | { kind: 'again'; request: Request }
  | {
      kind: 'failed';
      error: 'transient' | 'permanent' | 'poison' | 'too_large';
      outcome?: 'missing' | 'empty';
      reason: string;
      rawGz?: Uint8Array;
      sha256?: string;
      /** The size limit a `too_large` body passed. */
      limit?: number;
    };

/**
 * CPU work on a body: decompress, parse once, validate, build rows as columns; and
 * chunks → a Parquet file. Inline on the calling thread or on a worker pool; the
 * pipeline cannot tell.
 */
export interface Processor {
  process(input: ProcessInput): Promise<ProcessResult>;
  /** One table file (Parquet, landing profile) holding these chunks' rows, in order. The batches may be taken (transferred). */
  encodeTable(table: TableName, batches: Uint8Array[]): Promise<Uint8Array>;
  close(): Promise<void>;
  readonly description: string;
}

/** Rows ⇄ table file bytes (Parquet), for compaction. */
export interface TableCodec {
  /** `compacted`: the long-lived file of a whole partition (better compression, more CPU). */
  encode(schema: TableSchema, rows: Row[], profile: 'landing' | 'compacted'): Uint8Array;
  decode(schema: TableSchema, bytes: Uint8Array): Row[];
}

/** Where planned work goes: SQS in AWS. */
export interface WorkQueue {
  /** Sends every item; resolves only when all were accepted by the queue. */
  send(items: WorkItem[]): Promise<void>;
}

/** Delays a received message's next delivery (SQS ChangeMessageVisibility). */
export interface MessageVisibility {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}
