import { toByteString, trimByteString } from '../byte-text.js';
import { decodeEntities } from '../html-entities.js';
import { parseTimestamp } from '../timestamps.js';

/**
 * Lenient field readers for normalisers. A value of the wrong type is coerced when
 * that is lossless (a numeric string to a number), otherwise it becomes null; either
 * way the event is counted under `<scope>.<field>:<what>` so the run report shows it.
 */
export type Anomalies = Record<string, number>;

export class FieldReader {
  /**
   * @param byteStrings the JSON text was decoded byte for byte from UTF-8, so its strings
   * are byte strings (see byte-text.ts), and so must be every string a normaliser makes:
   * `decodeEntities`, `trim` and `own` here know. Sound only for a body without `\u`
   * escapes (see processResponse).
   */
  constructor(readonly anomalies: Anomalies = {}, readonly byteStrings = false) {}

  /** HTML character references decoded (see html-entities.ts). */
  decodeEntities(s: string): string {
    return decodeEntities(s, this.byteStrings);
  }

  trim(s: string): string {
    return this.byteStrings ? trimByteString(s) : s.trim();
  }

  /** A string from outside the body (a key, a name) in the form this reader's strings take. */
  own(s: string): string {
    return this.byteStrings ? toByteString(s) : s;
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
    if (typeof v === 'string') return v;
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
