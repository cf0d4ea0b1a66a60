import type { Request } from './sources/requests.js';
import type { Anomalies } from './sources/fields.js';
import type { TableName, TableSchema } from './tables.js';
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

/**
 * The User-Agent sent when the operator gives none, in either host (`--user-agent`,
 * the stack's `scraper.userAgent`): it names the tool; only the operator can add a contact.
 */
export const DEFAULT_USER_AGENT = 'api-scraper/0.1 (+polite bulk JSON fetcher; no contact given)';

/** Objects under keys (`raw/…`, `tables/…`, `quarantine/…`): a directory locally, S3 in AWS. */
export interface ObjectStore {
  /** Writes atomically: a reader sees the whole object or none. */
  put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  /** Metadata of an object, or undefined when it does not exist. */
  head(key: string): Promise<Record<string, string> | undefined>;
  list(prefix: string): AsyncIterable<string>;
  delete(keys: string[]): Promise<void>;
  /**
   * Writes only if the object is still the version `etag` names (null: only if it does
   * not exist); false when another writer came first. For stores shared by concurrent
   * writers (S3's If-Match / If-None-Match). @default - absent: writes are unconditional
   */
  putIfUnchanged?(key: string, body: Uint8Array, etag: string | null): Promise<boolean>;
  /** Deletes only if the object is still the version `etag` names; false when it changed (or is gone). */
  deleteIfUnchanged?(key: string, etag: string): Promise<boolean>;
}

export interface StoredObject {
  body: Uint8Array;
  metadata: Record<string, string>;
  /** The version read, where the store has versions to compare (S3's ETag). */
  etag?: string;
}

/** One response body (fetched, or read back from the raw store) on its way to being checked and kept. */
export interface ProcessInput {
  item: WorkItem;
  request: Request;
  body: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
  /** The item's raw key: table file keys derive from it. */
  sourceKey: string;
  fetchedAt: number;
  /**
   * The raw object's metadata but for `sha256` and `size`, added once known: the body is
   * kept under `sourceKey`. Absent when the raw object is already stored (a rebuild).
   */
  metadata?: Record<string, string>;
  /** SHA-256 of the stored version this fetch may replace: a body that equals it is `unchanged`, nothing written. */
  previousSha256?: string;
  /** A committed version exists: table files it had and this body has not are removed. */
  replaces?: boolean;
  /** Validate and report only (the bid ids of an auction stored earlier): write nothing. */
  checkOnly?: boolean;
}

/** What became of a body, as far as the processor goes. */
export type ProcessResult =
  | {
      kind: 'stored';
      sha256: string;
      /** Uncompressed body size. */
      size: number;
      /** Bytes of the raw object written (0 when it was already stored). */
      rawBytes: number;
      rows: Partial<Record<TableName, number>>;
      tableFiles: number;
      anomalies: Anomalies;
      bidItemIds: string[];
      /** An auction's last lot closes then (epoch ms). */
      closesAt?: number;
    }
  | { kind: 'unchanged' }
  | { kind: 'again'; request: Request }
  | {
      kind: 'failed';
      error: 'transient' | 'permanent' | 'poison' | 'too_large';
      outcome?: 'missing' | 'empty';
      reason: string;
      /** The body gzipped (for `too_large`, its first bytes), to be quarantined if no attempt succeeds. */
      rawGz?: Uint8Array;
      sha256?: string;
      /** An empty auction's body was kept as its raw object. */
      stored?: boolean;
      /** The size limit a `too_large` body passed. */
      limit?: number;
    };

/**
 * CPU work on a body and the files it yields, in one step on one thread: decompress,
 * hash, parse once, validate; when normalising, one Parquet file per table of rows;
 * then the raw object, written last because a rerun trusts it as the commit marker.
 * Inline on the calling thread or on a worker pool, which writes the files itself:
 * only a small summary comes back.
 */
export interface Processor {
  process(input: ProcessInput): Promise<ProcessResult>;
  close(): Promise<void>;
  readonly description: string;
}

/** Rows ⇄ table file bytes (Parquet), for compaction. */
/** A file to merge, and the raw objects (`source_key`s) whose rows to leave out of it. */
export interface MergeInput {
  bytes: Uint8Array;
  drop?: ReadonlySet<string>;
}

/** Table files as compaction handles them: merged whole, never as rows. */
export interface TableCodec {
  /** Files of one table → one file of the profile (`compacted`: better compression, more CPU), their rows as they are, less those dropped. */
  concat(
    schema: TableSchema,
    inputs: readonly MergeInput[],
    profile: 'landing' | 'compacted',
  ): Promise<{ bytes: Uint8Array; rows: number }>;
  /** The distinct `source_key`s of a file's rows. */
  sourceKeys(bytes: Uint8Array): Promise<Set<string>>;
}

/** Where planned work goes: SQS in AWS. */
export interface WorkQueue {
  /** Sends every item; resolves only when all were accepted by the queue. */
  send(items: WorkItem[]): Promise<void>;
}

/** Delays a received message's next delivery (SQS ChangeMessageVisibility). */
export interface MessageVisibility {
  /** `queueArn`: the queue the message came from (an SQS record's eventSourceARN). */
  delay(receiptHandle: string, seconds: number, queueArn: string): Promise<void>;
}
