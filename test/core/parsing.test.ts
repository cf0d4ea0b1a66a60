import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDateDays, parseTimestamp } from '../../core/timestamps.js';
import { decodeEntities } from '../../core/html-entities.js';
import { countIds, mergePlans, parseIdList, parseIdRanges, planAuctions } from '../../core/planner.js';
import { itemFromRawKey, rawKey, rawStem, tableFileKey } from '../../core/raw-key.js';
import { parseSeenMarker, seenMarkerKey } from '../../core/normalise-object.js';
import { parseWorkItem, type WorkItem } from '../../core/work-item.js';

describe('parseTimestamp', () => {
  it.each([
    ['2025-12-21T17:00:00-0500', '2025-12-21T22:00:00.000Z'],
    ['2025-07-21T17:00:00-0400', '2025-07-21T21:00:00.000Z'],
    ['2026-07-15T08:00:17-07:00', '2026-07-15T15:00:17.000Z'],
    ['2026-07-16T04:23:36Z', '2026-07-16T04:23:36.000Z'],
    ['2026-01-02T20:15:41.250-0500', '2026-01-03T01:15:41.250Z'],
    ['2026-03-08T02:30:00+05:30', '2026-03-07T21:00:00.000Z'],
  ])('%s → %s', (input, iso) => expect(new Date(parseTimestamp(input)!).toISOString()).toBe(iso));

  it.each([['&mdash;'], [''], [null], [undefined]])('sentinel %j → null', (v) => expect(parseTimestamp(v)).toBeNull());

  it.each([
    ['tomorrow'],
    ['2026-02-31T00:00:00Z'],
    ['2026-07-16 04:23:36Z'],
    ['2026-07-16T04:23:36'],
    ['2026-07-16T04:23:36+5'],
    [42],
    ['2026-02-30T12:00:00Z'],
    ['2025-02-29T12:00:00-0500'],
    ['2026-04-31T12:00:00Z'],
    ['2026-07-16T25:00:00Z'],
    ['2026-07-16T24:00:00Z'],
    ['2026-07-16T12:60:00Z'],
    ['2026-07-16T12:00:60Z'],
    ['2026-07-16T12:00:00+19:00'],
    ['2026-07-16T12:00:00.Z'],
  ])('malformed %j → undefined', (v) => expect(parseTimestamp(v)).toBeUndefined());

  it('takes a year before 100 as written, not as 19xx', () => {
    expect(new Date(parseTimestamp('0050-03-01T00:00:00Z')!).getUTCFullYear()).toBe(50);
    expect(parseDateDays('0050-03-01')).toBe(parseTimestamp('0050-03-01T00:00:00Z')! / 86_400_000);
  });

  it('accepts a leap day, a long fraction and an offset of 18 hours', () => {
    expect(parseTimestamp('2028-02-29T23:59:59.123456789+18:00')).toBe(Date.parse('2028-02-29T05:59:59.123Z'));
  });

  it('dates to epoch days', () => {
    expect(parseDateDays('1970-01-02')).toBe(1);
    expect(parseDateDays('2028-02-29')).toBe(Date.UTC(2028, 1, 29) / 86_400_000);
    expect(parseDateDays('')).toBeNull();
  });

  it.each([['2026-02-31'], ['2026-02-29'], ['2026-13-01'], ['2026-06-31'], ['2026-00-10']])(
    'a day that does not exist, %s, is no date',
    (d) => {
      expect(parseDateDays(d)).toBeNull();
    },
  );
});

describe('decodeEntities', () => {
  it('decodes numeric and named references once', () => {
    expect(decodeEntities('O&#39;Connor &#38; Sons &#34;Big&#34; &amp;amp; caf&eacute; &#x2019;')).toBe(
      'O\'Connor & Sons "Big" &amp; café \u2019',
    );
  });
  it('leaves unknown references, references without their ";" and bare ampersands alone', () => {
    expect(decodeEntities('R&D &bogus; AT&T &copy 2020 &#65 a & b')).toBe('R&D &bogus; AT&T &copy 2020 &#65 a & b');
  });
  it('decodes every HTML5 name, not a short list of them', () => {
    expect(decodeEntities('&oacute; &uuml; &ntilde; &Agrave; &NotNestedLessLess; &frac78;')).toBe('ó ü ñ À \u2aa1\u0338 ⅞');
  });
  it('turns numeric references HTML5 calls invalid into U+FFFD, and maps 128-159 as windows-1252', () => {
    expect(decodeEntities('&#0; &#xD800; &#x110000; &#128; &#x99;')).toBe('\ufffd \ufffd \ufffd \u20ac \u2122');
  });
});

describe('planner', () => {
  it('parses ranges and lists', () => {
    expect(parseIdRanges('100000-100002, 100010')).toEqual([
      { from: 100000, to: 100002 },
      { from: 100010, to: 100010 },
    ]);
    expect(countIds(parseIdList('# ids\n103417\n103420, 103421\n'))).toBe(3);
  });
  it('counts the ids it plans: repeated, overlapping and adjacent ranges once', () => {
    expect(countIds(parseIdRanges('1-200,1-200,1-200'))).toBe(200);
    expect(countIds(parseIdList('7\n7\n7\n'))).toBe(1);
    const range = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 40 })).map(([from, n]) => ({ from, to: from + n }));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), (ranges) => {
        expect(countIds(ranges)).toBe([...planAuctions(ranges, '2026-12-07')].length);
      }),
    );
  });
  it('rejects bad specs with the expected form', () => {
    expect(() => parseIdRanges('abc')).toThrow(/expected auction ids like 100000-100500/);
    expect(() => parseIdRanges('5-1')).toThrow(/ends before it starts/);
    expect(() => parseIdRanges('0')).toThrow(/from 1 to/);
  });
  it('plans each id once, lazily, even when ranges overlap', () => {
    const ids = [
      ...planAuctions(
        [
          { from: 5, to: 8 },
          { from: 1, to: 6 },
        ],
        '2026-11-26',
      ),
    ].map((i) => (i as { id: string }).id);
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    const big = planAuctions([{ from: 1, to: 1_000_000 }], '2026-11-26');
    expect(big.next().value).toEqual({ source: 'maxsold', id: '1', dt: '2026-11-26' });
  });
  it('merges plans', async () => {
    const a: WorkItem[] = [{ source: 'maxsold', id: '1', dt: '2026-01-01' }];
    async function* b() {
      yield { source: 'via', at: '2026-01-01T00:00:00Z' } as WorkItem;
    }
    const got: WorkItem[] = [];
    for await (const i of mergePlans(a, b())) got.push(i);
    expect(got).toHaveLength(2);
  });
});

describe('keys', () => {
  const items: WorkItem[] = [
    { source: 'maxsold', id: '103417', dt: '2026-11-26' },
    { source: 'maxsold', id: '103417', itemId: '7561262', dt: '2026-11-26' },
    { source: 'via', at: '2026-11-26T12:15:00Z' },
  ];
  it('derive from the work item only, and back', () => {
    expect(items.map(rawKey)).toEqual([
      'raw/source=maxsold/dt=2026-11-26/auction=103417.json.gz',
      'raw/source=maxsold_bids/dt=2026-11-26/auction=103417/item=7561262.json.gz',
      'raw/source=via/dt=2026-11-26/snapshot=20261126T121500Z.json.gz',
    ]);
    for (const i of items) expect(itemFromRawKey(rawKey(i))).toEqual(i);
  });
  it('name one table file per raw object', () => {
    expect(tableFileKey('maxsold_items', rawKey(items[0]!))).toBe('tables/maxsold_items/dt=2026-11-26/maxsold-103417.parquet');
    expect(new Set(items.map((i) => rawStem(rawKey(i)))).size).toBe(3);
  });
  it('work items from a queue are validated', () => {
    expect(parseWorkItem('{"source":"maxsold","id":"103417","dt":"2026-11-26"}')).toEqual(items[0]);
    expect(() => parseWorkItem({ source: 'maxsold', id: 'abc', dt: '2026-11-26' })).toThrow(/"id" must be/);
    expect(() => parseWorkItem({ source: 'ebay' })).toThrow(/"source" must be/);
  });

  it("keeps a final poll's flag and refuses any other value for it", () => {
    expect(parseWorkItem('{"source":"maxsold","id":"103417","dt":"2026-11-26","final":true}')).toEqual({
      source: 'maxsold',
      id: '103417',
      dt: '2026-11-26',
      final: true,
    });
    expect(() => parseWorkItem({ source: 'maxsold', id: '103417', dt: '2026-11-26', final: 'yes' })).toThrow(
      /"final" must be true when present/,
    );
  });

  it("keeps a re-poll's planned closing time and refuses one in another form", () => {
    expect(parseWorkItem('{"source":"maxsold","id":"103417","dt":"2026-11-26","closes":"20261127T180000Z"}')).toEqual({
      source: 'maxsold',
      id: '103417',
      dt: '2026-11-26',
      closes: '20261127T180000Z',
    });
    expect(() => parseWorkItem({ source: 'maxsold', id: '103417', dt: '2026-11-26', closes: '2026-11-27T18:00:00Z' })).toThrow(
      /"closes" must be a UTC instant like 20261127T180000Z/,
    );
  });

  it('seen markers read back as written; another key is no marker', () => {
    const closes = Date.parse('2026-11-27T18:00:00Z');
    expect(parseSeenMarker(seenMarkerKey('103417', closes))).toEqual({ id: '103417', closesAt: closes });
    expect(parseSeenMarker(seenMarkerKey('103417', null))).toEqual({ id: '103417', closesAt: null });
    expect(parseSeenMarker('state/seen/auction=103417/closes=2026-11-27')).toBeUndefined();
  });
});
