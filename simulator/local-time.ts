/**
 * Wall-clock rendering in a named time zone. Intl is slow per call, so offsets are
 * memoised per zone and quarter hour (every real DST change falls on a quarter hour).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
const QUARTER_HOUR = 15 * 60_000;

/** Minutes east of UTC that `timeZone` uses at instant `ms` (e.g. -240 for Toronto in July). */
export function offsetMinutes(timeZone: string, ms: number): number {
  const bucket = Math.floor(ms / QUARTER_HOUR);
  const key = `${timeZone}|${bucket}`;
  let minutes = offsets.get(key);
  if (minutes !== undefined) return minutes;
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, fmt);
  }
  const name = fmt.formatToParts(bucket * QUARTER_HOUR).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  minutes = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  if (offsets.size > 50_000) offsets.clear(); // bounded: a long benchmark sweeps many instants
  offsets.set(key, minutes);
  return minutes;
}

function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return colon ? `${sign}${hh}:${mm}` : `${sign}${hh}${mm}`;
}

function wallClock(ms: number, minutes: number): string {
  return new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
}

/** `2025-12-21T17:00:00-0500`: MaxSold's form, offset without a colon. */
export function maxsoldTime(ms: number, timeZone: string): string {
  const minutes = offsetMinutes(timeZone, ms);
  return wallClock(ms, minutes) + offsetText(minutes, false);
}

/** `2026-07-15T08:00:17-07:00`: VIA's form since 2026-07-03. */
export function viaLocalTime(ms: number, timeZone: string): string {
  const minutes = offsetMinutes(timeZone, ms);
  return wallClock(ms, minutes) + offsetText(minutes, true);
}

/** The UTC instant of a wall-clock time in `timeZone` (the earlier one in a DST overlap). */
export function zonedToEpoch(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const first = asUtc - offsetMinutes(timeZone, asUtc) * 60_000;
  return asUtc - offsetMinutes(timeZone, first) * 60_000;
}

/** Parses `…±HH:MM`, `…±HHMM` or `…Z` (the forms the seeds use); NaN otherwise. */
export function parseOffsetTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(Z|([+-])(\d\d):?(\d\d))$/.exec(text);
  if (!m) return NaN;
  const local = Date.parse(`${m[1]}Z`);
  if (m[2] === 'Z') return local;
  const minutes = (m[3] === '-' ? -1 : 1) * (Number(m[4]) * 60 + Number(m[5]));
  return local - minutes * 60_000;
}
