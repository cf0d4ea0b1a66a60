import type { WorkItem } from '../work-item.js';
import type { TableRows } from '../tables.js';
import { parseTimestamp } from '../timestamps.js';
import { FieldReader, type Anomalies } from './fields.js';
import { parseJsonBody, type JsonParser } from './json-body.js';
import { itemsWithBids, maxsoldUrl, MAXSOLD_ORIGIN, nextLimit, normaliseMaxsold, validateMaxsold, FIRST_LIMIT } from './maxsold.js';
import { normaliseVia, validateVia, VIA_ORIGIN, viaUrl } from './via.js';

export type { Anomalies } from './fields.js';

/** Where each API lives. `--base-url` replaces both origins; the paths stay the real ones. */
export interface Origins {
  maxsold: string;
  via: string;
}

export const REAL_ORIGINS: Origins = { maxsold: MAXSOLD_ORIGIN, via: VIA_ORIGIN };

export function originsFrom(baseUrl: string | undefined): Origins {
  if (!baseUrl) return REAL_ORIGINS;
  const origin = baseUrl.replace(/\/+$/, '');
  return { maxsold: origin, via: origin };
}

/** The first request for an item; `limit` is carried between rounds of a growing MaxSold page. */
export interface Request {
  url: string;
  limit?: number;
  round: number;
}

export function firstRequest(item: WorkItem, origins: Origins): Request {
  if (item.source === 'via') return { url: viaUrl(origins.via), round: 0 };
  const limit = item.itemId ? undefined : FIRST_LIMIT;
  return { url: maxsoldUrl(origins.maxsold, item, limit), limit, round: 0 };
}

export interface InterpretOptions {
  contentType?: string;
  sourceKey: string;
  fetchedAt: number;
  /** false: validate only (the fetch Lambda); true: also build rows. */
  normalise: boolean;
  /** How the body's bytes become JSON. @default JSON.parse of the decoded text */
  parseJson?: JsonParser;
}

const decoder = new TextDecoder();
const parseWhole: JsonParser = (bytes) => JSON.parse(decoder.decode(bytes));

export type Interpretation =
  | {
      kind: 'accepted';
      tables: TableRows;
      anomalies: Anomalies;
      bidItemIds: string[];
      /** An auction's last lot closes then (epoch ms): until it has, the auction is worth polling again. */
      closesAt?: number;
    }
  | { kind: 'again'; request: Request };

/**
 * One response body → rows, or what to do instead. Throws TransientError (not JSON,
 * HTML, cut short), PermanentError (empty auction, error status) or PoisonError
 * (parses but fails the schema). The body is parsed exactly once; a string body
 * (tests) is taken as its UTF-8 bytes.
 */
export function interpretResponse(item: WorkItem, request: Request, body: Uint8Array | string, origins: Origins, opts: InterpretOptions): Interpretation {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const json = parseJsonBody(bytes, opts.contentType, opts.parseJson ?? parseWhole);
  const reader = new FieldReader({});
  const ctx = { sourceKey: opts.sourceKey, fetchedAt: opts.fetchedAt };
  if (item.source === 'via') {
    const snapshot = validateVia(json);
    const tables = opts.normalise ? normaliseVia(snapshot, item, ctx, reader) : {};
    return { kind: 'accepted', tables, anomalies: reader.anomalies, bidItemIds: [] };
  }
  const res = validateMaxsold(json, item);
  const limit = nextLimit(res, request.limit, request.round);
  if (limit !== undefined) return { kind: 'again', request: { url: maxsoldUrl(origins.maxsold, item, limit), limit, round: request.round + 1 } };
  if (request.limit !== undefined && res.items.length >= request.limit) reader.note('maxsold_auctions.items:possibly_truncated');
  const tables = opts.normalise ? normaliseMaxsold(res, item, ctx, reader) : {};
  const closesAt = item.itemId ? undefined : (parseTimestamp(res.auction.last_item_closes) ?? undefined);
  return { kind: 'accepted', tables, anomalies: reader.anomalies, bidItemIds: item.itemId ? [] : itemsWithBids(res), closesAt };
}
