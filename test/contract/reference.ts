import { characterEntities } from 'character-entities';
import { rawKey } from '../../core/raw-key.js';
import { TABLES, type CellValue, type Column, type Row, type TableName } from '../../core/tables.js';
import type { WorkItem } from '../../core/work-item.js';
import { FETCHED_AT } from '../helpers/processed.js';

/**
 * What a body must come out as, worked out again from the field contract (docs/field-contract.md) with
 * nothing of the implementation but the column declarations: JSON.parse of the body's
 * text, then each type's documented rule, written plainly here (a regex where the
 * implementation scans by hand, the WHATWG entity list from another package where it
 * uses `entities`). Used by the property tests as the oracle for every cell and count.
 */
export type Expected =
  | { kind: 'accepted'; tables: Partial<Record<TableName, Row[]>>; anomalies: Record<string, number> }
  | { kind: 'failed'; error: 'poison' | 'permanent' };

// ES2024, in Node from 20 on; the project's lib setting is ES2023.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const TIME_MIN = Date.UTC(2000, 0, 1);
const TIME_MAX = Date.UTC(2100, 0, 1) - 1;
const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 53 - 1), 2 ** 53 - 1], float64: [-Infinity, Infinity] } as const;

/** One body's expected rows and counts. */
export function expectedResult(item: WorkItem, bytes: Uint8Array): Expected {
  let notUtf8 = false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    notUtf8 = true;
  }
  const json: unknown = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  const ctx = new Context(notUtf8);
  try {
    const tables = item.source === 'via' ? viaTables(json, item.at, ctx) : maxsoldTables(json, item, ctx);
    const nonEmpty = Object.fromEntries(Object.entries(tables).filter(([, rows]) => rows.length > 0));
    return { kind: 'accepted', tables: nonEmpty, anomalies: ctx.counts };
  } catch (e) {
    if (e instanceof Rejected) return { kind: 'failed', error: e.error };
    throw e;
  }
}

class Rejected extends Error {
  constructor(readonly error: 'poison' | 'permanent') {
    super(error);
  }
}

class Context {
  readonly counts: Record<string, number> = {};
  constructor(readonly notUtf8: boolean) {}
  count(name: string): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
  }
}

const columnsOf = (table: TableName) => new Map(TABLES[table].columns.map((c) => [c.name, c]));
const COLUMNS = Object.fromEntries((Object.keys(TABLES) as TableName[]).map((t) => [t, columnsOf(t)])) as Record<
  TableName,
  Map<string, Column>
>;

/** A column read from `record` (the sub-object, for `a.b` fields) by its type's documented rule. */
function cell(table: TableName, column: string, record: Obj, ctx: Context): CellValue {
  const col = COLUMNS[table].get(column)!;
  const src = col.source!;
  const key = src.field.split('.').pop()!;
  const name = `${table}.${src.field}`;
  const list = col.type === 'string_list';
  if (!(key in record)) {
    if (!src.optional) ctx.count(`${name}:missing`);
    return list ? [] : (src.absent ?? null);
  }
  const v = record[key];
  if (v === null || (src.notSet ?? []).some((s) => s === v)) return list ? [] : null;
  const fail = (reason: string) => (ctx.count(`${name}:${reason}`), list ? [] : null);
  switch (col.type) {
    case 'int32':
    case 'int64':
    case 'float64': {
      const [lo, hi] = INT_RANGE[col.type];
      const parsed = typeof v === 'string' ? jsonNumber(v) : typeof v === 'number' ? v : undefined;
      if (parsed === undefined) return fail('not_number');
      if (col.type !== 'float64' && Number.isFinite(parsed) && Math.trunc(parsed) !== parsed) return fail('not_integer');
      if (!Number.isFinite(parsed) || parsed < Math.max(lo, src.min ?? -Infinity) || parsed > Math.min(hi, src.max ?? Infinity))
        return fail('out_of_range');
      if (typeof v === 'string') ctx.count(`${name}:numeric_string`);
      return col.type === 'float64' ? parsed : parsed === 0 ? 0 : parsed;
    }
    case 'bool':
      if (v === true || v === false) return v;
      if (v === 'true' || v === 'false') return (ctx.count(`${name}:boolean_string`), v === 'true');
      return fail('not_boolean');
    case 'timestamp': {
      if (v === '' || v === '&mdash;') return null;
      const t = typeof v === 'string' ? timestamp(v) : undefined;
      if (t === undefined) return fail('bad_timestamp');
      return t < TIME_MIN || t > TIME_MAX ? fail('out_of_range') : t;
    }
    case 'string': {
      if (src.json) {
        if (!Array.isArray(v)) return fail('not_array');
        if (v.length === 0) return null;
        let bad = false;
        const text = JSON.stringify(v, (_k, x: unknown) => {
          if (typeof x !== 'string' || textIsValid(x, ctx)) return x;
          bad = true;
          return x.toWellFormed();
        });
        if (bad) ctx.count(`${name}:invalid_unicode`);
        return text;
      }
      const s = text(v, name, ctx);
      if (s === undefined) return fail('not_string');
      if (!src.decode) return s;
      const decoded = htmlDecode(s);
      return src.decode === 'entities_trimmed' ? decoded.trim() : decoded;
    }
    case 'string_list': {
      if (!Array.isArray(v)) return fail('not_array');
      const out: string[] = [];
      for (const x of v) {
        const s = text(x, name, ctx);
        if (s === undefined) ctx.count(`${name}:not_string`);
        else out.push(s);
      }
      return out;
    }
    default:
      throw new Error(`no reference rule for ${col.type}`);
  }
}

/** A string as a column holds it, or undefined when the value is no text. */
function text(v: unknown, name: string, ctx: Context): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return (ctx.count(`${name}:numeric_value`), String(v));
  if (typeof v !== 'string') return undefined;
  if (textIsValid(v, ctx)) return v;
  ctx.count(`${name}:invalid_unicode`);
  return v.toWellFormed();
}

/** Lone surrogates are never text; U+FFFD is not, in a body whose bytes were not all UTF-8 (the decoder put it there). */
function textIsValid(s: string, ctx: Context): boolean {
  return s.isWellFormed() && !(ctx.notUtf8 && s.includes('\ufffd'));
}

/** A string holding a JSON number, as JSON.parse reads it (no spaces around it). */
function jsonNumber(s: string): number | undefined {
  if (s.trim() !== s || s === '') return undefined;
  try {
    const n: unknown = JSON.parse(s);
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

function timestamp(s: string): number | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const daysInMonth = new Date(Date.UTC(2000, mo, 0)).getUTCDate() - (mo === 2 && !isLeap(y) ? 1 : 0);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || sec > 59) return undefined;
  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]),
      om = Number(m[11]);
    if (om > 59 || oh * 60 + om > 18 * 60) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const local = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, ms));
  local.setUTCFullYear(y);
  return local.getTime() - offset * 60_000;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function day(s: unknown): number | null {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const t = timestamp(`${s}T00:00:00Z`);
  return t === undefined || t < TIME_MIN || t > Date.UTC(2099, 11, 31) ? null : t / 86_400_000;
}

/** HTML5's windows-1252 remapping of numeric references 128–159. */
const C1: Record<number, number> = {
  0x80: 0x20ac,
  0x82: 0x201a,
  0x83: 0x0192,
  0x84: 0x201e,
  0x85: 0x2026,
  0x86: 0x2020,
  0x87: 0x2021,
  0x88: 0x02c6,
  0x89: 0x2030,
  0x8a: 0x0160,
  0x8b: 0x2039,
  0x8c: 0x0152,
  0x8e: 0x017d,
  0x91: 0x2018,
  0x92: 0x2019,
  0x93: 0x201c,
  0x94: 0x201d,
  0x95: 0x2022,
  0x96: 0x2013,
  0x97: 0x2014,
  0x98: 0x02dc,
  0x99: 0x2122,
  0x9a: 0x0161,
  0x9b: 0x203a,
  0x9c: 0x0153,
  0x9e: 0x017e,
  0x9f: 0x0178,
};

/** Character references ending in `;`, decoded once, as HTML5 defines them. */
export function htmlDecode(s: string): string {
  return s.replace(/&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return (Object.hasOwn(characterEntities, name) ? characterEntities[name] : undefined) ?? whole;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(C1[code] ?? code);
  });
}

function lineage(item: WorkItem): Row {
  return { source_key: rawKey(item), fetched_at: FETCHED_AT };
}

const itemId = (v: unknown) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0
    ? v
    : typeof v === 'string' && /^[1-9][0-9]*$/.test(v) && Number.isSafeInteger(Number(v))
      ? Number(v)
      : undefined;

function maxsoldTables(json: unknown, item: Extract<WorkItem, { source: 'maxsold' }>, ctx: Context): Partial<Record<TableName, Row[]>> {
  if (!isObj(json)) throw new Rejected('poison');
  const env: Obj = json.status === undefined && 'items' in json && 'id' in json ? { status: 'success', auction: json } : json;
  if (env.status !== 'success') throw new Rejected(env.status === 'error' || env.status === 'fail' ? 'permanent' : 'poison');
  const a = env.auction;
  if (!isObj(a) || itemId(a.id) === undefined || String(itemId(a.id)) !== item.id) throw new Rejected('poison');
  const items = a.items ?? [];
  if (!Array.isArray(items) || items.some((it) => !isObj(it) || itemId(it.id) === undefined)) throw new Rejected('poison');
  const auctionId = itemId(a.id)!;
  if (item.itemId) {
    if (items.length !== 1 || String(itemId((items[0] as Obj).id)) !== item.itemId) throw new Rejected('permanent');
    const it = items[0] as Obj;
    if (!Array.isArray(it.bid_history)) throw new Rejected('poison');
    const bids: Row[] = [];
    it.bid_history.forEach((b: unknown, position: number) => {
      if (!isObj(b)) return ctx.count('maxsold_bids.bid:not_object');
      const read = (c: string) => cell('maxsold_bids', c, b, ctx);
      bids.push({
        auction_id: auctionId,
        item_id: Number(item.itemId),
        position,
        bid_at: read('bid_at'),
        amount: read('amount'),
        is_proxy: read('is_proxy'),
        ...lineage(item),
      });
    });
    if (typeof it.bid_count === 'number' && it.bid_count !== it.bid_history.length)
      ctx.count('maxsold_bids.bid_history:length_differs_from_bid_count');
    return { maxsold_bids: bids };
  }
  if (items.length === 0) throw new Rejected('permanent');
  if (typeof a.id === 'string') ctx.count('maxsold_auctions.id:numeric_string');
  const rows: Row[] = [];
  const seen = new Set<number>();
  for (const it of items as Obj[]) {
    const id = itemId(it.id)!;
    if (seen.has(id)) {
      ctx.count('maxsold_items.record:duplicate_identity');
      continue;
    }
    seen.add(id);
    if (typeof it.id === 'string') ctx.count('maxsold_items.id:numeric_string');
    if (it.auction_id !== undefined && it.auction_id !== null && itemId(it.auction_id) !== auctionId)
      ctx.count('maxsold_items.auction_id:mismatch');
    const row: Row = { auction_id: auctionId, item_id: id };
    for (const c of [
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
    ]) {
      row[c] = cell('maxsold_items', c, it, ctx);
    }
    const images = cell('maxsold_items', 'images', it, ctx) as string[];
    rows.push({ ...row, image_count: images.length, images, ...lineage(item) });
  }
  const read = (c: string) => cell('maxsold_auctions', c, a, ctx);
  const lots = read('catalog_lots');
  if (typeof lots === 'number' && lots > rows.length) ctx.count('maxsold_auctions.catalog_lots:more_than_returned');
  const auction: Row = {
    auction_id: auctionId,
    title: read('title'),
    starts_at: read('starts_at'),
    ends_at: read('ends_at'),
    last_item_closes_at: read('last_item_closes_at'),
    pickup_at: read('pickup_at'),
    catalog_lots: lots,
    items_returned: rows.length,
  };
  for (const c of [
    'extended_bidding',
    'extended_bidding_interval',
    'extended_bidding_threshold',
    'partner_url',
    'removal_info',
    'inspection_info',
    'intro',
    'disclaimers',
  ])
    auction[c] = read(c);
  return { maxsold_auctions: [{ ...auction, ...lineage(item) }], maxsold_items: rows };
}

function viaTables(json: unknown, at: string, ctx: Context): Partial<Record<TableName, Row[]>> {
  if (!isObj(json)) throw new Rejected('poison');
  if (Object.keys(json).length > 0 && !Object.values(json).some(isObj)) throw new Rejected('poison');
  const item: WorkItem = { source: 'via', at };
  const snapshotAt = Date.parse(at);
  const trains: Row[] = [];
  const stops: Row[] = [];
  const seen = new Set<string>();
  for (const [key, t] of Object.entries(json)) {
    const m = /^([0-9]+)(?: \(([0-9]{2}-[0-9]{2})\))?$/.exec(key);
    const number = m?.[1];
    const instance = isObj(t) ? day(t.instance) : null;
    if (!isObj(t) || !m || number === undefined || number === '0' || instance === null || !Array.isArray(t.times)) {
      ctx.count('via_trains.record:skipped_invalid');
      continue;
    }
    if (m[2] !== undefined && m[2] !== (t.instance as string).slice(5)) ctx.count('via_trains.key:date_differs_from_instance');
    if (seen.has(`${m[1]} ${instance}`)) {
      ctx.count('via_trains.record:duplicate_identity');
      continue;
    }
    seen.add(`${m[1]} ${instance}`);
    const read = (c: string) => cell('via_trains', c, t, ctx);
    const train: Row = { snapshot_at: snapshotAt, train_number: number, instance, train_key: key };
    for (const c of [
      'departed',
      'arrived',
      'from_station',
      'to_station',
      'lat',
      'lng',
      'speed',
      'direction',
      'poll_at',
      'poll_min',
      'poll_radius',
    ])
      train[c] = read(c);
    trains.push({
      ...train,
      stop_count: t.times.length,
      alert_count: Array.isArray(t.alerts) ? t.alerts.length : 0,
      alerts: read('alerts'),
      ...lineage(item),
    });
    t.times.forEach((s: unknown, index: number) => {
      if (!isObj(s)) return ctx.count('via_train_stops.stop:not_object');
      stops.push(stopRow(s, { snapshot_at: snapshotAt, train_number: number, instance, stop_index: index }, ctx, item));
    });
  }
  return { via_trains: trains, via_train_stops: stops };
}

function stopRow(s: Obj, head: Row, ctx: Context, item: WorkItem): Row {
  const sub = (name: string): Obj => {
    const v = s[name];
    if (v === undefined || v === null) return {};
    if (isObj(v)) return v;
    ctx.count(`via_train_stops.${name}:not_object`);
    return {};
  };
  const arrival = sub('arrival');
  const departure = sub('departure');
  const replaced = sub('replaced');
  const read = (c: string, from: Obj = s) => cell('via_train_stops', c, from, ctx);
  const row: Row = {
    ...head,
    station: read('station'),
    station_code: read('station_code'),
    tz: read('tz'),
    scheduled_at: read('scheduled_at'),
  };
  const estimated = read('estimated_at');
  const arrivalScheduled = read('arrival_scheduled_at', arrival);
  const arrivalEstimated = read('arrival_estimated_at', arrival);
  const departureScheduled = read('departure_scheduled_at', departure);
  const departureEstimated = read('departure_estimated_at', departure);
  return {
    ...row,
    estimated_at: estimated ?? arrivalEstimated ?? departureEstimated,
    arrival_scheduled_at: arrivalScheduled,
    arrival_estimated_at: arrivalEstimated,
    departure_scheduled_at: departureScheduled,
    departure_estimated_at: departureEstimated,
    eta: read('eta'),
    diff: read('diff'),
    diff_min: read('diff_min'),
    cancelled: read('cancelled'),
    replaced_mode: read('replaced_mode', replaced),
    replaced_services: read('replaced_services', replaced),
    ...lineage(item),
  };
}
