import { PermanentError, PoisonError } from '../errors.js';
import type { MaxsoldWork } from '../work-item.js';
import type { Row, TableRows } from '../tables.js';
import { FieldReader, isObject } from './fields.js';

export const MAXSOLD_ORIGIN = 'https://maxsold.maxsold.com';
export const MAXSOLD_PATH = '/msapi/auctions/items';
/**
 * Without `limit` the API returns at most 200 items, and 19% of auctions have more
 * (up to 1,205). The first request asks for this many; a full page is asked again larger.
 */
export const FIRST_LIMIT = 1000;
/** How many times a full page may be asked again with a larger limit before accepting it. */
export const MAX_LIMIT_ROUNDS = 3;

export interface MaxsoldResponse {
  auction: Record<string, unknown>;
  items: Record<string, unknown>[];
  message: string;
}

export function maxsoldUrl(origin: string, item: MaxsoldWork, limit?: number): string {
  let url = `${origin}${MAXSOLD_PATH}?auctionid=${item.id}`;
  if (item.itemId) url += `&itemid=${item.itemId}`;
  else if (limit !== undefined) url += `&limit=${limit}`;
  return url;
}

/**
 * Checks the envelope and the parts every row depends on. Field-level oddities are
 * left to the normaliser (counted, not fatal); a body without an auction, items or an
 * id of the auction we asked for is poison.
 */
export function validateMaxsold(json: unknown, item: MaxsoldWork): MaxsoldResponse {
  if (!isObject(json)) throw new PoisonError('maxsold: body is not a JSON object');
  // The site embeds the bare auction object (no envelope) in its pages; accept that shape too.
  if (json.status === undefined && isObject(json) && 'items' in json && 'id' in json) json = { status: 'success', message: '', auction: json };
  if (!isObject(json)) throw new PoisonError('maxsold: body is not a JSON object');
  const message = typeof json.message === 'string' ? json.message : '';
  if (json.status !== 'success') {
    if (json.status === 'error' || json.status === 'fail') throw new PermanentError('missing', 'status_error', `maxsold: status "${String(json.status)}": ${message}`);
    throw new PoisonError(`maxsold: unexpected status ${JSON.stringify(json.status)}`);
  }
  const auction = json.auction;
  if (!isObject(auction)) throw new PoisonError('maxsold: "auction" is not an object');
  const id = auction.id;
  if (!(typeof id === 'number' || typeof id === 'string') || String(id) !== item.id) {
    throw new PoisonError(`maxsold: auction.id ${JSON.stringify(id)} does not match requested ${item.id}`);
  }
  const items = auction.items ?? [];
  if (!Array.isArray(items)) throw new PoisonError('maxsold: auction.items is not an array');
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (!isObject(it) || !(typeof it.id === 'number' || (typeof it.id === 'string' && /^\d+$/.test(it.id)))) {
      throw new PoisonError(`maxsold: auction.items[${i}] has no numeric id`);
    }
  }
  if (item.itemId) {
    const bids = items[0]?.bid_history;
    if (items.length !== 1 || String(items[0].id) !== item.itemId) throw new PermanentError('missing', 'item_not_in_auction', `maxsold: item ${item.itemId} not in auction ${item.id}`);
    if (!Array.isArray(bids)) throw new PoisonError('maxsold: items[0].bid_history is not an array');
  } else if (items.length === 0) {
    throw new PermanentError('empty', 'no_items', `maxsold: auction ${item.id} has no items (${message || 'no message'})`);
  }
  return { auction, items: items as Record<string, unknown>[], message };
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

/** Ids of items with bids, for the `--with-bids` follow-up requests. */
export function itemsWithBids(res: MaxsoldResponse): string[] {
  const ids: string[] = [];
  for (const it of res.items) if (typeof it.bid_count === 'number' && it.bid_count > 0) ids.push(String(it.id));
  return ids;
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
  const auctionId = Number(a.id);
  const lots = r.integer(a, 'catalog_lots', 'maxsold_auctions');
  if (lots !== null && lots > res.items.length) r.note('maxsold_auctions.catalog_lots:more_than_returned');
  const title = r.string(a, 'title', 'maxsold_auctions');
  const auctionRow: Row = {
    auction_id: auctionId,
    title: title === null ? null : r.decodeEntities(title),
    starts_at: r.timestamp(a, 'starts', 'maxsold_auctions'),
    ends_at: r.timestamp(a, 'ends', 'maxsold_auctions'),
    last_item_closes_at: r.timestamp(a, 'last_item_closes', 'maxsold_auctions'),
    pickup_at: r.timestamp(a, 'pickup_time', 'maxsold_auctions'),
    catalog_lots: lots,
    items_returned: res.items.length,
    extended_bidding: r.boolean(a, 'extended_bidding', 'maxsold_auctions'),
    extended_bidding_interval: r.integer(a, 'extended_bidding_interval', 'maxsold_auctions'),
    extended_bidding_threshold: r.integer(a, 'extended_bidding_threshold', 'maxsold_auctions'),
    partner_url: r.optionalString(a, 'partner_url', 'maxsold_auctions'),
    removal_info: r.string(a, 'removal_info', 'maxsold_auctions'),
    inspection_info: r.string(a, 'inspection_info', 'maxsold_auctions'),
    intro: r.string(a, 'intro', 'maxsold_auctions'),
    disclaimers: r.string(a, 'disclaimers', 'maxsold_auctions'),
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
  const items: Row[] = new Array(res.items.length);
  for (let i = 0; i < res.items.length; i++) items[i] = itemRow(res.items[i], auctionId, ctx, r);
  return { maxsold_auctions: [auctionRow], maxsold_items: items };
}

function itemRow(it: Record<string, unknown>, auctionId: number, ctx: RowContext, r: FieldReader): Row {
  const s = 'maxsold_items';
  // items[].auction_id is a string while auction.id is a number: cast once, here.
  const ownAuction = it.auction_id === undefined ? auctionId : Number(it.auction_id);
  if (ownAuction !== auctionId) r.note(`${s}.auction_id:mismatch`);
  const title = r.string(it, 'title', s);
  const images = Array.isArray(it.images) ? it.images.filter((u): u is string => typeof u === 'string') : [];
  if (!Array.isArray(it.images)) r.note(`${s}.images:not_array`);
  return {
    auction_id: auctionId,
    item_id: Number(it.id),
    lot_number: r.string(it, 'lot_number', s),
    title: title === null ? null : r.trim(r.decodeEntities(title)),
    description: r.string(it, 'description', s),
    taxable: r.boolean(it, 'taxable', s),
    viewed: r.integer(it, 'viewed', s),
    bid_count: r.integer(it, 'bid_count', s),
    bidding_extended: r.boolean(it, 'bidding_extended', s),
    buyer_premium_pct: r.number(it, 'buyer_premium', s),
    starting_bid: r.number(it, 'starting_bid', s),
    current_bid: r.number(it, 'current_bid', s),
    minimum_bid: r.number(it, 'minimum_bid', s),
    start_at: r.timestamp(it, 'start_time', s),
    end_at: r.timestamp(it, 'end_time', s),
    timezone: r.optionalString(it, 'timezone', s),
    image_count: images.length,
    images,
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
}

function bidRows(res: MaxsoldResponse, item: MaxsoldWork, ctx: RowContext, r: FieldReader): Row[] {
  const s = 'maxsold_bids';
  const it = res.items[0];
  const history = it.bid_history as unknown[];
  const auctionId = Number(item.id);
  const itemId = Number(item.itemId);
  const rows: Row[] = [];
  for (let i = 0; i < history.length; i++) {
    const b = history[i];
    if (!isObject(b)) {
      r.note(`${s}.bid:not_object`);
      continue;
    }
    rows.push({
      auction_id: auctionId,
      item_id: itemId,
      position: i,
      bid_at: r.timestamp(b, 'time_of_bid', s),
      amount: r.number(b, 'amount', s),
      is_proxy: r.boolean(b, 'isproxy', s),
      source_key: ctx.sourceKey,
      fetched_at: ctx.fetchedAt,
    });
  }
  if (typeof it.bid_count === 'number' && it.bid_count !== history.length) r.note(`${s}.bid_history:length_differs_from_bid_count`);
  return rows;
}
