import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PermanentError, PoisonError, TransientError } from '../core/errors.js';
import type { Processor, ProcessInput, ProcessResult, TableChunk } from '../core/ports.js';
import { interpretResponse, type Origins } from '../core/sources/index.js';
import { TABLES, type Row, type TableName } from '../core/tables.js';
import { encodeRecordBatch, parquetFromBatches } from './parquet.js';

export interface ProcessorConfig {
  origins: Origins;
  /** false: validate only and keep the raw body (the fetch Lambda); true: also write table files. @default true */
  normalise?: boolean;
}

/**
 * All CPU work on one body, in one place: gunzip (or gzip for storage), SHA-256,
 * parse once, validate, rows as Arrow record batches (Parquet comes later, per batch
 * of bodies: `encodeTableFile`). Never throws for bad input: every body ends
 * as accepted, asked again, or failed with its error class and reason.
 */
export function processResponse(input: ProcessInput, config: ProcessorConfig): ProcessResult {
  const gzipped = input.contentEncoding !== undefined && /gzip/i.test(input.contentEncoding);
  let plain: Buffer;
  try {
    plain = gzipped ? gunzipSync(input.body) : Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  } catch {
    // A gzip stream cut short: the transfer broke, fetch again.
    return { kind: 'failed', error: 'transient', reason: 'bad_gzip' };
  }
  const rawGz = gzipped ? input.body : gzipSync(plain);
  const sha256 = createHash('sha256').update(plain).digest('hex');
  try {
    // Validation alone needs the structure, not the text: latin1 decodes in a third of the
    // time of UTF-8 (which builds a two-byte string for a body with any non-ASCII), and no
    // byte of a multi-byte UTF-8 character can pass for JSON syntax.
    const text = config.normalise === false ? plain.toString('latin1') : plain.toString('utf8');
    const result = interpretResponse(input.item, input.request, text, config.origins, {
      contentType: input.contentType,
      sourceKey: input.sourceKey,
      fetchedAt: input.fetchedAt,
      normalise: config.normalise ?? true,
    });
    if (result.kind === 'again') return result;
    const chunks: TableChunk[] = [];
    for (const [table, rows] of Object.entries(result.tables) as [TableName, Row[]][]) {
      if (rows.length === 0) continue;
      chunks.push({ table, rows: rows.length, batch: encodeRecordBatch(TABLES[table], rows) });
    }
    return { kind: 'accepted', rawGz, sha256, size: plain.byteLength, chunks, anomalies: result.anomalies, bidItemIds: result.bidItemIds, closesAt: result.closesAt };
  } catch (e) {
    if (e instanceof TransientError) return { kind: 'failed', error: 'transient', reason: e.reason, rawGz, sha256 };
    if (e instanceof PermanentError) return { kind: 'failed', error: 'permanent', outcome: e.outcome, reason: e.reason, rawGz, sha256 };
    if (e instanceof PoisonError) return { kind: 'failed', error: 'poison', reason: `schema: ${e.reason}`, rawGz, sha256 };
    // A normaliser bug on odd data must not end the run: the body is kept in quarantine.
    return { kind: 'failed', error: 'poison', reason: `normaliser_error: ${(e as Error).message}`, rawGz, sha256 };
  }
}

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
