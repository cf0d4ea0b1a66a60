import { isAscii, isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PermanentError, PoisonError, TransientError } from '../core/errors.js';
import type { Processor, ProcessInput, ProcessResult, TableChunk } from '../core/ports.js';
import { DEFAULT_RESPONSE_LIMITS, KEPT_BYTES } from '../core/response-limits.js';
import { interpretResponse, type Origins } from '../core/sources/index.js';
import { TABLES, type Row, type TableName } from '../core/tables.js';
import { encodeRecordBatch, parquetFromBatches } from './parquet.js';

export interface ProcessorConfig {
  origins: Origins;
  /** false: validate only and keep the raw body (the fetch Lambda); true: also write table files. @default true */
  normalise?: boolean;
  /** Most bytes a body may inflate to; past it the body is `too_large`. @default DEFAULT_RESPONSE_LIMITS.maxInflatedBytes (64 MiB) */
  maxInflatedBytes?: number;
}

/**
 * All CPU work on one body, in one place: gunzip (or gzip for storage), SHA-256,
 * parse once, validate, rows as Arrow record batches (Parquet comes later, per batch
 * of bodies: `encodeTableFile`). Never throws, whatever the body: every step runs
 * inside the error boundary, and every body ends as accepted, asked again, or failed
 * with its error class and reason. A body never inflates past `maxInflatedBytes`.
 */
export function processResponse(input: ProcessInput, config: ProcessorConfig): ProcessResult {
  const gzipped = input.contentEncoding !== undefined && /gzip/i.test(input.contentEncoding);
  const maxInflated = config.maxInflatedBytes ?? DEFAULT_RESPONSE_LIMITS.maxInflatedBytes;
  let plain: Buffer;
  try {
    plain = gzipped ? gunzip(input.body, maxInflated) : Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(input.body.slice(0, KEPT_BYTES), maxInflated);
    // A gzip stream cut short: the transfer broke, fetch again.
    return { kind: 'failed', error: 'transient', reason: 'bad_gzip' };
  }
  let rawGz: Uint8Array | undefined;
  let sha256: string | undefined;
  try {
    if (plain.byteLength > maxInflated) return tooLarge(gzipSync(plain.subarray(0, KEPT_BYTES)), maxInflated);
    rawGz = gzipped ? input.body : gzipSync(plain);
    sha256 = createHash('sha256').update(plain).digest('hex');
    // A UTF-8 byte order mark is no part of the JSON (RFC 8259 lets a parser ignore it); the stored body keeps it.
    const bom = plain[0] === 0xef && plain[1] === 0xbb && plain[2] === 0xbf;
    const json = bom ? plain.subarray(3) : plain;
    const encoding = textEncoding(json, input, config.normalise ?? true);
    const text = json.toString(encoding === 'utf8' ? 'utf8' : 'latin1');
    const result = interpretResponse(input.item, input.request, text, config.origins, {
      contentType: input.contentType,
      sourceKey: input.sourceKey,
      fetchedAt: input.fetchedAt,
      normalise: config.normalise ?? true,
      byteStrings: encoding === 'latin1-utf8',
    });
    if (result.kind === 'again') return result;
    const chunks: TableChunk[] = [];
    for (const [table, rows] of Object.entries(result.tables) as [TableName, Row[]][]) {
      if (rows.length === 0) continue;
      chunks.push({ table, rows: rows.length, batch: encodeRecordBatch(TABLES[table], rows, encoding === 'latin1-utf8') });
    }
    const anomalies = bom ? { ...result.anomalies, [BOM_ANOMALY]: (result.anomalies[BOM_ANOMALY] ?? 0) + 1 } : result.anomalies;
    return { kind: 'accepted', rawGz, sha256, size: plain.byteLength, chunks, anomalies, bidItemIds: result.bidItemIds, closesAt: result.closesAt };
  } catch (e) {
    if (e instanceof TransientError) return { kind: 'failed', error: 'transient', reason: e.reason, rawGz, sha256 };
    if (e instanceof PermanentError && e.outcome !== 'redirected') return { kind: 'failed', error: 'permanent', outcome: e.outcome, reason: e.reason, rawGz, sha256 };
    if (e instanceof PoisonError) return { kind: 'failed', error: 'poison', reason: `schema: ${e.reason}`, rawGz, sha256 };
    // A normaliser bug on odd data must not end the run: the body is kept in quarantine.
    return { kind: 'failed', error: 'poison', reason: `normaliser_error: ${(e as Error)?.message ?? String(e)}`, rawGz, sha256 };
  }
}

/** Counted among the data anomalies: a body that starts with a UTF-8 byte order mark. */
const BOM_ANOMALY = 'body:utf8_bom';

/** A body past the inflate limit: quarantined at once, with its first bytes (as gzip). */
function tooLarge(head: Uint8Array, limit: number): ProcessResult {
  return { kind: 'failed', error: 'too_large', reason: 'too_large', rawGz: head, limit };
}

/**
 * How to turn the body's bytes into the text JSON.parse reads. UTF-8 decoding builds a
 * two-byte string for a body with any non-ASCII byte, which then also parses slower;
 * latin1 copies bytes (measured on the simulator's 214 KB auctions: decode + parse
 * 1.1 → 0.5 ms). No byte of a multi-byte UTF-8 character can pass for JSON syntax,
 * so the structure parses the same; what differs is the strings: each is then a byte
 * string, one character per UTF-8 byte (`latin1-utf8`, see core/byte-text.ts), and
 * goes into its Arrow column as those bytes, never decoded at all. A `\u` escape
 * would mix with such bytes, so a body with one takes the UTF-8 path; so do VIA's
 * snapshots (polled, not bulk), and so does a body that is not valid UTF-8. Validation
 * alone never needs the strings.
 */
function textEncoding(plain: Buffer, input: ProcessInput, normalise: boolean): 'utf8' | 'latin1' | 'latin1-utf8' {
  if (!normalise || isAscii(plain)) return 'latin1';
  // Bytes that are not UTF-8 (a Windows-1252 "é", a character cut short) would reach the
  // Parquet file as they are: such a body takes the UTF-8 path, which replaces them with U+FFFD.
  if (input.item.source === 'maxsold' && plain.indexOf('\\u') === -1 && isUtf8(plain)) return 'latin1-utf8';
  return 'utf8';
}

/**
 * gunzip into one buffer of the size the gzip trailer states (ISIZE), where zlib's
 * default 16 KB chunks cost an allocation per chunk and a copy of every byte to join
 * them (measured on the simulator's auctions: 0.21 → 0.14 ms). The size only sizes
 * the buffer: a wrong one (a cut body, several members) still inflates correctly, and
 * one past 64× the compressed size or past the limit is not trusted with an allocation.
 * zlib stops as soon as the output passes `max` (ERR_BUFFER_TOO_LARGE): a bomb costs
 * at most `max` bytes and the CPU to inflate them.
 */
function gunzip(gz: Uint8Array, max: number): Buffer {
  const n = gz.byteLength;
  const stated = n >= 18 ? (gz[n - 4] | (gz[n - 3] << 8) | (gz[n - 2] << 16)) + gz[n - 1] * 0x1000000 : 0;
  if (stated === 0 || stated > n * 64 || stated > MAX_SIZED_GUNZIP || stated > max) return gunzipSync(gz, { maxOutputLength: max });
  // A little room past the end lets zlib see the stream finish inside this one buffer; never
  // smaller than zlib's own chunks (several members: the trailer states only the last one's size).
  return gunzipSync(gz, { chunkSize: Math.max(stated + 64, 16 * 1024), maxOutputLength: max });
}

/** Above this a stated size is not trusted with one allocation (zlib's chunks take over). */
const MAX_SIZED_GUNZIP = 64 * 1024 * 1024;

/** Record batches of one table → its Parquet file (landing profile). */
export function encodeTableFile(table: TableName, batches: Uint8Array[]): Uint8Array {
  return parquetFromBatches(TABLES[table], batches);
}

/** Processing on the calling thread: no hand-off cost, but it competes with the event loop. */
export class InlineProcessor implements Processor {
  readonly description = 'inline (main thread)';
  constructor(private readonly config: ProcessorConfig) {}
  async process(input: ProcessInput): Promise<ProcessResult> {
    // Let responses that have already arrived (a 429 among them) be read before this blocks the thread.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return processResponse(input, this.config);
  }
  async encodeTable(table: TableName, batches: Uint8Array[]): Promise<Uint8Array> {
    return encodeTableFile(table, batches);
  }
  async close(): Promise<void> {}
}
