/**
 * Deterministic MaxSold `/msapi/auctions/items` payloads: every auction id has one fixed
 * auction, built from the recorded seed (auction 104375) with the real API's shapes and quirks.
 */
import { bidHistory, bidLadder, cents, drawBidCount, increment, type BidRecord } from './maxsold-bids.js';
import { auctionWords, imageSlug, intro, itemDescription, itemTitle, removalInfo } from './maxsold-text.js';
import { fixtureText, SEED_AUCTION } from './fixtures.js';
import { itemJson } from './maxsold-json.js';
import type { AuctionModel, ItemsQuery, MaxsoldItem } from './maxsold-types.js';
import { maxsoldTime, offsetMinutes, parseOffsetTime, zonedToEpoch } from './local-time.js';
import { hash32, intBetween, mulberry32, normal, pick } from './prng.js';

export type { BidRecord } from './maxsold-bids.js';
export type { AuctionModel, ItemsQuery, MaxsoldItem } from './maxsold-types.js';

/** The real API's (inferred) cap on items when no `limit` is sent. */
export const DEFAULT_ITEM_CAP = 200;
export const MAX_LOTS = 1205;
/** Lognormal lot count: median 113, sigma chosen so P(lots > 200) ≈ 0.19, as in 358/1914 real auctions. */
const LOTS_MU = Math.log(113);
const LOTS_SIGMA = Math.log(200 / 113) / 0.8779; // 0.8779: the standard normal's 81st percentile
const SEED_ID = 104375;
const SEED_STARTS_DAY = Date.UTC(2025, 11, 21);
const DAY = 86_400_000;

interface SeedAuction {
  auction: AuctionModel;
}

export interface Generated {
  model: AuctionModel;
  /** Bid amounts per item in the order placed; the history is drawn from them on demand. */
  ladders: number[][];
  /** Compact JSON of the auction up to (not including) `"catalog_lots"`, and of each item (made on first use). */
  head: string;
  itemTexts?: string[];
}

let seed: SeedAuction | undefined;
function seedAuction(): AuctionModel {
  seed ??= JSON.parse(fixtureText(SEED_AUCTION)) as SeedAuction;
  return seed.auction;
}

/** Lot count for an auction id, drawn from the lognormal above and clamped to 1..1205. */
export function lotCount(id: number): number {
  const rng = mulberry32(hash32(id, 'lots'));
  return Math.min(MAX_LOTS, Math.max(1, Math.round(Math.exp(LOTS_MU + LOTS_SIGMA * normal(rng)))));
}

/** First item id: ids are contiguous within an auction and never shared between auctions. */
export function firstItemId(id: number): number {
  return id * 1210 + 17;
}

/** When an auction opens and when its first lots close; a live world sets them (see live-auctions.ts). */
export interface AuctionTiming {
  startsMs: number;
  endsMs: number;
}

function generate(id: number, timing?: AuctionTiming): Generated {
  const s = seedAuction();
  const rng = mulberry32(hash32(id, 'auction'));
  const words = auctionWords(rng);
  const tz = words.place.timeZone;
  // Ids grow with time, about 8 auctions a day; wrapped so absurd ids still give valid dates.
  const dayIndex = Math.floor((id - SEED_ID) / 8) % 20_000;
  const day = new Date(SEED_STARTS_DAY + dayIndex * DAY);
  // The draws happen either way, so a timing override leaves every other field as it was.
  const idStartsMs = zonedToEpoch(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), intBetween(rng, 9, 19), 0, tz);
  const endDay = new Date(SEED_STARTS_DAY + (dayIndex + intBetween(rng, 6, 13)) * DAY);
  const idEndsMs = zonedToEpoch(endDay.getUTCFullYear(), endDay.getUTCMonth() + 1, endDay.getUTCDate(), intBetween(rng, 18, 21), 0, tz);
  const startsMs = timing?.startsMs ?? idStartsMs;
  const endsMs = timing?.endsMs ?? idEndsMs;
  const pickupDay = new Date((timing ? Math.floor(endsMs / DAY) * DAY : endDay.getTime()) + intBetween(rng, 1, 3) * DAY);
  const pickupMs = zonedToEpoch(pickupDay.getUTCFullYear(), pickupDay.getUTCMonth() + 1, pickupDay.getUTCDate(), 6, 0, tz);
  const category = rng() < 0.8 ? 'A' : pick(rng, ['B', 'C']);
  const uploadTs = Math.floor(startsMs / 1000) - intBetween(rng, 3600, 80_000);
  const rotation = intBetween(rng, 0, s.items.length - 1);
  const stride = pick(rng, [1, 1, 2, 7, 11, 13]); // coprime with 75: a permutation of the seed items
  const n = lotCount(id);
  const first = firstItemId(id);
  const startText = maxsoldTime(startsMs, tz);
  const items: MaxsoldItem[] = new Array<MaxsoldItem>(n);
  const ladders: number[][] = new Array<number[]>(n);
  let lot = 0;
  let lastClose = endsMs;
  let closeAt = NaN; // lots close four to a minute: format each instant once
  let closeText = '';
  for (let i = 0; i < n; i++) {
    const ir = mulberry32(hash32(id, i, 'item'));
    const src = s.items[(rotation + i * stride) % s.items.length];
    if (src === undefined) throw new Error(`simulator: the seed auction ${SEED_AUCTION} has no items`);
    lot += ir() < 0.03 ? 2 : 1; // lot numbers skip now and then ("11", "13")
    const bidCount = drawBidCount(ir);
    const startingBid = 1; // every recorded item starts at 1
    const ladder = bidLadder(ir, bidCount, startingBid);
    const current = ladder[bidCount - 1] ?? 0; // the ladder holds bidCount amounts
    const extended = ir() < 0.03;
    // Lots close four to a minute; a soft-close extension adds minutes and odd seconds.
    const closeMs = endsMs + Math.floor(i / 4) * 60_000 + (extended ? intBetween(ir, 60, 400) * 1000 : 0);
    if (closeMs > lastClose) lastClose = closeMs;
    if (closeMs !== closeAt) [closeAt, closeText] = [closeMs, maxsoldTime(closeMs, tz)];
    const title = itemTitle(src.title, ir);
    const slug = imageSlug(title);
    const images: string[] = [];
    for (let k = 1, count = 3 + Math.floor(ir() ** 1.6 * 13); k <= count; k++) {
      images.push(`https://d12srav5gxm0re.cloudfront.net/auctionimages/${id}/${uploadTs}/${slug}-${lot}-${k}.jpeg`);
    }
    ladders[i] = ladder;
    items[i] = {
      id: first + i,
      auction_id: String(id),
      title,
      description: itemDescription(src.description, ir, category),
      taxable: ir() < 0.97,
      viewed: 450 + bidCount * intBetween(ir, 40, 110) + intBetween(ir, 0, 900),
      minimum_bid: bidCount ? cents(current + increment(current)) : startingBid,
      starting_bid: startingBid,
      current_bid: current,
      proxy_bid: 0,
      start_time: startText,
      end_time: closeText,
      lot_number: String(lot),
      bid_count: bidCount,
      bidding_extended: extended,
      buyer_premium: 18,
      pickup_schedule_id: 0,
      pickup_schedule_title: null,
      images,
      is_favorite: false,
      winning: false,
      timezone: tz,
      pusher_channel: `maxsold.maxsold.com-item-${first + i}`,
      user_has_bid_this_lot: false,
    };
  }
  const model: AuctionModel = {
    id,
    title: words.title,
    starts: startText,
    ends: maxsoldTime(endsMs, tz),
    last_item_closes: maxsoldTime(lastClose, tz),
    lic_channel: `maxsold.maxsold.com-auction-closing-${id}`,
    lic_url: `https://maxsold.maxsold.com/jsrv/auction-closing-${id}`,
    item_description_append: '',
    removal_info: removalInfo(s.removal_info, words, pickupMs + offsetMinutes(tz, pickupMs) * 60_000, category),
    inspection_info: s.inspection_info,
    intro: intro(s.intro, rng),
    disclaimers: s.disclaimers,
    pickup_time: rng() < 0.015 ? '' : maxsoldTime(pickupMs, tz), // "" in 28/1905 real auctions
    user_has_bid: false,
    partner_url: words.partner ? `https://www.${words.place.city.toLowerCase()}estatepartners.ca/` : '',
    partner_logo: '',
    extended_bidding: true,
    extended_bidding_interval: -2,
    extended_bidding_threshold: 2,
    agreement_terms: '',
    catalog_lots: n,
    items,
  };
  const { catalog_lots: _lots, items: _items, ...rest } = model;
  const head = JSON.stringify(rest).slice(0, -1) + ',';
  return { model, ladders, head };
}

// Bid-history crawls ask for one auction many times in a row, so those auctions are kept.
// A whole-auction body is usually asked once (the server caches the bytes): keeping it
// would only push garbage into the old generation, so it is kept only if already there.
const recent = new Map<number, Generated>();
const RECENT_MAX = 32;

function generated(id: number, keep: boolean): Generated {
  let g = recent.get(id);
  if (g) recent.delete(id);
  else {
    g = generate(id);
    if (!keep) return g;
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value as number);
  }
  recent.set(id, g);
  return g;
}

function assertId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`maxsold: auction id must be a positive safe integer, got ${id}`);
}

/** The full auction for an id, all lots included. Treat it as read-only: it is shared. */
export function maxsoldAuction(id: number): AuctionModel {
  assertId(id);
  return generated(id, true).model;
}

/** A generated auction with its own timing (a live world's), not cached here. */
export function generateTimed(id: number, timing: AuctionTiming): Generated {
  assertId(id);
  return generate(id, timing);
}

export function envelope(count: number, head: string, catalogLots: number, itemsText: string): string {
  return `{"status":"success","message":"Found ${count} item(s).","auction":${head}"catalog_lots":${catalogLots},"items":[${itemsText}]}}`;
}

/**
 * The exact response text for `?auctionid=id` plus the query, or null when `itemId` is not
 * in the auction. With `itemId` the auction's `catalog_lots` is 1, as in the recorded response.
 */
export function maxsoldItemsBody(id: number, query: ItemsQuery = {}): string | null {
  assertId(id);
  const offset = query.limit === undefined ? 0 : Math.max(0, Math.floor(query.offset ?? 0));
  const limit = query.limit === undefined ? DEFAULT_ITEM_CAP : Math.max(0, Math.floor(query.limit));
  // Kept for bid crawls and for partial pages, whose client will ask for the rest.
  const g = generated(id, query.itemId !== undefined || offset > 0 || offset + limit < lotCount(id));
  if (query.itemId !== undefined) {
    const index = query.itemId - firstItemId(id);
    const item = g.model.items[index];
    const history = bidItemHistory(id, index, g);
    if (item === undefined || history === null) return null;
    return envelope(1, g.head, 1, JSON.stringify({ ...item, bid_history: history }));
  }
  g.itemTexts ??= g.model.items.map(itemJson);
  const page = g.itemTexts.slice(offset, offset + limit);
  return envelope(page.length, g.head, g.model.catalog_lots, page.join(','));
}

/** The envelope of an auction that has no items (the `empty` fault). */
export function maxsoldEmptyBody(id: number): string {
  assertId(id);
  return envelope(0, generated(id, false).head, 0, '');
}

/** null when `index` is no item of the auction. */
function bidItemHistory(id: number, index: number, g: Generated): BidRecord[] | null {
  const item = g.model.items[index];
  const ladder = g.ladders[index];
  if (item === undefined || ladder === undefined) return null;
  const startMs = parseOffsetTime(item.start_time);
  const endMs = parseOffsetTime(item.end_time);
  return bidHistory(mulberry32(hash32(id, index, 'bids')), ladder, startMs, endMs, item.timezone);
}

/** The bid history of one item (highest first), or null if the item is not in the auction. */
export function maxsoldBidHistory(id: number, itemId: number): BidRecord[] | null {
  assertId(id);
  return bidItemHistory(id, itemId - firstItemId(id), generated(id, true));
}
