import { characterEntities } from 'character-entities';
import fc from 'fast-check';
import { TABLES, type ColumnType, type TableName } from '../../core/tables.js';
import { fixtureText, VIA_FIXTURES } from '../helpers/fixtures.js';
import { escapeNonAscii } from '../helpers/processed.js';

/**
 * Generators of odd but plausible bodies: each starts from a recorded response in
 * fixtures/, keeps a few of its records and changes fields the way an API drifts or
 * breaks (types swapped, numbers past their column's range, entities, escapes, emoji,
 * bytes that are not UTF-8, lone surrogates, odd and impossible timestamps, duplicate
 * ids, unknown and missing keys, very long strings).
 */

type Obj = Record<string, unknown>;

/** A JSON number text JSON.stringify cannot write (1e400, 20 digits): put in after serialising. */
const raw = (text: string) => `@@raw:${text}@@`;
/** Bytes that are not UTF-8, put in after encoding: a Windows-1252 é, a cut sequence, an encoded surrogate, … */
const BAD_BYTES = [[0xe9], [0xc3], [0xed, 0xa0, 0x80], [0xf8], [0xc0, 0xaf], [0xe2, 0x82], [0xff], [0x80, 0x80]];
const bad = (i: number) => `@@bad:${i}@@`;

/** A generated value as the bytes of a body: raw UTF-8, or (`escaped`) every non-ASCII character as `\u` (the UTF-8 path). */
/** The body as bytes: compact raw UTF-8, or indented (as the real API sends it) with every non-ASCII character escaped. */
export function serialise(value: unknown, escaped: boolean): Buffer {
  let text = JSON.stringify(value, null, escaped ? 2 : undefined).replace(/"@@raw:([^@"]+)@@"/g, '$1');
  if (escaped) text = escapeNonAscii(text);
  const parts = text.split(/@@bad:(\d)@@/);
  return Buffer.concat(parts.map((p, i) => (i % 2 === 0 ? Buffer.from(p) : Buffer.from(BAD_BYTES[Number(p)]!))));
}

// Values, by what a column expects, and the type changes that break it.

const numbersPastRanges = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  7,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  3_000_000_000,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53 - 1),
  1.5,
  2.5,
  -0.5,
  34.07,
  1e21,
  1e300,
  raw('1e400'),
  raw('-1e400'),
  raw('12345678901234567890'),
  raw('1.0'),
  raw('1E3'),
  raw('-0.0'),
  90.000001,
  -180,
  360,
  360.5,
);
const numberStrings = fc.oneof(
  numbersPastRanges.filter((n) => typeof n === 'number').map(String),
  fc.constantFrom(' 7', '7 ', '0x1A', '1_000', '', '+7', '.5', '5.', 'Infinity', 'NaN', '1e400', '-0', '007', '3000000000', '1e3', '12.50'),
);
const numbers = fc.oneof(
  numbersPastRanges,
  fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 31 + 5 }),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const booleans = fc.constantFrom<unknown>(true, false, 'true', 'false', 'TRUE', 'yes', 0, 1, '1');

const otherTypes = fc.oneof(
  numbers,
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A real instant written in any accepted form: a fraction of any length, `Z`, `±HH:MM` or `±HHMM`. */
const oddValidTimestamps = fc
  .record({
    ms: fc.integer({ min: Date.UTC(1995, 0, 1), max: Date.UTC(2105, 0, 1) }),
    offset: fc.oneof(fc.constant(0), fc.integer({ min: -18 * 60, max: 18 * 60 })),
    form: fc.constantFrom('Z', 'colon', 'plain'),
    fraction: fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
  })
  .map(({ ms, offset, form, fraction }) => {
    const local = new Date(ms + (form === 'Z' ? 0 : offset) * 60_000);
    const o = Math.abs(offset);
    const sign = offset < 0 ? '-' : '+';
    const zone = form === 'Z' ? 'Z' : `${sign}${pad(Math.floor(o / 60))}${form === 'colon' ? ':' : ''}${pad(o % 60)}`;
    return `${local.toISOString().slice(0, 19)}${fraction === undefined ? '' : `.${fraction}`}${zone}`;
  });
const invalidTimestamps = fc.constantFrom<unknown>(
  '2026-02-30T12:00:00-0500',
  '2025-02-29T12:00:00Z',
  '2026-04-31T08:00:00-04:00',
  '2026-07-16T25:00:00Z',
  '2026-07-16T24:00:00Z',
  '2026-07-16T12:60:00Z',
  '2026-07-16T12:00:60Z',
  '2026-07-16T12:00:00+19:00',
  '2026-07-16T12:00:00+05:60',
  '2026-07-16T12:00:00',
  '2026-07-16 12:00:00Z',
  '2026-07-16t12:00:00z',
  '26-07-16T12:00:00Z',
  '2026-07-16T12:00:00.Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '',
  '&mdash;',
  null,
  1767225600,
  'tomorrow',
  '0050-03-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2100-01-01T00:00:00Z',
  '2099-12-31T23:59:59.999Z',
);
const timestamps = fc.oneof({ arbitrary: oddValidTimestamps, weight: 3 }, { arbitrary: invalidTimestamps, weight: 2 });

const ENTITY_NAMES = Object.keys(characterEntities);
const textPiece = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.nat(ENTITY_NAMES.length - 1).map((i) => `&${ENTITY_NAMES[i]};`),
  fc
    .oneof(fc.integer({ min: 0, max: 0x11ffff }), fc.constantFrom(0, 0xd800, 0xdfff, 0x110000, 128, 0x9f, 39, 38))
    .chain((n) => fc.constantFrom(`&#${n};`, `&#x${n.toString(16)};`, `&#X${n.toString(16).toUpperCase()};`, `&#${n}`)),
  fc.constantFrom('&amp;eacute;', '&amp;', 'R&D', '&bogus;', '&oacute', '&copy 2020', '& ', '&#;', '&#x;', 'AT&T'),
  // à, Ġ and 😠 end in the byte A0, which a plain trim of a byte string would take for U+00A0.
  fc.constantFrom('😀', '🍽', '\ufffd', '\u00a0', '\u2003', '\ufeff', ' ', '\t', '\n', 'é', 'Montréal', 'à', 'Ġ', '😠', '\\u00e9', '\\'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.nat(BAD_BYTES.length - 1).map(bad),
);
const texts = fc.oneof(
  { arbitrary: fc.array(textPiece, { maxLength: 6 }).map((p) => p.join('')), weight: 6 },
  {
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1000, max: 40_000 }))
      .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
    weight: 1,
  },
);
const lists = fc.oneof(fc.array(fc.oneof(texts, numbers, fc.constant(null), fc.constant({})), { maxLength: 4 }), otherTypes);
/** VIA's alerts: `[{header, description, url}]`, each `{en, fr}`. */
const bilingual = fc.record({ en: texts, fr: texts });
const alerts = fc.oneof(fc.array(fc.record({ header: bilingual, description: bilingual, url: bilingual }), { maxLength: 2 }), lists);

type Kind = ColumnType | 'any' | 'json';

function valuesFor(type: Kind): fc.Arbitrary<unknown> {
  const typed: Record<Kind, fc.Arbitrary<unknown>> = {
    int32: fc.oneof(numbers, numberStrings),
    int64: fc.oneof(numbers, numberStrings),
    float64: fc.oneof(numbers, numberStrings),
    bool: booleans,
    timestamp: timestamps,
    date: fc.oneof(
      oddValidTimestamps.map((t) => t.slice(0, 10)),
      fc.constantFrom('2026-02-31', '2025-02-29', '2028-02-29', '2026-13-01', '1999-12-31', '', '2026-7-1'),
    ),
    string: texts,
    string_list: lists,
    json: alerts,
    any: otherTypes,
  };
  return fc.oneof({ arbitrary: typed[type], weight: 3 }, { arbitrary: otherTypes, weight: 1 });
}

/** An API field's type, from the column it feeds (`any` for fields no column reads). */
function fieldTypes(table: TableName, extra: Record<string, Kind> = {}, under?: string): Record<string, Kind> {
  const out: Record<string, Kind> = { ...extra };
  for (const c of TABLES[table].columns) {
    const f = c.source?.field;
    if (!f || c.source?.identity) continue;
    const [head, tail] = f.includes('.') ? f.split('.') : [undefined, f];
    if (head === under) out[tail] = c.source?.json ? 'json' : c.type;
  }
  return out;
}

type Edit = { key: string; value?: unknown; remove?: boolean };

/** One change to a record: a field set to an odd value, removed, or an unknown field added. */
function edits(types: Record<string, Kind>): fc.Arbitrary<Edit> {
  const keys = Object.keys(types);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...keys).chain((key) => valuesFor(types[key]!).map((value) => ({ key, value }))), weight: 8 },
    { arbitrary: fc.constantFrom(...keys).map((key) => ({ key, remove: true })), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, value]) => ({ key: `x_${k}`, value })),
      weight: 1,
    },
  );
}

/** Applies the edit when `record` is still an object (an earlier edit may have replaced it). */
function apply(record: unknown, e: Edit): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return;
  if (e.remove) delete (record as Obj)[e.key];
  else (record as Obj)[e.key] = e.value;
}

const at = <T>(list: T[], i: number): T => list[i % list.length]!;

// MaxSold auctions.

const AUCTION_ITEM_TYPES = fieldTypes('maxsold_items', { auction_id: 'any', pusher_channel: 'string' });
const AUCTION_TYPES = fieldTypes('maxsold_auctions', { lic_channel: 'string', user_has_bid: 'bool' });
const ITEM_IDS = fc.oneof(
  { arbitrary: fc.constantFrom<unknown>('7561262', 7561262.0, 2 ** 53, 0, -4, 1.5, 'abc', '0123', null, true), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 9_999_999 }), weight: 3 },
);

export const AUCTIONS = [
  {
    item: { source: 'maxsold' as const, id: '104375', dt: '2026-01-02' },
    json: JSON.parse(fixtureText('maxsold/auction-104375.json')) as Obj,
    bare: false,
  },
  {
    item: { source: 'maxsold' as const, id: '102916', dt: '2025-11-21' },
    json: JSON.parse(fixtureText('maxsold/auction-102916-nextdata.json')) as Obj,
    bare: true,
  },
];

export const auctionBodies = fc
  .record({
    base: fc.nat(AUCTIONS.length - 1),
    keep: fc.uniqueArray(fc.nat(200), { minLength: 1, maxLength: 5 }),
    whole: fc.nat(24),
    auctionEdits: fc.array(edits(AUCTION_TYPES), { maxLength: 3 }),
    itemEdits: fc.array(fc.tuple(fc.nat(), edits(AUCTION_ITEM_TYPES)), { maxLength: 6 }),
    ids: fc.array(fc.tuple(fc.nat(), ITEM_IDS), { maxLength: 1 }),
    duplicates: fc.array(fc.tuple(fc.nat(), edits(AUCTION_ITEM_TYPES)), { maxLength: 2 }),
  })
  .map((c) => {
    const base = at(AUCTIONS, c.base);
    const json = structuredClone(base.json);
    const auction = (base.bare ? json : json.auction) as Obj;
    const all = auction.items as Obj[];
    // One case in 25 keeps every item: the full recorded body, changed here and there.
    const items = c.whole === 0 ? all : [...new Set(c.keep.map((i) => at(all, i)))];
    auction.items = items;
    for (const e of c.auctionEdits) apply(auction, e);
    for (const [i, e] of c.itemEdits) apply(at(items, i), e);
    for (const [i, id] of c.ids) at(items, i).id = id;
    // A repeated id: a copy (changed a little) of an item already in the list.
    for (const [i, e] of c.duplicates) {
      const copy = structuredClone(at(items, i));
      apply(copy, e);
      items.push(copy);
    }
    return { item: base.item, json };
  });

// MaxSold bid histories.

const BIDS = JSON.parse(fixtureText('maxsold/item-104375-7561262.json')) as Obj;
const BID_TYPES = fieldTypes('maxsold_bids');

export const bidBodies = fc
  .record({
    from: fc.nat(40),
    count: fc.nat(8),
    edits: fc.array(fc.tuple(fc.nat(), edits(BID_TYPES)), { maxLength: 5 }),
    notObjects: fc.array(
      fc.tuple(
        fc.nat(),
        otherTypes.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
      ),
      { maxLength: 1 },
    ),
    bidCount: fc.option(valuesFor('int32'), { nil: undefined }),
  })
  .map((c) => {
    const json = structuredClone(BIDS);
    const it = at((json.auction as Obj).items as Obj[], 0);
    const history = (it.bid_history as Obj[]).slice(c.from % 34, (c.from % 34) + c.count);
    it.bid_history = history;
    if (history.length > 0) for (const [i, e] of c.edits) apply(at(history, i), e);
    if (history.length > 0) for (const [i, v] of c.notObjects) (history as unknown[])[i % history.length] = v;
    if (c.bidCount !== undefined) it.bid_count = c.bidCount;
    return { item: { source: 'maxsold' as const, id: '104375', itemId: '7561262', dt: '2026-01-02' }, json };
  });

// VIA snapshots.

const SNAPSHOTS = VIA_FIXTURES.map((f) => ({ at: f.at, json: JSON.parse(fixtureText(f.path)) as Record<string, Obj> }));
const TRAIN_TYPES = fieldTypes('via_trains', { instance: 'date', times: 'any' });
const STOP_TYPES = fieldTypes('via_train_stops', { arrival: 'any', departure: 'any', replaced: 'any' });
const SUB_TYPES = {
  arrival: fieldTypes('via_train_stops', {}, 'arrival'),
  departure: fieldTypes('via_train_stops', {}, 'departure'),
  replaced: fieldTypes('via_train_stops', {}, 'replaced'),
};
const subEdits = fc.constantFrom('arrival', 'departure', 'replaced').chain((sub) => edits(SUB_TYPES[sub]).map((e) => ({ sub, e })));
const keyVariants = fc.constantFrom('0', 'abc', '24 (02-31)', '24 (7-1)', ' 24', '24 (12-25)', '\ud800', '1 (04-13)', '15');

export const viaBodies = fc
  .record({
    base: fc.nat(SNAPSHOTS.length - 1),
    keep: fc.uniqueArray(fc.nat(80), { minLength: 1, maxLength: 3 }),
    trainEdits: fc.array(fc.tuple(fc.nat(), edits(TRAIN_TYPES)), { maxLength: 3 }),
    stopEdits: fc.array(fc.tuple(fc.nat(), fc.nat(), edits(STOP_TYPES)), { maxLength: 5 }),
    subEdits: fc.array(fc.tuple(fc.nat(), fc.nat(), subEdits), { maxLength: 4 }),
    keys: fc.array(fc.tuple(fc.nat(), keyVariants), { maxLength: 1 }),
    duplicate: fc.option(fc.nat(), { nil: undefined }),
    notObject: fc.option(
      fc.tuple(
        fc.nat(),
        fc.nat(),
        fc.nat(3).map((n) => n === 0),
      ),
      { nil: undefined },
    ),
  })
  .map((c) => {
    const base = at(SNAPSHOTS, c.base);
    const keys = Object.keys(base.json);
    const picked = [...new Set(c.keep.map((i) => at(keys, i)))];
    const trains = picked.map((k) => [k, structuredClone(base.json[k])] as [string, Obj]);
    for (const [i, e] of c.trainEdits) apply(at(trains, i)[1], e);
    const stopsOf = (i: number) => at(trains, i)[1].times;
    for (const [i, j, e] of c.stopEdits) {
      const times = stopsOf(i);
      if (Array.isArray(times) && times.length > 0) apply(at(times as Obj[], j), e);
    }
    for (const [i, j, { sub, e }] of c.subEdits) {
      const times = stopsOf(i);
      if (!Array.isArray(times) || times.length === 0) continue;
      const stop = at(times as Obj[], j);
      if (typeof stop !== 'object' || stop === null) continue;
      const target = (stop[sub] = typeof stop[sub] === 'object' && stop[sub] !== null && !Array.isArray(stop[sub]) ? stop[sub] : {}) as Obj;
      apply(target, e);
    }
    if (c.notObject) {
      const [i, j, whole] = c.notObject;
      const times = stopsOf(i);
      if (whole) at(trains, i)[1] = 'not a train' as unknown as Obj;
      else if (Array.isArray(times) && times.length > 0) times[j % times.length] = 42;
    }
    for (const [i, key] of c.keys) at(trains, i)[0] = key;
    // The same train under its other display key: "24" and "24 (MM-DD)" with one instance.
    if (c.duplicate !== undefined) {
      const [key, t] = at(trains, c.duplicate);
      const number = /^\d+/.exec(key)?.[0];
      if (number && typeof t === 'object' && typeof t.instance === 'string')
        trains.push([key === number ? `${number} (${t.instance.slice(5)})` : number, structuredClone(t)]);
    }
    return { item: { source: 'via' as const, at: base.at }, json: Object.fromEntries(trains) };
  });
