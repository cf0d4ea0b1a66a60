/**
 * Timestamps as the two APIs write them, to epoch milliseconds (UTC):
 *   2025-12-21T17:00:00-0500   MaxSold: offset without a colon
 *   2026-07-15T08:00:17-07:00  VIA from 2026-07-03: station-local offset
 *   2026-07-16T04:23:36Z       VIA before that, and `poll` always
 * A fraction of a second (any number of digits) is accepted and cut to milliseconds.
 * Sentinels (`&mdash;`, "", null) give null. Anything else is malformed, including a
 * day or time that does not exist (2026-02-30, 25:00, 12:00:60, offset +19:00):
 * `undefined`, so the caller can count it.
 */
export function parseTimestamp(value: unknown): number | null | undefined {
  if (value === null || value === undefined || value === '' || value === '&mdash;') return null;
  if (typeof value !== 'string' || value.length < 20) return undefined;
  const s = value;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58)
    return undefined;
  const year = digits(s, 0, 4),
    month = digits(s, 5, 2),
    day = digits(s, 8, 2);
  const hour = digits(s, 11, 2),
    minute = digits(s, 14, 2),
    second = digits(s, 17, 2);
  // Second 60 is refused too: a leap second cannot be stored, and rolling it into the next minute would move the time.
  if (!isCalendarDay(year, month, day) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    let j = i + 1;
    while (j < s.length && isDigit(s.charCodeAt(j))) {
      // Only the first three digits count: the rest is finer than the column holds.
      if (j <= i + 3) millis += (s.charCodeAt(j) - 48) * 10 ** (i + 3 - j);
      j++;
    }
    if (j === i + 1) return undefined;
    i = j;
  }
  let offsetMinutes: number;
  const rest = s.length - i;
  const sign = s.charCodeAt(i);
  if (sign === 90 && rest === 1) offsetMinutes = 0;
  else if ((sign === 43 || sign === 45) && (rest === 5 || (rest === 6 && s.charCodeAt(i + 3) === 58))) {
    const oh = digits(s, i + 1, 2),
      om = digits(s, rest === 5 ? i + 3 : i + 4, 2);
    if (oh < 0 || om < 0 || oh > 18 || om > 59 || (oh === 18 && om > 0)) return undefined;
    offsetMinutes = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  } else return undefined;
  return utc(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** Date.UTC, but a year 0–99 is that year, not 1900–1999. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millis = 0): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return year >= 100 ? t : new Date(t).setUTCFullYear(year);
}

/** `YYYY-MM-DD` → epoch days, for Arrow Date32; null for anything else, a day that does not exist included. */
export function parseDateDays(value: unknown): number | null {
  if (typeof value !== 'string' || value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return null;
  const y = digits(value, 0, 4),
    m = digits(value, 5, 2),
    d = digits(value, 8, 2);
  if (!isCalendarDay(y, m, d)) return null;
  return utc(y, m, d) / 86_400_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The day exists: 2026-02-31 and 2025-02-29 do not (rather than rolling into March). */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let k = at; k < at + n; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
