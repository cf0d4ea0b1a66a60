/**
 * A MaxSold world that lives in time, for long runs against a clock (the AWS emulation):
 * auction ids are allocated at a steady rate and some are never published (gaps, now and
 * then a long run of them); an auction opens hours after its id exists, takes bids for
 * days, and closes its lots four a minute, a few of them extended by a late bid (soft
 * close). What a request sees depends on the time it arrives: bids placed so far, lots
 * extended so far. Everything is a pure function of (seed, id, time), so a test can ask
 * what existed and when it closed.
 */
import { bidHistory, cents, increment, type BidRecord } from './maxsold-bids.js';
import { itemJson } from './maxsold-json.js';
import { maxsoldTime, parseOffsetTime } from './local-time.js';
import { DEFAULT_ITEM_CAP, envelope, generateTimed, type Generated } from './maxsold-payloads.js';
import type { ItemsQuery, MaxsoldItem } from './maxsold-types.js';
import { hash01, hash32, mulberry32 } from './prng.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A late bid this close to a lot's end extends it (the API's `extended_bidding_threshold`, 2 minutes). */
const SOFT_CLOSE_MS = 2 * 60_000;

export interface LiveAuctionOptions {
  /** The world's clock at the start of a run (epoch ms). Required. */
  startMs: number;
  /** The lowest auction id of the world (a scraper's start id). Required. */
  firstId: number;
  /** Auction ids allocated per day. Default 350 (with auctions open 6-10 days: ~3,000 open). */
  idsPerDay?: number;
  /** Days of ids allocated before `startMs`: auctions already open when the run starts. Default 10. */
  backlogDays?: number;
  /** How long an auction takes bids, uniform in [min, max] days. Default [6, 10]. */
  openDays?: [number, number];
  /** Share of ids never published (answered 404 for good). Default 0.04. */
  gapRate?: number;
  /** Every this many ids, a run of `longGapLength` unpublished ids. Default 0 (none). */
  longGapEvery?: number;
  /** Length of each long gap. Default 0. */
  longGapLength?: number;
  /** Seed of the timings and gaps. Default 1. */
  seed?: number;
  /** Auctions kept generated (each holds its items and bid histories). Default 1000. */
  cacheEntries?: number;
}

interface LiveItem {
  item: MaxsoldItem;
  /** Scheduled close, and the close after a soft-close extension (equal when not extended). */
  baseCloseMs: number;
  finalCloseMs: number;
  /** `bid_history` highest first, with each bid's instant. */
  bids: { record: BidRecord; atMs: number }[];
}

interface LiveModel {
  g: Generated;
  items: LiveItem[];
  startsMs: number;
  finalCloseMs: number;
  /** Every instant at which a response changes (a bid, a lot extended), ascending. */
  events: number[];
  /** `"last_item_closes":"…"` as generated (the final one), replaced by what is visible. */
  closesField: string;
}

export interface LiveReply {
  key: string;
  text: () => string;
  lastModifiedMs: number;
}

function check(name: string, value: unknown, min: number, integer: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new TypeError(
      `startSimulator: option "live.${name}" must be ${integer ? 'an integer' : 'a number'} >= ${min} (got ${JSON.stringify(value)})`,
    );
  }
}

export class LiveAuctions {
  readonly startMs: number;
  readonly firstId: number;
  readonly idsPerDay: number;
  readonly backlogDays: number;
  readonly openDays: [number, number];
  readonly gapRate: number;
  readonly longGapEvery: number;
  readonly longGapLength: number;
  readonly seed: number;
  readonly #cacheEntries: number;
  readonly #models = new Map<number, LiveModel>();
  readonly #closeText = new Map<string, string>();

  constructor(o: LiveAuctionOptions) {
    check('startMs', o.startMs, 0, false);
    check('firstId', o.firstId, 1, true);
    this.startMs = o.startMs;
    this.firstId = o.firstId;
    this.idsPerDay = o.idsPerDay ?? 350;
    this.backlogDays = o.backlogDays ?? 10;
    this.openDays = o.openDays ?? [6, 10];
    this.gapRate = o.gapRate ?? 0.04;
    this.longGapEvery = o.longGapEvery ?? 0;
    this.longGapLength = o.longGapLength ?? 0;
    this.seed = o.seed ?? 1;
    this.#cacheEntries = o.cacheEntries ?? 1000;
    check('idsPerDay', this.idsPerDay, 0.01, false);
    check('backlogDays', this.backlogDays, 0, false);
    check('gapRate', this.gapRate, 0, false);
    check('longGapEvery', this.longGapEvery, 0, true);
    check('longGapLength', this.longGapLength, 0, true);
    check('cacheEntries', this.#cacheEntries, 1, true);
    if (!(this.openDays[0] > 0 && this.openDays[1] >= this.openDays[0]))
      throw new TypeError('startSimulator: option "live.openDays" must be [min, max] days with 0 < min <= max');
    if (this.gapRate >= 1) throw new TypeError('startSimulator: option "live.gapRate" must be below 1');
    if (this.longGapEvery > 0 && this.longGapLength >= this.longGapEvery)
      throw new TypeError('startSimulator: option "live.longGapLength" must be below live.longGapEvery');
  }

  /** When an id is allocated (before `startMs` for the backlog). */
  allocatedMs(id: number): number {
    return this.startMs - this.backlogDays * DAY + ((id - this.firstId) * DAY) / this.idsPerDay;
  }

  /** An id that is never published. */
  isGap(id: number): boolean {
    const n = id - this.firstId;
    if (this.longGapEvery > 0 && n % this.longGapEvery >= this.longGapEvery - this.longGapLength) return true;
    return hash01(this.seed, 'gap', id) < this.gapRate;
  }

  /** Whether the API answers for this auction at `nowMs`. */
  exists(id: number, nowMs: number): boolean {
    return id >= this.firstId && !this.isGap(id) && this.allocatedMs(id) <= nowMs;
  }

  /** Every published id whose auction exists at `nowMs`, ascending. */
  *existing(nowMs: number): Generator<number> {
    const last = this.firstId + Math.floor(((nowMs - this.startMs + this.backlogDays * DAY) * this.idsPerDay) / DAY);
    for (let id = this.firstId; id <= last; id++) if (this.exists(id, nowMs)) yield id;
  }

  /** Opening and first close of an auction, whole minutes. */
  timing(id: number): { startsMs: number; endsMs: number } {
    const rng = mulberry32(hash32(this.seed, 'timing', id));
    const minute = (ms: number) => Math.round(ms / 60_000) * 60_000;
    const startsMs = minute(this.allocatedMs(id) + (1 + 11 * rng()) * HOUR);
    const [lo, hi] = this.openDays;
    return { startsMs, endsMs: minute(startsMs + (lo + (hi - lo) * rng()) * DAY) };
  }

  /** When the auction's last lot closes for good (after every soft-close extension). */
  finalCloseMs(id: number): number {
    return this.#model(id).finalCloseMs;
  }

  /** The response to `?auctionid=id` (with `limit`/`offset`, or one `itemid`) as it stands at `nowMs`. */
  reply(id: number, query: ItemsQuery, nowMs: number): LiveReply {
    const m = this.#model(id);
    const seen = upperBound(m.events, nowMs);
    const lastModifiedMs = m.events[seen - 1] ?? Math.max(this.allocatedMs(id), 0);
    // Between two events the bytes do not change: the state is pinned to the last one.
    const at = lastModifiedMs;
    const key = `live:${id}:${query.itemId ?? ''}:${query.limit ?? ''}:${query.offset ?? ''}:${seen}`;
    const text = (): string => {
      const items = m.items.map((it) => this.#visibleItem(it, m, at));
      const closes = Math.max(...m.items.map((it, i) => (items[i]?.bidding_extended ? it.finalCloseMs : it.baseCloseMs)));
      const head = m.g.head.replace(
        m.closesField,
        `"last_item_closes":"${this.#timeText(closes, items[0]?.timezone ?? 'America/Toronto')}"`,
      );
      if (query.itemId !== undefined) {
        const index = m.items.findIndex((it) => it.item.id === query.itemId);
        const live = m.items[index];
        // routes.ts answers 404 for an item outside the auction before asking here.
        if (live === undefined) throw new RangeError(`simulator: item ${query.itemId} is not in auction ${id}`);
        const history = live.bids.filter((b) => b.atMs <= at).map((b) => b.record);
        return envelope(1, head, 1, JSON.stringify({ ...items[index], bid_history: history }));
      }
      const offset = query.limit === undefined ? 0 : Math.max(0, Math.floor(query.offset ?? 0));
      const limit = query.limit === undefined ? DEFAULT_ITEM_CAP : Math.max(0, Math.floor(query.limit));
      const page = items.slice(offset, offset + limit);
      return envelope(page.length, head, m.g.model.catalog_lots, page.map(itemJson).join(','));
    };
    return { key, text, lastModifiedMs };
  }

  #visibleItem(it: LiveItem, m: LiveModel, at: number): MaxsoldItem {
    let count = 0;
    let current = 0;
    for (const b of it.bids) {
      if (b.atMs > at) continue;
      count++;
      if (b.record.amount > current) current = b.record.amount;
    }
    const extended = it.finalCloseMs > it.baseCloseMs && at >= it.baseCloseMs - SOFT_CLOSE_MS;
    const span = Math.max(1, m.finalCloseMs - m.startsMs);
    const progress = Math.min(1, Math.max(0, (at - m.startsMs) / span));
    return {
      ...it.item,
      bid_count: count,
      current_bid: current,
      minimum_bid: count ? cents(current + increment(current)) : it.item.starting_bid,
      viewed: Math.round(it.item.viewed * progress),
      bidding_extended: extended,
      end_time: extended ? it.item.end_time : this.#timeText(it.baseCloseMs, it.item.timezone),
    };
  }

  #timeText(ms: number, tz: string): string {
    const key = `${ms}|${tz}`;
    let text = this.#closeText.get(key);
    if (text === undefined) {
      text = maxsoldTime(ms, tz);
      if (this.#closeText.size > 50_000) this.#closeText.clear();
      this.#closeText.set(key, text);
    }
    return text;
  }

  #model(id: number): LiveModel {
    let m = this.#models.get(id);
    if (m) {
      this.#models.delete(id); // re-inserted: Map order is the recency order
    } else {
      m = this.#build(id);
      if (this.#models.size >= this.#cacheEntries) this.#models.delete(this.#models.keys().next().value as number);
    }
    this.#models.set(id, m);
    return m;
  }

  #build(id: number): LiveModel {
    const { startsMs, endsMs } = this.timing(id);
    const g = generateTimed(id, { startsMs, endsMs });
    const events: number[] = [];
    let finalCloseMs = endsMs;
    const items = g.model.items.map((item, i): LiveItem => {
      const baseCloseMs = endsMs + Math.floor(i / 4) * 60_000;
      const closeMs = parseOffsetTime(item.end_time);
      const history = bidHistory(mulberry32(hash32(id, i, 'bids')), g.ladders[i] ?? [], startsMs, closeMs, item.timezone);
      const bids = history.map((record) => ({ record, atMs: parseOffsetTime(record.time_of_bid) }));
      for (const b of bids) events.push(b.atMs);
      if (closeMs > baseCloseMs) events.push(baseCloseMs - SOFT_CLOSE_MS);
      if (closeMs > finalCloseMs) finalCloseMs = closeMs;
      return { item, baseCloseMs, finalCloseMs: closeMs, bids };
    });
    events.sort((a, b) => a - b);
    const closesField = `"last_item_closes":${JSON.stringify(g.model.last_item_closes)}`;
    return { g, items, startsMs, finalCloseMs, events, closesField };
  }
}

/** Index of the first element greater than `x` in an ascending array. */
function upperBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
