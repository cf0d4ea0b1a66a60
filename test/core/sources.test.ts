import { describe, expect, it } from 'vitest';
import { interpretResponse, REAL_ORIGINS, firstRequest, type Interpretation } from '../../core/sources/index.js';
import { rawKey } from '../../core/raw-key.js';
import type { WorkItem } from '../../core/work-item.js';
import { PermanentError, PoisonError, TransientError } from '../../core/errors.js';
import { TABLES, type Row } from '../../core/tables.js';
import { fieldReaders } from '../../core/sources/fields.js';
import { fixtureText, VIA_FIXTURES } from '../helpers/fixtures.js';

const FETCHED_AT = Date.parse('2026-01-02T18:19:14Z');

function interpret(item: WorkItem, text: string, contentType = 'application/json'): Interpretation {
  return interpretResponse(item, firstRequest(item, REAL_ORIGINS), text, REAL_ORIGINS, {
    contentType,
    sourceKey: rawKey(item),
    fetchedAt: FETCHED_AT,
    normalise: true,
  });
}

function accepted(i: Interpretation) {
  if (i.kind !== 'accepted') throw new Error(`expected accepted, got ${i.kind}`);
  return i;
}

const auction = (id = '104375', itemId?: string): WorkItem => ({ source: 'maxsold', id, dt: '2026-01-02', ...(itemId ? { itemId } : {}) });

describe('MaxSold fixtures', () => {
  it('normalises auction 104375: one auction row, 75 items, numbers cast once', () => {
    const r = accepted(interpret(auction(), fixtureText('maxsold/auction-104375.json')));
    const a = r.tables.maxsold_auctions![0]!;
    const items = r.tables.maxsold_items!;
    expect(items).toHaveLength(75);
    expect(a.auction_id).toBe(104375);
    expect(a.catalog_lots).toBe(75);
    expect(a.items_returned).toBe(75);
    // -0500 offset without a colon → UTC
    expect(a.starts_at).toBe(Date.parse('2025-12-21T22:00:00Z'));
    expect(a.last_item_closes_at).toBe(Date.parse('2026-01-03T01:18:00Z'));
    expect(new Set(items.map((i) => i.auction_id))).toEqual(new Set([104375]));
    expect(items.every((i) => typeof i.item_id === 'number' && typeof i.lot_number === 'string')).toBe(true);
    expect(r.bidItemIds).toHaveLength(68);
    expect(r.anomalies).toEqual({});
  });

  it('decodes entities in titles only, once, and trims them', () => {
    const r = accepted(interpret(auction(), fixtureText('maxsold/auction-104375.json')));
    const titles = r.tables.maxsold_items!.map((i) => i.title as string);
    expect(titles.some((t) => t.includes('&#'))).toBe(false);
    expect(titles.filter((t) => t.includes('&'))).toHaveLength(7);
    expect(titles.every((t) => t === t.trim())).toBe(true);
    const described = r.tables.maxsold_items!.find((i) => (i.description as string).includes('doesn\u2019t'));
    expect(described).toBeDefined();
  });

  it('keeps a description as sent: entities and surrounding spaces stay', () => {
    const body = JSON.parse(fixtureText('maxsold/auction-104375.json')) as { auction: { items: { description: string }[] } };
    const sent = '  Tom &amp; Jerry &#8217;s set &lt;b&gt;  ';
    body.auction.items[0]!.description = sent;
    const r = accepted(interpret(auction(), JSON.stringify(body)));
    expect(r.tables.maxsold_items![0]!.description).toBe(sent);
  });

  it('keeps cents in money fields as float64', () => {
    const r = accepted(interpret(auction(), fixtureText('maxsold/auction-104375.json')));
    const bids = r.tables.maxsold_items!.map((i) => i.current_bid as number);
    expect(bids).toContain(34.07);
    const zero = r.tables.maxsold_items!.filter((i) => i.bid_count === 0);
    expect(zero).toHaveLength(7);
    expect(zero.every((i) => i.current_bid === 0 && i.minimum_bid === 1)).toBe(true);
  });

  it('normalises the second snapshot to the same rows but viewed counts', () => {
    const strip = (rows: Row[]) => rows.map(({ viewed: _v, ...rest }) => rest);
    const a = accepted(interpret(auction(), fixtureText('maxsold/auction-104375.json')));
    const b = accepted(interpret(auction(), fixtureText('maxsold/auction-104375-snap2.json')));
    expect(strip(b.tables.maxsold_items!)).toEqual(strip(a.tables.maxsold_items!));
    const sent = (JSON.parse(fixtureText('maxsold/auction-104375-snap2.json')) as { auction: { items: { viewed: string }[] } }).auction
      .items;
    expect(b.tables.maxsold_items!.map((i) => i.viewed)).toEqual(sent.map((i) => Number(i.viewed)));
    expect(b.tables.maxsold_items!.map((i) => i.viewed)).not.toEqual(a.tables.maxsold_items!.map((i) => i.viewed));
  });

  it('normalises the bid history into maxsold_bids only', () => {
    const r = accepted(interpret(auction('104375', '7561262'), fixtureText('maxsold/item-104375-7561262.json')));
    expect(r.tables.maxsold_auctions).toBeUndefined();
    expect(r.tables.maxsold_items).toBeUndefined();
    const bids = r.tables.maxsold_bids!;
    expect(bids).toHaveLength(34);
    expect(bids[0]).toMatchObject({
      auction_id: 104375,
      item_id: 7561262,
      position: 0,
      amount: 200,
      is_proxy: false,
      bid_at: Date.parse('2026-01-02T02:56:10Z'),
    });
    expect(bids.filter((b) => b.is_proxy)).toHaveLength(13);
  });

  it('accepts the bare auction object the site embeds, items sorted by bids', () => {
    const r = accepted(interpret(auction('102916'), fixtureText('maxsold/auction-102916-nextdata.json')));
    expect(r.tables.maxsold_items).toHaveLength(72);
    expect(r.tables.maxsold_auctions![0]).toMatchObject({ catalog_lots: 163, items_returned: 72 });
    expect(r.tables.maxsold_items!.some((i) => i.lot_number === '171')).toBe(true);
    expect(r.anomalies['maxsold_auctions.catalog_lots:more_than_returned']).toBe(1);
  });
});

describe('VIA fixtures', () => {
  const expected: Record<string, [trains: number, stops: number]> = {
    'alldata-20250419T0254.json': [69, 935],
    'alldata-20250902T0426.json': [43, 525],
    'alldata-20260430T0432.json': [47, 682],
    'alldata-20260628T0453.json': [43, 460],
    'alldata-20260703T0434.json': [55, 513],
    'alldata-20260716T0425.json': [46, 612],
  };
  for (const f of VIA_FIXTURES) {
    it(`normalises ${f.name} to ${expected[f.name]![0]} trains and ${expected[f.name]![1]} stops`, () => {
      const r = accepted(interpret({ source: 'via', at: f.at }, fixtureText(f.path)));
      expect(r.tables.via_trains).toHaveLength(expected[f.name]![0]);
      expect(r.tables.via_train_stops).toHaveLength(expected[f.name]![1]);
      const badTimes = Object.keys(r.anomalies).filter((k) => k.endsWith(':bad_timestamp'));
      expect(badTimes).toEqual([]);
      // identity (number, instance) is unique within a snapshot
      const ids = r.tables.via_trains!.map((t) => `${t.train_number}|${t.instance}`);
      expect(new Set(ids).size).toBe(ids.length);
    });
  }

  it('drops the junk key "0" and counts it', () => {
    const r = accepted(interpret({ source: 'via', at: '2026-04-30T04:32:00Z' }, fixtureText('via/alldata-20260430T0432.json')));
    expect(r.tables.via_trains!.some((t) => t.train_number === '0')).toBe(false);
    expect(r.anomalies['via_trains.record:skipped_invalid']).toBe(1);
  });

  it('uses (number, instance) as identity for two live instances of train 1', () => {
    const r = accepted(interpret({ source: 'via', at: '2025-04-19T02:54:00Z' }, fixtureText('via/alldata-20250419T0254.json')));
    const ones = r.tables.via_trains!.filter((t) => t.train_number === '1');
    expect(ones.map((t) => t.train_key).sort()).toEqual(['1 (04-13)', '1 (04-16)']);
    expect(new Set(ones.map((t) => t.instance)).size).toBe(2);
  });

  it('parses local-offset stop times and keeps tz', () => {
    const r = accepted(interpret({ source: 'via', at: '2026-07-16T04:25:00Z' }, fixtureText('via/alldata-20260716T0425.json')));
    const stops = r.tables.via_train_stops!;
    expect(stops.every((s) => typeof s.tz === 'string')).toBe(true);
    const prup = stops.find((s) => s.station_code === 'PRUP' && s.stop_index === 0)!;
    expect(prup.scheduled_at).toBe(Date.parse('2026-07-15T15:00:00Z'));
  });

  it('turns &mdash; into null and falls back to the sub-object estimate on the switchover day', () => {
    const r = accepted(interpret({ source: 'via', at: '2026-07-03T04:34:00Z' }, fixtureText('via/alldata-20260703T0434.json')));
    const stops = r.tables.via_train_stops!;
    expect(stops.some((s) => s.eta === '&mdash;' || s.eta === '')).toBe(false);
    const raw = JSON.parse(fixtureText('via/alldata-20260703T0434.json')) as Record<string, { times: Array<Record<string, unknown>> }>;
    const fallback = Object.values(raw)
      .flatMap((t) => t.times)
      .filter(
        (s) =>
          s.estimated === '&mdash;' &&
          ((s.arrival as Record<string, unknown>)?.estimated || (s.departure as Record<string, unknown>)?.estimated),
      );
    expect(fallback).toHaveLength(276);
    const withEstimate = stops.filter((s) => s.estimated_at !== null).length;
    const topLevel = Object.values(raw)
      .flatMap((t) => t.times)
      .filter((s) => s.estimated !== '&mdash;').length;
    expect(withEstimate).toBe(topLevel + 276);
  });

  it('nulls direction -1 and keeps the split stop with an empty code as null', () => {
    const r = accepted(interpret({ source: 'via', at: '2025-09-02T04:26:00Z' }, fixtureText('via/alldata-20250902T0426.json')));
    const split = r.tables.via_train_stops!.filter((s) => s.train_number === '604' && (s.station as string).startsWith('Riv'));
    expect(split.map((s) => s.station_code)).toEqual(['OSKR', null]);
    expect(r.tables.via_trains!.every((t) => t.direction !== -1)).toBe(true);
  });

  it('records replacement services as strings', () => {
    const r = accepted(interpret({ source: 'via', at: '2026-06-28T04:53:00Z' }, fixtureText('via/alldata-20260628T0453.json')));
    const replaced = r.tables.via_train_stops!.filter((s) => s.replaced_mode === 'train');
    expect(replaced).toHaveLength(37);
    expect(replaced.every((s) => JSON.stringify(s.replaced_services) === '["602"]')).toBe(true);
    expect(r.tables.via_train_stops!.filter((s) => s.cancelled)).toHaveLength(41);
    expect(r.tables.via_train_stops!.every((s) => typeof s.cancelled === 'boolean')).toBe(true);
  });
});

describe('bad bodies', () => {
  const item = auction();
  it('an HTML page with status 200 is transient', () => {
    expect(() => interpret(item, '<html><body>Service Unavailable</body></html>', 'text/html')).toThrow(TransientError);
  });
  it('a body cut short is transient (truncated_json)', () => {
    const text = fixtureText('maxsold/auction-104375.json');
    try {
      interpret(item, text.slice(0, text.length / 2));
      expect.unreachable();
    } catch (e) {
      expect((e as TransientError).reason).toBe('truncated_json');
    }
  });
  it('an auction with no items is permanent: empty', () => {
    const body = JSON.stringify({ status: 'success', message: 'Found 0 item(s).', auction: { id: 104375, items: [] } });
    expect(() => interpret(item, body)).toThrow(PermanentError);
  });
  it('a body that parses but has no auction is poison', () => {
    expect(() => interpret(item, JSON.stringify({ status: 'success', auction: { id: 'oops', items: 'none' } }))).toThrow(PoisonError);
  });
  it('an auction for another id is poison', () => {
    expect(() => interpret(auction('999'), fixtureText('maxsold/auction-104375.json'))).toThrow(PoisonError);
  });
  it('a VIA array is poison', () => {
    expect(() => interpret({ source: 'via', at: '2026-07-16T04:25:00Z' }, '[1,2]')).toThrow(PoisonError);
  });
  it('missing fields become null and are counted', () => {
    const raw = JSON.parse(fixtureText('maxsold/auction-104375.json'));
    delete raw.auction.items[0].current_bid;
    raw.auction.items[1].viewed = '12';
    raw.auction.items[2].end_time = 'tomorrow';
    const r = accepted(interpret(item, JSON.stringify(raw)));
    expect(r.tables.maxsold_items![0]!.current_bid).toBeNull();
    expect(r.tables.maxsold_items![1]!.viewed).toBe(12);
    expect(r.tables.maxsold_items![2]!.end_at).toBeNull();
    expect(r.anomalies).toEqual({
      'maxsold_items.current_bid:missing': 1,
      'maxsold_items.viewed:numeric_string': 1,
      'maxsold_items.end_time:bad_timestamp': 1,
    });
  });
});

describe('MaxSold paging', () => {
  it('asks again with a larger limit when a page comes back full', () => {
    const raw = JSON.parse(fixtureText('maxsold/auction-104375.json'));
    const item = auction();
    const req = { url: 'x', limit: 75, round: 0 };
    const i = interpretResponse(item, req, JSON.stringify(raw), REAL_ORIGINS, { sourceKey: rawKey(item), fetchedAt: 0, normalise: true });
    expect(i.kind).toBe('again');
    if (i.kind === 'again') {
      expect(i.request.limit).toBe(200);
      expect(i.request.url).toBe('https://maxsold.maxsold.com/msapi/auctions/items?auctionid=104375&limit=200');
    }
  });
});

describe('field readers', () => {
  it('must name exactly the columns a table reads from API fields', () => {
    expect(Object.keys(fieldReaders(TABLES.maxsold_bids, ['bid_at', 'amount', 'is_proxy']))).toHaveLength(3);
    expect(() => fieldReaders(TABLES.maxsold_bids, ['bid_at', 'amount'])).toThrow(/not read: \[is_proxy\]/);
    expect(() => fieldReaders(TABLES.maxsold_bids, ['bid_at', 'amount', 'is_proxy', 'position'])).toThrow(
      /not field columns: \[position\]/,
    );
  });
});
