import type { WorkItem } from '../work-item.js';
import type { TableRows } from '../tables.js';
import { escapesSurrogates, unicodeText, type TextForm } from '../text-form.js';
import { FieldReader, type Anomalies } from './fields.js';
import { parseJsonBody, type JsonParser } from './json-body.js';
import { closesAt, itemsWithBids, nextLimit, normaliseMaxsold, validateMaxsold } from './maxsold.js';
import { maxsoldUrl, type Origins, type Request } from './requests.js';
import { normaliseVia, validateVia } from './via.js';

export type { Anomalies } from './fields.js';
export { firstRequest, originsFrom, REAL_ORIGINS, type Origins, type Request } from './requests.js';

export interface InterpretOptions {
  contentType?: string;
  sourceKey: string;
  fetchedAt: number;
  /** false: validate only (the fetch Lambda); true: also build rows. */
  normalise: boolean;
  /** How the body's bytes become JSON. @default JSON.parse of the decoded text */
  parseJson?: JsonParser;
  /** The body's bytes were not all UTF-8: the decoder left U+FFFD in their place. */
  notUtf8?: boolean;
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
export function interpretResponse(
  item: WorkItem,
  request: Request,
  body: Uint8Array | string,
  origins: Origins,
  opts: InterpretOptions,
): Interpretation {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const json = parseJsonBody(bytes, opts.contentType, opts.parseJson ?? parseWhole);
  const reader = new FieldReader({}, textForm(bytes, opts));
  const ctx = { sourceKey: opts.sourceKey, fetchedAt: opts.fetchedAt };
  if (item.source === 'via') {
    const snapshot = validateVia(json);
    const tables = opts.normalise ? normaliseVia(snapshot, item, ctx, reader) : {};
    return { kind: 'accepted', tables, anomalies: reader.anomalies, bidItemIds: [] };
  }
  const res = validateMaxsold(json, item);
  const limit = nextLimit(res, request.limit, request.round);
  if (limit !== undefined)
    return { kind: 'again', request: { url: maxsoldUrl(origins.maxsold, item, limit), limit, round: request.round + 1 } };
  if (request.limit !== undefined && res.items.length >= request.limit) reader.note('maxsold_auctions.items:possibly_truncated');
  const tables = opts.normalise ? normaliseMaxsold(res, item, ctx, reader) : {};
  if (item.itemId) return { kind: 'accepted', tables, anomalies: reader.anomalies, bidItemIds: [] };
  return { kind: 'accepted', tables, anomalies: reader.anomalies, bidItemIds: itemsWithBids(res), closesAt: closesAt(res) };
}

/** What the parsed body's strings can hold besides text (validation alone reads none of them). */
function textForm(bytes: Uint8Array, opts: InterpretOptions): TextForm {
  return unicodeText(opts.normalise && escapesSurrogates(bytes), opts.notUtf8 ?? false);
}
