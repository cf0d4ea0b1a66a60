import { parseTimestamp } from '../timestamps.js';

/**
 * Lenient field readers for normalisers. A value of the wrong type is coerced when
 * that is lossless (a numeric string to a number), otherwise it becomes null; either
 * way the event is counted under `<scope>.<field>:<what>` so the run report shows it.
 */
export type Anomalies = Record<string, number>;

const UTF8 = new TextDecoder();

/**
 * A string decoded byte for byte (latin1) from UTF-8 text, as UTF-8. Only strings with
 * a character in 0x80–0xFF are touched: every other string is the same either way.
 */
export function utf8FromLatin1(s: string): string {
  if (!/[\x80-\xff]/.test(s)) return s;
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return UTF8.decode(bytes);
}

export class FieldReader {
  /**
   * @param latin1 the JSON text was decoded byte for byte from UTF-8 (faster to decode
   * and to parse than UTF-8 text); strings read are then decoded as UTF-8 here, one by
   * one. Sound only for a body without `\u` escapes (see processResponse).
   */
  constructor(readonly anomalies: Anomalies = {}, private readonly latin1 = false) {}

  /** A string value as the body meant it (see `latin1`). */
  text(v: string): string {
    return this.latin1 ? utf8FromLatin1(v) : v;
  }

  /** A list of strings as the body meant them: one test for the whole list when all are ASCII (URLs). */
  texts(list: string[]): string[] {
    if (!this.latin1 || !/[\x80-\xff]/.test(list.join(''))) return list;
    return list.map(utf8FromLatin1);
  }

  note(name: string, n = 1): void {
    this.anomalies[name] = (this.anomalies[name] ?? 0) + n;
  }

  number(obj: Record<string, unknown>, key: string, scope: string): number | null {
    const v = obj[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v === undefined || v === null) {
      if (v === undefined) this.note(`${scope}.${key}:missing`);
      return null;
    }
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) {
      this.note(`${scope}.${key}:numeric_string`);
      return Number(v);
    }
    this.note(`${scope}.${key}:not_number`);
    return null;
  }

  integer(obj: Record<string, unknown>, key: string, scope: string): number | null {
    const v = this.number(obj, key, scope);
    if (v === null || Number.isInteger(v)) return v;
    this.note(`${scope}.${key}:not_integer`);
    return Math.round(v);
  }

  string(obj: Record<string, unknown>, key: string, scope: string): string | null {
    const v = obj[key];
    if (typeof v === 'string') return this.text(v);
    if (v === undefined) this.note(`${scope}.${key}:missing`);
    else if (v !== null) {
      if (typeof v === 'number' || typeof v === 'boolean') {
        this.note(`${scope}.${key}:not_string`);
        return String(v);
      }
      this.note(`${scope}.${key}:not_string`);
    }
    return null;
  }

  /** A string where "" means "not set". */
  optionalString(obj: Record<string, unknown>, key: string, scope: string): string | null {
    const v = this.string(obj, key, scope);
    return v === '' ? null : v;
  }

  boolean(obj: Record<string, unknown>, key: string, scope: string): boolean | null {
    const v = obj[key];
    if (typeof v === 'boolean') return v;
    if (v === undefined) this.note(`${scope}.${key}:missing`);
    else if (v !== null) this.note(`${scope}.${key}:not_boolean`);
    return null;
  }

  /** Epoch ms; sentinels give null silently, malformed strings give null and are counted. */
  timestamp(obj: Record<string, unknown> | undefined, key: string, scope: string): number | null {
    if (!obj) return null;
    const t = parseTimestamp(obj[key]);
    if (t === undefined) {
      this.note(`${scope}.${key}:bad_timestamp`);
      return null;
    }
    return t;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
