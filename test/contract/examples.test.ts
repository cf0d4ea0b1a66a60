import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TableQuery } from '../../adapters/duckdb-query.js';
import { encodeParquet } from '../../adapters/parquet.js';
import { rawKey, tableFileKey } from '../../core/raw-key.js';
import { TABLES } from '../../core/tables.js';
import type { WorkItem } from '../../core/work-item.js';
import { tempDir } from '../helpers/data-dir.js';
import { fixtureText } from '../helpers/fixtures.js';
import { accepted, escapeNonAscii, processBody } from '../helpers/processed.js';

/** The plausible variations of real bodies that used to come out wrong with nothing said. */

const AUCTION: WorkItem = { source: 'maxsold', id: '104375', dt: '2026-01-02' };
const VIA: WorkItem = { source: 'via', at: '2026-07-16T04:25:00Z' };

interface Auction {
  auction: { title: string; items: Array<Record<string, unknown>> };
}
const auction = () => JSON.parse(fixtureText('maxsold/auction-104375.json')) as Auction;
type ViaTrain = { instance: string; times: Array<Record<string, unknown>> };
const snapshot = () => JSON.parse(fixtureText('via/alldata-20260716T0425.json')) as Record<string, ViaTrain>;

/** Both forms a body's text can take: raw UTF-8, and every non-ASCII character escaped. */
function bothPaths(json: unknown): Array<[string, string]> {
  const raw = JSON.stringify(json);
  return [
    ['raw UTF-8', raw],
    ['escaped', escapeNonAscii(raw)],
  ];
}

describe('HTML entities: every HTML5 name and numeric references, decoded once', () => {
  it.each(
    bothPaths(
      (() => {
        const a = auction();
        a.auction.items[0]!.title = 'Chaise Le&oacute;n, M&uuml;ller &amp; Pe&ntilde;a &Agrave; la carte ';
        a.auction.items[1]!.title = 'Plate &amp;eacute; &#x1F37D; &frac78;&NotNestedLessLess;';
        a.auction.title = 'Estate &ndash; Montr&eacute;al &copy 2020';
        return a;
      })(),
    ),
  )('%s', (_path, body) => {
    const r = accepted(processBody(AUCTION, body));
    expect(r.tables.maxsold_items!.slice(0, 2).map((i) => i.title)).toEqual([
      'Chaise León, Müller & Peña À la carte',
      'Plate &eacute; 🍽 ⅞\u2aa1\u0338',
    ]);
    expect(r.tables.maxsold_auctions![0]!.title).toBe('Estate \u2013 Montréal &copy 2020');
    expect(r.anomalies).toEqual({});
  });
});

describe('integers never wrap', () => {
  it('a view count past int32 is kept whole (bigint), through Parquet and DuckDB', async () => {
    const a = auction();
    a.auction.items[0]!.viewed = 3_000_000_000;
    a.auction.items[1]!.viewed = Number.MAX_SAFE_INTEGER;
    const r = accepted(processBody(AUCTION, JSON.stringify(a)));
    const items = r.tables.maxsold_items!;
    expect(items.slice(0, 2).map((i) => i.viewed)).toEqual([3_000_000_000, Number.MAX_SAFE_INTEGER]);
    expect(r.anomalies).toEqual({});
    const { dir, cleanup } = tempDir('contract-duckdb-');
    try {
      const path = join(dir, tableFileKey('maxsold_items', rawKey(AUCTION)));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, encodeParquet(TABLES.maxsold_items, items));
      const db = await TableQuery.open(dir);
      try {
        const q = await db.query(
          'SELECT CAST(viewed AS VARCHAR) FROM maxsold_items WHERE item_id IN (SELECT item_id FROM maxsold_items ORDER BY item_id LIMIT 2) ORDER BY item_id',
        );
        expect(q.rows.flat()).toEqual(['3000000000', String(Number.MAX_SAFE_INTEGER)]);
      } finally {
        db.close();
      }
    } finally {
      cleanup();
    }
  });

  it('an int column past its range is null and counted, never wrapped', () => {
    const a = auction();
    a.auction.items[0]!.bid_count = 3_000_000_000;
    a.auction.items[1]!.bid_count = 2 ** 31;
    a.auction.items[2]!.viewed = 2 ** 53;
    a.auction.items[3]!.viewed = -1;
    a.auction.items[4]!.bid_count = 2.5;
    const r = accepted(processBody(AUCTION, JSON.stringify(a)));
    const items = r.tables.maxsold_items!;
    expect([items[0]!.bid_count, items[1]!.bid_count, items[2]!.viewed, items[3]!.viewed, items[4]!.bid_count]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(r.anomalies).toEqual({
      'maxsold_items.bid_count:out_of_range': 2,
      'maxsold_items.viewed:out_of_range': 2,
      'maxsold_items.bid_count:not_integer': 1,
    });
  });
});

describe('VIA stop fields go through the same readers', () => {
  it('diffMin "7" is 7 and cancelled "true" is true, each counted as a cast', () => {
    const s = snapshot();
    const key = Object.keys(s)[0]!;
    s[key]!.times[0]!.diffMin = '7';
    s[key]!.times[1]!.cancelled = 'true';
    s[key]!.times[2]!.cancelled = 'yes';
    const r = accepted(processBody(VIA, JSON.stringify(s)));
    const train = r.tables.via_trains!.find((t) => t.train_key === key)!;
    const stops = r.tables.via_train_stops!.filter((x) => x.train_number === train.train_number && x.instance === train.instance);
    expect(stops[0]!.diff_min).toBe(7);
    expect(stops[1]!.cancelled).toBe(true);
    expect(stops[2]!.cancelled).toBeNull();
    expect(r.anomalies).toEqual({
      'via_train_stops.diffMin:numeric_string': 1,
      'via_train_stops.cancelled:boolean_string': 1,
      'via_train_stops.cancelled:not_boolean': 1,
    });
  });
});

describe('impossible dates and times are rejected', () => {
  it('a VIA instance of 2026-02-31 skips the record, counted, instead of moving the train to March 3', () => {
    const s = snapshot();
    const key = Object.keys(s)[0]!;
    const trains = Object.keys(s).length;
    s[key]!.instance = '2026-02-31';
    const r = accepted(processBody(VIA, JSON.stringify(s)));
    expect(r.tables.via_trains!).toHaveLength(trains - 1);
    expect(r.tables.via_trains!.some((t) => t.train_key === key)).toBe(false);
    expect(r.anomalies).toEqual({ 'via_trains.record:skipped_invalid': 1 });
  });

  it('Feb 30 and hour 25 are null and counted like any unparseable time', () => {
    const a = auction();
    a.auction.items[0]!.end_time = '2026-02-30T12:00:00-0500';
    a.auction.items[1]!.end_time = '2026-01-02T25:00:00-0500';
    const r = accepted(processBody(AUCTION, JSON.stringify(a)));
    expect(r.tables.maxsold_items!.slice(0, 2).map((i) => i.end_at)).toEqual([null, null]);
    expect(r.anomalies).toEqual({ 'maxsold_items.end_time:bad_timestamp': 2 });
  });
});

describe('duplicate identities in one body', () => {
  it('the same item id twice gives one row, the first, and is counted', () => {
    const a = auction();
    const first = a.auction.items[0]!;
    a.auction.items.push({ ...first, title: 'A later copy', viewed: 1 });
    const r = accepted(processBody(AUCTION, JSON.stringify(a)));
    const rows = r.tables.maxsold_items!.filter((i) => i.item_id === first.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.title).toBe(first.title);
    expect(r.tables.maxsold_auctions![0]!.items_returned).toBe(75);
    expect(r.anomalies).toEqual({ 'maxsold_items.record:duplicate_identity': 1 });
  });
});

describe('text that is not Unicode is counted and kept visibly replaced', () => {
  it('a lone surrogate escape becomes U+FFFD, counted', () => {
    const a = auction();
    a.auction.items[0]!.title = 'Lamp \ud83d shade';
    a.auction.items[0]!.description = 'ok \ud83d\ude00 \ude00';
    const r = accepted(processBody(AUCTION, JSON.stringify(a)));
    expect(r.tables.maxsold_items![0]!.title).toBe('Lamp \ufffd shade');
    expect(r.tables.maxsold_items![0]!.description).toBe('ok 😀 \ufffd');
    expect(r.anomalies).toEqual({ 'maxsold_items.title:invalid_unicode': 1, 'maxsold_items.description:invalid_unicode': 1 });
  });

  it('a byte that is not UTF-8 becomes U+FFFD, counted on its field', () => {
    const a = auction();
    a.auction.items[0]!.lot_number = 'XMARK';
    const utf8 = Buffer.from(JSON.stringify(a));
    const at = utf8.indexOf('XMARK');
    const bytes = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xe9]), utf8.subarray(at + 1)]);
    const r = accepted(processBody(AUCTION, bytes));
    expect(r.tables.maxsold_items![0]!.lot_number).toBe('\ufffdMARK');
    expect(r.anomalies).toEqual({ 'maxsold_items.lot_number:invalid_unicode': 1 });
  });
});
