import { PermanentError, PoisonError } from '../errors.js';
import type { MaxsoldWork } from '../work-item.js';
import { TABLES, type Row, type TableRows } from '../tables.js';
import { fieldReaders, FieldReader, isObject } from './fields.js';

/** How many times a full page may be asked again with a larger limit before accepting it. */
const MAX_LIMIT_ROUNDS = 3;

export interface MaxsoldResponse {
  auction: Record<string, unknown>;
  items: Record<string, unknown>[];
  message: string;
}

/**
 * Checks the envelope and the parts every row depends on. Field-level oddities are
 * left to the normaliser (counted, not fatal); a body without an auction, items, an
 * id of the auction we asked for, or an item without a usable id is poison.
 */
export function validateMaxsold(json: unknown, item: MaxsoldWork): MaxsoldResponse {
  if (!isObject(json)) throw new PoisonError('maxsold: body is not a JSON object');
  // The site embeds the bare auction object (no envelope) in its pages; accept that shape too.
  if (json.status === undefined && 'items' in json && 'id' in json) json = { status: 'success', message: '', auction: json };
  if (!isObject(json)) throw new PoisonError('maxsold: body is not a JSON object');
  const message = typeof json.message === 'string' ? json.message : '';
  if (json.status !== 'success') {
    if (json.status === 'error' || json.status === 'fail')
      throw new PermanentError('missing', 'status_error', `maxsold: status "${String(json.status)}": ${message}`);
    throw new PoisonError(`maxsold: unexpected status ${JSON.stringify(json.status)}`);
  }
  const auction = json.auction;
  if (!isObject(auction)) throw new PoisonError('maxsold: "auction" is not an object');
  if (positiveId(auction.id) === undefined || String(positiveId(auction.id)) !== item.id) {
    throw new PoisonError(`maxsold: auction.id ${JSON.stringify(auction.id)} does not match requested ${item.id}`);
  }
  const items = auction.items ?? [];
  if (!Array.isArray(items)) throw new PoisonError('maxsold: auction.items is not an array');
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (!isObject(it) || positiveId(it.id) === undefined) throw new PoisonError(`maxsold: auction.items[${i}] has no numeric id`);
  }
  if (item.itemId) {
    const bids = items[0]?.bid_history;
    if (items.length !== 1 || String(positiveId(items[0].id)) !== item.itemId)
      throw new PermanentError('missing', 'item_not_in_auction', `maxsold: item ${item.itemId} not in auction ${item.id}`);
    if (!Array.isArray(bids)) throw new PoisonError('maxsold: items[0].bid_history is not an array');
  } else if (items.length === 0) {
    throw new PermanentError('empty', 'no_items', `maxsold: auction ${item.id} has no items (${message || 'no message'})`);
  }
  return { auction, items: items as Record<string, unknown>[], message };
}

/** An id as the API writes one: a positive integer, or its digits. Anything else is no id. */
function positiveId(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * A page as full as the limit may have been cut: ask again with room for every lot.
 * Returns the next limit, or undefined when the list is complete.
 */
export function nextLimit(res: MaxsoldResponse, requested: number | undefined, round: number): number | undefined {
  if (requested === undefined || res.items.length < requested || round >= MAX_LIMIT_ROUNDS) return undefined;
  const lots = typeof res.auction.catalog_lots === 'number' ? res.auction.catalog_lots : 0;
  return Math.max(requested * 2, Math.ceil((lots + 100) / 100) * 100);
}

const A = fieldReaders(TABLES.maxsold_auctions, [
  'title',
  'starts_at',
  'ends_at',
  'last_item_closes_at',
  'pickup_at',
  'catalog_lots',
  'extended_bidding',
  'extended_bidding_interval',
  'extended_bidding_threshold',
  'partner_url',
  'removal_info',
  'inspection_info',
  'intro',
  'disclaimers',
]);
const I = fieldReaders(TABLES.maxsold_items, [
  'lot_number',
  'title',
  'description',
  'taxable',
  'viewed',
  'bid_count',
  'bidding_extended',
  'buyer_premium_pct',
  'starting_bid',
  'current_bid',
  'minimum_bid',
  'start_at',
  'end_at',
  'timezone',
  'images',
]);
const B = fieldReaders(TABLES.maxsold_bids, ['bid_at', 'amount', 'is_proxy']);

/** Ids of items with bids (each once), for the `--with-bids` follow-up requests. */
export function itemsWithBids(res: MaxsoldResponse): string[] {
  const scratch = new FieldReader();
  const ids = new Set<string>();
  for (const it of res.items) if (((I.bid_count(it, scratch) as number | null) ?? 0) > 0) ids.add(String(positiveId(it.id)));
  return [...ids];
}

/** When the auction's last lot closes (epoch ms), read as its column is. */
export function closesAt(res: MaxsoldResponse): number | undefined {
  return (A.last_item_closes_at(res.auction, new FieldReader()) as number | null) ?? undefined;
}

export interface RowContext {
  sourceKey: string;
  fetchedAt: number;
}

export function normaliseMaxsold(res: MaxsoldResponse, item: MaxsoldWork, ctx: RowContext, reader: FieldReader): TableRows {
  return item.itemId ? { maxsold_bids: bidRows(res, item, ctx, reader) } : auctionRows(res, ctx, reader);
}

function auctionRows(res: MaxsoldResponse, ctx: RowContext, r: FieldReader): TableRows {
  const a = res.auction;
  const auctionId = positiveId(a.id)!;
  if (typeof a.id === 'string') r.note('maxsold_auctions.id:numeric_string');
  const items: Row[] = [];
  const seen = new Set<number>();
  for (const it of res.items) {
    const itemId = positiveId(it.id)!;
    if (seen.has(itemId)) {
      r.note('maxsold_items.record:duplicate_identity');
      continue;
    }
    seen.add(itemId);
    if (typeof it.id === 'string') r.note('maxsold_items.id:numeric_string');
    items.push(itemRow(it, itemId, auctionId, ctx, r));
  }
  const lots = A.catalog_lots(a, r) as number | null;
  if (lots !== null && lots > items.length) r.note('maxsold_auctions.catalog_lots:more_than_returned');
  const auctionRow: Row = {
    auction_id: auctionId,
    title: A.title(a, r),
    starts_at: A.starts_at(a, r),
    ends_at: A.ends_at(a, r),
    last_item_closes_at: A.last_item_closes_at(a, r),
    pickup_at: A.pickup_at(a, r),
    catalog_lots: lots,
    items_returned: items.length,
    extended_bidding: A.extended_bidding(a, r),
    extended_bidding_interval: A.extended_bidding_interval(a, r),
    extended_bidding_threshold: A.extended_bidding_threshold(a, r),
    partner_url: A.partner_url(a, r),
    removal_info: A.removal_info(a, r),
    inspection_info: A.inspection_info(a, r),
    intro: A.intro(a, r),
    disclaimers: A.disclaimers(a, r),
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
  return { maxsold_auctions: [auctionRow], maxsold_items: items };
}

function itemRow(it: Record<string, unknown>, itemId: number, auctionId: number, ctx: RowContext, r: FieldReader): Row {
  // items[].auction_id is a string while auction.id is a number: the row takes the auction's.
  if (it.auction_id !== undefined && it.auction_id !== null && positiveId(it.auction_id) !== auctionId)
    r.note('maxsold_items.auction_id:mismatch');
  const images = I.images(it, r) as string[];
  return {
    auction_id: auctionId,
    item_id: itemId,
    lot_number: I.lot_number(it, r),
    title: I.title(it, r),
    description: I.description(it, r),
    taxable: I.taxable(it, r),
    viewed: I.viewed(it, r),
    bid_count: I.bid_count(it, r),
    bidding_extended: I.bidding_extended(it, r),
    buyer_premium_pct: I.buyer_premium_pct(it, r),
    starting_bid: I.starting_bid(it, r),
    current_bid: I.current_bid(it, r),
    minimum_bid: I.minimum_bid(it, r),
    start_at: I.start_at(it, r),
    end_at: I.end_at(it, r),
    timezone: I.timezone(it, r),
    image_count: images.length,
    images,
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
}

function bidRows(res: MaxsoldResponse, item: MaxsoldWork, ctx: RowContext, r: FieldReader): Row[] {
  const it = res.items[0];
  const history = it?.bid_history;
  // validateMaxsold has checked both; a response built past it is poison, as there.
  if (it === undefined || !Array.isArray(history)) throw new PoisonError('maxsold: items[0].bid_history is not an array');
  const auctionId = Number(item.id);
  const itemId = Number(item.itemId);
  const rows: Row[] = [];
  for (let i = 0; i < history.length; i++) {
    const b = history[i];
    if (!isObject(b)) {
      r.note('maxsold_bids.bid:not_object');
      continue;
    }
    rows.push({
      auction_id: auctionId,
      item_id: itemId,
      position: i,
      bid_at: B.bid_at(b, r),
      amount: B.amount(b, r),
      is_proxy: B.is_proxy(b, r),
      source_key: ctx.sourceKey,
      fetched_at: ctx.fetchedAt,
    });
  }
  if (typeof it.bid_count === 'number' && it.bid_count !== history.length) r.note('maxsold_bids.bid_history:length_differs_from_bid_count');
  return rows;
}
