import { unicodeText, type TextForm } from '../text-form.js';
import type { CellValue, Column, ColumnType, FieldSource, TableSchema } from '../tables.js';
import { parseDateDays, parseTimestamp } from '../timestamps.js';

/**
 * The field contract, applied: every column read from an API field goes through the
 * reader its declaration in tables.ts compiles to (`fieldReaders`). A value is what the
 * API sent (after the column's transformation), or cast when that is lossless, or null;
 * every cast and every null that is not the API's own "not set" is counted under
 * `<table>.<field>:<reason>`, one reason per value, so the run report shows it.
 */
export type Anomalies = Record<string, number>;

/** Per body: where its anomalies are counted, and the form its strings are in. */
export class FieldReader {
  constructor(
    readonly anomalies: Anomalies = {},
    readonly text: TextForm = unicodeText(false, false),
  ) {}

  note(name: string, n = 1): void {
    this.anomalies[name] = (this.anomalies[name] ?? 0) + n;
  }

  /** A sub-object (`arrival`): undefined when absent or null; anything else but an object is counted. */
  object(record: Record<string, unknown>, key: string, table: string): Record<string, unknown> | undefined {
    const v = record[key];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return v;
    this.note(`${table}.${key}:not_object`);
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads one column's value from the API's record (for `a.b`, from sub-object `a`). */
export type FieldRead = (record: Record<string, unknown>, r: FieldReader) => CellValue;

/** Bounds of each type, before a column narrows them. Past these a value would wrap or lose digits. */
export const TYPE_RANGE: Partial<Record<ColumnType, { min: number; max: number }>> = {
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1 },
  // The integers a double holds exactly: past them JSON.parse has already changed the number.
  int64: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  float64: { min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
  // Plausible for auctions and trains; well inside what a microsecond column holds exactly.
  timestamp: { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) - 1 },
  date: { min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2099, 11, 31) / 86_400_000 },
};

/** A `YYYY-MM-DD` day that exists, within the date range, as epoch days; null otherwise. */
export function dayOf(v: unknown): number | null {
  const days = parseDateDays(v);
  return days !== null && days >= TYPE_RANGE.date!.min && days <= TYPE_RANGE.date!.max ? days : null;
}

/** A number written as JSON writes one (no spaces, no `0x`, no `Infinity`). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The readers of a table's columns that come from API fields (identities are checked by
 * their normaliser). `names` must be exactly those columns: a column declared in tables.ts
 * but not read, or a name that is no such column, fails as the module loads.
 */
export function fieldReaders<const N extends string>(table: TableSchema, names: readonly N[]): Record<N, FieldRead> {
  const readers: Partial<Record<string, FieldRead>> = {};
  for (const col of table.columns) if (col.source && !col.source.identity) readers[col.name] = compile(table.name, col, col.source);
  const unread = Object.keys(readers).filter((name) => !names.includes(name as N));
  const unknown = names.filter((name) => readers[name] === undefined);
  if (unread.length > 0 || unknown.length > 0) {
    throw new Error(`${table.name}: field columns not read: [${unread.join(', ')}]; not field columns: [${unknown.join(', ')}]`);
  }
  return readers as Record<N, FieldRead>;
}

function compile(table: string, col: Column, src: FieldSource): FieldRead {
  const key = src.field.slice(src.field.indexOf('.') + 1);
  const label = `${table}.${src.field}`;
  const list = col.type === 'string_list';
  const absent = src.absent ?? null;
  const notSet = src.notSet ?? [];
  const value = valueReader(col.type, src, label);
  return (record, r) => {
    const v = record[key];
    if (v === undefined) {
      if (!src.optional) r.note(`${label}:missing`);
      return list ? [] : absent;
    }
    if (v === null || (notSet.length > 0 && notSet.includes(v as string | number))) return list ? [] : null;
    return value(v, r);
  };
}

type ValueRead = (v: unknown, r: FieldReader) => CellValue;

function valueReader(type: ColumnType, src: FieldSource, label: string): ValueRead {
  const range = TYPE_RANGE[type];
  const min = Math.max(src.min ?? -Infinity, range?.min ?? -Infinity);
  const max = Math.min(src.max ?? Infinity, range?.max ?? Infinity);
  const fail = (r: FieldReader, reason: string) => (r.note(`${label}:${reason}`), null);
  switch (type) {
    case 'int32':
    case 'int64':
    case 'float64': {
      const integer = type !== 'float64';
      return (v, r) => {
        let n: number;
        if (typeof v === 'number') n = v;
        else if (typeof v === 'string' && JSON_NUMBER.test(v)) n = Number(v);
        else return fail(r, 'not_number');
        if (integer && Number.isFinite(n) && !Number.isInteger(n)) return fail(r, 'not_integer');
        if (!(n >= min && n <= max)) return fail(r, 'out_of_range');
        if (typeof v === 'string') r.note(`${label}:numeric_string`);
        return integer ? n + 0 : n; // an integer column has no -0
      };
    }
    case 'bool':
      return (v, r) => {
        if (typeof v === 'boolean') return v;
        if (v !== 'true' && v !== 'false') return fail(r, 'not_boolean');
        r.note(`${label}:boolean_string`);
        return v === 'true';
      };
    case 'timestamp':
      return (v, r) => {
        const t = parseTimestamp(v);
        if (t === undefined) return fail(r, 'bad_timestamp');
        if (t !== null && (t < min || t > max)) return fail(r, 'out_of_range');
        return t;
      };
    case 'string':
      return src.json ? jsonText(label, fail) : textReader(src, label, fail);
    case 'string_list': {
      const element = textReader(src, label, (r, reason) => (r.note(`${label}:${reason}`), undefined));
      return (v, r) => {
        if (!Array.isArray(v)) return fail(r, 'not_array') ?? [];
        const out: string[] = [];
        for (const x of v) {
          const s = element(x, r);
          if (typeof s === 'string') out.push(s);
        }
        return out;
      };
    }
    case 'date':
      throw new Error(`${label}: a date is read only as an identity`);
  }
}

/**
 * A string as sent, text that is not Unicode replaced (counted `invalid_unicode`), then
 * the column's decoding. An integer stands for its digits (counted `numeric_value`).
 */
function textReader<F>(
  src: FieldSource,
  label: string,
  fail: (r: FieldReader, reason: string) => F,
): (v: unknown, r: FieldReader) => string | F {
  return (v, r) => {
    if (typeof v !== 'string') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(r, 'not_string');
      r.note(`${label}:numeric_value`);
      return String(v);
    }
    let s = v;
    if (!r.text.valid(s)) {
      r.note(`${label}:invalid_unicode`);
      s = r.text.repair(s);
    }
    if (src.decode === undefined) return s;
    s = r.text.decodeEntities(s);
    return src.decode === 'entities_trimmed' ? r.text.trim(s) : s;
  };
}

/** A list kept as its JSON text: null when empty; its strings repaired like any text. */
function jsonText(label: string, fail: (r: FieldReader, reason: string) => null): ValueRead {
  return (v, r) => {
    if (!Array.isArray(v)) return fail(r, 'not_array');
    if (v.length === 0) return null;
    let invalid = false;
    const text = JSON.stringify(v, (_key, x: unknown) => {
      if (typeof x !== 'string' || r.text.valid(x)) return x;
      invalid = true;
      return r.text.repair(x);
    });
    if (invalid) r.note(`${label}:invalid_unicode`);
    return text;
  };
}
