import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ITEM_CAP,
  firstItemId,
  lotCount,
  maxsoldAuction,
  maxsoldEmptyBody,
  maxsoldItemsBody,
  type AuctionModel,
} from '../../simulator/index.js';

const seedUrl = new URL('../../fixtures/maxsold/auction-104375.json', import.meta.url);
const seed = JSON.parse(readFileSync(seedUrl, 'utf8')) as { auction: Record<string, unknown> & { items: Record<string, unknown>[] } };
const AUCTION_KEYS = Object.keys(seed.auction);
const ITEM_KEYS = Object.keys(seed.auction.items[0]!);
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/;
const IDS = Array.from({ length: 2000 }, (_, i) => 100_000 + i);

function parse(text: string | null): { status: string; message: string; auction: AuctionModel } {
  expect(text).not.toBeNull();
  return JSON.parse(text!) as { status: string; message: string; auction: AuctionModel };
}

function hasCents(n: number): boolean {
  return !Number.isInteger(n) && Math.round(n * 100) === n * 100;
}

describe('maxsold payload shapes', () => {
  const a = maxsoldAuction(104_999);

  it('has the seed auction keys in the seed order, and the seed types', () => {
    expect(Object.keys(a)).toEqual(AUCTION_KEYS);
    for (const key of AUCTION_KEYS) expect(typeof (a as unknown as Record<string, unknown>)[key], key).toBe(typeof seed.auction[key]);
    expect(a.id).toBe(104_999);
    expect(a.catalog_lots).toBe(a.items.length);
    expect(a.lic_channel).toBe('maxsold.maxsold.com-auction-closing-104999');
    for (const t of [a.starts, a.ends, a.last_item_closes]) expect(t).toMatch(TIME);
    expect(a.title).toMatch(/^.+ \(.+, Canada\) (SELLER|PARTNER) MANAGED .+ Online Auction - .+$/);
    expect(a.intro).toContain('and more!\\n'); // the literal backslash-n of the seed
    expect([a.extended_bidding, a.extended_bidding_interval, a.extended_bidding_threshold]).toEqual([true, -2, 2]);
  });

  it('has items with the 24 seed keys in order and the documented types', () => {
    const first = firstItemId(a.id);
    a.items.forEach((item, i) => {
      expect(Object.keys(item)).toEqual(ITEM_KEYS);
      for (const key of ITEM_KEYS)
        expect(typeof (item as unknown as Record<string, unknown>)[key], key).toBe(typeof seed.auction.items[0]![key]);
      expect(item.id).toBe(first + i);
      expect(item.auction_id).toBe('104999');
      expect(item.lot_number).toMatch(/^\d+$/);
      expect(item.pickup_schedule_title).toBeNull();
      expect(item.images.length).toBeGreaterThanOrEqual(3);
      expect(item.images.length).toBeLessThanOrEqual(15);
      expect(item.images[0]).toMatch(/^https:\/\/d12srav5gxm0re\.cloudfront\.net\/auctionimages\/104999\/\d+\/w[a-z0-9_-]+-\d+-1\.jpeg$/);
      expect(item.start_time).toMatch(TIME);
      expect(item.end_time).toMatch(TIME);
      expect(item.pusher_channel).toBe(`maxsold.maxsold.com-item-${item.id}`);
      if (item.bid_count === 0) expect([item.current_bid, item.minimum_bid]).toEqual([0, 1]);
      else expect(item.minimum_bid - item.current_bid).toSatisfy((d: number) => [1, 3, 5, 10].some((x) => Math.abs(d - x) < 1e-9));
    });
    const last = Math.max(...a.items.map((it) => Date.parse(it.end_time)));
    expect(Date.parse(a.last_item_closes)).toBe(last);
  });

  it('reproduces the quirks across many auctions', () => {
    const items = IDS.slice(0, 60).flatMap((id) => maxsoldAuction(id).items);
    const titles = items.map((it) => it.title);
    for (const entity of ['&#38;', '&#39;', '&#34;'])
      expect(
        titles.some((t) => t.includes(entity)),
        entity,
      ).toBe(true);
    expect(titles.some((t) => t.endsWith(' '))).toBe(true);
    expect(items.some((it) => it.description.includes('&') && !/&#\d+;/.test(it.description))).toBe(true);
    expect(items.every((it) => !/&#\d+;|&amp;/.test(it.description))).toBe(true);
    expect(items.some((it) => hasCents(it.current_bid) && hasCents(it.minimum_bid))).toBe(true);
    expect(items.some((it) => Number.isInteger(it.current_bid) && it.current_bid > 0)).toBe(true);
    expect(items.some((it) => /:\d\d:[1-5]\d-\d{4}$/.test(it.end_time) && it.bidding_extended)).toBe(true);
    const lots = items.map((it) => Number(it.lot_number));
    expect(lots.some((n, i) => i > 0 && n - lots[i - 1]! === 2)).toBe(true); // lot numbers skip
    const offsets = new Set(IDS.slice(0, 400).map((id) => maxsoldAuction(id).starts.slice(-5)));
    expect(offsets.has('-0400') && offsets.has('-0500')).toBe(true); // summer and winter, no colon
    const sample = IDS.slice(0, 1000); // 1000 full auctions: enough for a 1.5% rate, and quick
    const blankPickup = sample.filter((id) => maxsoldAuction(id).pickup_time === '').length / sample.length;
    expect(blankPickup).toBeGreaterThan(0.004);
    expect(blankPickup).toBeLessThan(0.03);
  });

  it('is deterministic per id and differs between ids', () => {
    expect(maxsoldItemsBody(123_456)).toBe(maxsoldItemsBody(123_456));
    expect(maxsoldAuction(123_457).title + maxsoldAuction(123_457).items[0]!.title).not.toBe(
      maxsoldAuction(123_456).title + maxsoldAuction(123_456).items[0]!.title,
    );
    expect(() => maxsoldAuction(0)).toThrow(RangeError);
  });
});

describe('maxsold lot counts and sizes', () => {
  it('draws ~19% of auctions above 200 lots, median near 113, at most 1205', () => {
    const lots = IDS.map(lotCount).sort((x, y) => x - y);
    const above = lots.filter((n) => n > 200).length / lots.length;
    expect(above).toBeGreaterThan(0.16);
    expect(above).toBeLessThan(0.22);
    expect(lots[lots.length / 2]).toBeGreaterThanOrEqual(100);
    expect(lots[lots.length / 2]).toBeLessThanOrEqual(126);
    expect(lots[0]).toBeGreaterThanOrEqual(1);
    expect(lots.at(-1)).toBeLessThanOrEqual(1205);
    expect(maxsoldAuction(IDS[0]!).catalog_lots).toBe(lotCount(IDS[0]!));
  });

  it('has a median compact body of 150-200 KB for a median-sized auction', () => {
    const near = IDS.filter((id) => Math.abs(lotCount(id) - 113) <= 10).slice(0, 41);
    const sizes = near.map((id) => Buffer.byteLength(maxsoldItemsBody(id)!)).sort((x, y) => x - y);
    expect(sizes[20]).toBeGreaterThan(150_000);
    expect(sizes[20]).toBeLessThan(200_000);
  });
});

describe('maxsold paging', () => {
  const big = IDS.find((id) => lotCount(id) > 450)!;
  const small = IDS.find((id) => lotCount(id) < 60)!;

  it('caps at 200 items without limit, and returns all lots of a small auction', () => {
    const capped = parse(maxsoldItemsBody(big));
    expect(capped.status).toBe('success');
    expect(capped.auction.items).toHaveLength(DEFAULT_ITEM_CAP);
    expect(capped.message).toBe('Found 200 item(s).');
    expect(capped.auction.catalog_lots).toBe(lotCount(big));
    const all = parse(maxsoldItemsBody(small));
    expect(all.auction.items).toHaveLength(lotCount(small));
    expect(all.message).toBe(`Found ${lotCount(small)} item(s).`);
  });

  it('honours limit and offset', () => {
    const lots = lotCount(big);
    const full = parse(maxsoldItemsBody(big, { limit: 1000 }));
    expect(full.auction.items).toHaveLength(Math.min(lots, 1000));
    const page = parse(maxsoldItemsBody(big, { limit: 72, offset: 144 }));
    expect(page.auction.items.map((it) => it.id)).toEqual(full.auction.items.slice(144, 216).map((it) => it.id));
    const tail = parse(maxsoldItemsBody(big, { limit: 100, offset: lots - 30 }));
    expect(tail.auction.items).toHaveLength(30);
    const past = parse(maxsoldItemsBody(big, { limit: 100, offset: lots + 5 }));
    expect(past.auction.items).toHaveLength(0);
    expect(past.message).toBe('Found 0 item(s).');
  });

  it('writes compact JSON with the envelope first', () => {
    const text = maxsoldItemsBody(small)!;
    expect(text.startsWith(`{"status":"success","message":"Found ${lotCount(small)} item(s).","auction":{"id":${small},"title":`)).toBe(
      true,
    );
    expect(text).not.toMatch(/\n\s/);
    // Items are written by hand for speed: the bytes must be exactly JSON.stringify's.
    for (const id of [small, ...IDS.slice(0, 30)]) {
      const body = maxsoldItemsBody(id, { limit: 2000 })!;
      expect(JSON.stringify(JSON.parse(body))).toBe(body);
    }
  });

  it('answers the empty-auction form', () => {
    const empty = parse(maxsoldEmptyBody(small));
    expect(empty.message).toBe('Found 0 item(s).');
    expect(empty.auction.items).toEqual([]);
    expect(empty.auction.catalog_lots).toBe(0);
    expect(Object.keys(empty.auction)).toEqual(AUCTION_KEYS);
  });
});

describe('maxsold bid history', () => {
  const id = 104_375;
  const a = maxsoldAuction(id);

  it('returns one item with bid_history as the 25th key, and catalog_lots 1 as recorded', () => {
    const item = a.items.find((it) => it.bid_count > 5)!;
    const res = parse(maxsoldItemsBody(id, { itemId: item.id }));
    expect(res.message).toBe('Found 1 item(s).');
    expect(res.auction.catalog_lots).toBe(1);
    expect(res.auction.items).toHaveLength(1);
    expect(Object.keys(res.auction.items[0]!)).toEqual([...ITEM_KEYS, 'bid_history']);
    expect(maxsoldItemsBody(id, { itemId: firstItemId(id) - 1 })).toBeNull();
    expect(maxsoldItemsBody(id, { itemId: firstItemId(id) + a.items.length })).toBeNull();
  });

  it('has bid_count bids, highest first, the top one the current bid', () => {
    let pairs = 0;
    let ties = 0;
    let centBids = 0;
    for (const aid of [id, ...IDS.slice(0, 15)]) {
      for (const item of maxsoldAuction(aid).items) {
        const res = parse(maxsoldItemsBody(aid, { itemId: item.id }));
        const bids = (res.auction.items[0] as unknown as { bid_history: { time_of_bid: string; amount: number; isproxy: boolean }[] })
          .bid_history;
        expect(bids).toHaveLength(item.bid_count);
        if (!bids.length) continue;
        expect(bids[0]!.amount).toBe(item.current_bid);
        for (let k = 0; k < bids.length; k++) {
          expect(Object.keys(bids[k]!)).toEqual(['time_of_bid', 'amount', 'isproxy']);
          expect(bids[k]!.time_of_bid).toMatch(TIME);
          expect(typeof bids[k]!.isproxy).toBe('boolean');
          if (hasCents(bids[k]!.amount)) centBids++;
          if (k === 0) continue;
          expect(bids[k]!.amount).toBeLessThanOrEqual(bids[k - 1]!.amount);
          if (bids[k]!.time_of_bid === bids[k - 1]!.time_of_bid && bids[k]!.isproxy !== bids[k - 1]!.isproxy) pairs++;
          if (bids[k]!.amount === bids[k - 1]!.amount) ties++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(20);
    expect(ties).toBeGreaterThan(5);
    expect(centBids).toBeGreaterThan(0);
  });
});
