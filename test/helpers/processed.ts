import { decodeParquet, encodeTableFile } from '../../adapters/parquet.js';
import { checkResponse } from '../../adapters/response-processor.js';
import { rawKey } from '../../core/raw-key.js';
import { firstRequest, REAL_ORIGINS, type Anomalies } from '../../core/sources/index.js';
import { TABLES, type Row, type TableName } from '../../core/tables.js';
import type { WorkItem } from '../../core/work-item.js';

export const FETCHED_AT = Date.parse('2026-01-02T18:19:14.123Z');

export type Processed =
  | { kind: 'accepted'; tables: Partial<Record<TableName, Row[]>>; anomalies: Anomalies }
  | { kind: 'failed'; error: string; reason: string }
  | { kind: 'again' };

/**
 * A body through the processor's real entry point (parse, validation, rows), each
 * table's rows read back from the Parquet file it writes.
 */
export function processBody(item: WorkItem, body: string | Uint8Array): Processed {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const r = checkResponse(
    {
      item,
      request: firstRequest(item, REAL_ORIGINS),
      body: bytes,
      contentType: 'application/json',
      sourceKey: rawKey(item),
      fetchedAt: FETCHED_AT,
    },
    { origins: REAL_ORIGINS },
  );
  if (r.kind === 'again') return { kind: 'again' };
  if (r.kind === 'failed') return { kind: 'failed', error: r.error, reason: r.reason };
  const tables: Partial<Record<TableName, Row[]>> = {};
  for (const [table, rows] of Object.entries(r.tables) as [TableName, Row[]][]) {
    if (rows.length > 0) tables[table] = decodeParquet(TABLES[table], encodeTableFile(table, rows));
  }
  return { kind: 'accepted', tables, anomalies: r.anomalies };
}

export function accepted(p: Processed): Extract<Processed, { kind: 'accepted' }> {
  if (p.kind !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(p)}`);
  return p;
}

/** The same JSON value with every non-ASCII character written as a `\u` escape. */
export function escapeNonAscii(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
