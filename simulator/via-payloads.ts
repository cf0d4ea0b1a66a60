/**
 * VIA `allData.json` snapshots "now": the newest recorded snapshot (2026-07-16 04:25 UTC)
 * with every time moved forward to the requested minute, written back the way VIA writes
 * it (station-local offsets, `poll` in UTC, ASCII-only JSON with `\/` escapes).
 */
import { fixtureText, SEED_VIA, SEED_VIA_CAPTURED_MS } from './fixtures.js';
import { parseOffsetTime, viaLocalTime } from './local-time.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const LOCAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;
const DATED_KEY = /^(\d+) \(\d\d-\d\d\)$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

interface SeedTrain {
  key: string;
  text: string;
}

let seedTrains: SeedTrain[] | undefined;

/**
 * The top-level entries in file order. JSON.parse would move keys like "5" ahead of
 * "1 (07-12)" (integer-like keys come first in a JS object), so the order is read from the text.
 */
export function splitTopLevel(text: string): SeedTrain[] {
  const out: SeedTrain[] = [];
  let depth = 0;
  let inString = false;
  let keyStart = -1;
  let valueStart = -1;
  let key = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) {
        inString = false;
        if (depth === 1 && keyStart >= 0 && valueStart < 0) key = JSON.parse(text.slice(keyStart, i + 1)) as string;
      }
      continue;
    }
    if (c === 34) {
      inString = true;
      if (depth === 1 && valueStart < 0) keyStart = i;
    } else if (c === 58 && depth === 1) valueStart = i + 1; // ':'
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0 && valueStart >= 0) out.push({ key, text: text.slice(valueStart, i) });
    } else if (c === 44 && depth === 1) {
      out.push({ key, text: text.slice(valueStart, i) });
      keyStart = valueStart = -1;
    }
  }
  return out;
}

function trains(): SeedTrain[] {
  seedTrains ??= splitTopLevel(fixtureText(SEED_VIA));
  return seedTrains;
}

/** JSON as VIA's server writes it: non-ASCII as `\u00e9`, and every `/` as `\/`. */
export function viaEscape(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/');
}

function shiftLocal(value: Json, shiftMs: number, tz: string | undefined): Json {
  if (typeof value !== 'string' || !LOCAL_TIME.test(value)) return value; // "&mdash;", null, ""
  const ms = parseOffsetTime(value) + shiftMs;
  if (tz) return viaLocalTime(ms, tz);
  // No zone (never in this seed): keep the recorded offset.
  const offset = value.slice(19);
  const minutes = (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(ms + minutes * MINUTE).toISOString().slice(0, 19) + offset;
}

function shiftField(o: Obj, key: string, shiftMs: number, tz: string | undefined): void {
  const value = o[key];
  if (value !== undefined) o[key] = shiftLocal(value, shiftMs, tz);
}

function shiftPair(pair: Json | undefined, shiftMs: number, tz: string | undefined): void {
  if (pair === undefined || pair === null || typeof pair !== 'object' || Array.isArray(pair)) return;
  for (const k of ['scheduled', 'estimated']) shiftField(pair, k, shiftMs, tz);
}

/** Moves one train record (in place) by `shiftMs`; returns how many days its `instance` moved. */
function shiftTrain(train: Obj, shiftMs: number): number {
  let days: number | undefined;
  const stops = Array.isArray(train.times) ? train.times : [];
  for (const stop of stops) {
    if (stop === null || typeof stop !== 'object' || Array.isArray(stop)) continue;
    const tz = typeof stop.tz === 'string' && stop.tz ? stop.tz : undefined;
    const before = stop.scheduled;
    shiftField(stop, 'estimated', shiftMs, tz);
    shiftField(stop, 'scheduled', shiftMs, tz);
    shiftPair(stop.arrival, shiftMs, tz);
    shiftPair(stop.departure, shiftMs, tz);
    // The service date follows the first stop's local calendar date.
    if (days === undefined && typeof before === 'string' && before !== stop.scheduled && typeof stop.scheduled === 'string') {
      days = Math.round((Date.parse(stop.scheduled.slice(0, 10)) - Date.parse(before.slice(0, 10))) / DAY);
    }
  }
  days ??= Math.round(shiftMs / DAY);
  if (typeof train.poll === 'string' && train.poll.endsWith('Z')) {
    train.poll = new Date(Date.parse(train.poll) + shiftMs).toISOString().slice(0, 19) + 'Z';
  }
  if (typeof train.instance === 'string' && /^\d{4}-\d\d-\d\d$/.test(train.instance)) {
    train.instance = new Date(Date.parse(train.instance) + days * DAY).toISOString().slice(0, 10);
  }
  return days;
}

let memo: { minute: number; body: string } | undefined;

/**
 * The snapshot for instant `nowMs`, shifted by the whole minutes between the capture minute
 * and now's minute (so any instant inside one minute gives the same bytes, and the capture
 * minute gives the recorded bytes exactly). Dated keys like `1 (07-12)` follow `instance`.
 */
export function viaSnapshotBody(nowMs: number): string {
  if (!Number.isFinite(nowMs)) throw new RangeError(`via: nowMs must be a finite number, got ${nowMs}`);
  const minute = Math.floor(nowMs / MINUTE);
  if (memo?.minute === minute) return memo.body;
  const shiftMs = (minute - Math.floor(SEED_VIA_CAPTURED_MS / MINUTE)) * MINUTE;
  const parts: string[] = [];
  for (const seed of trains()) {
    const train = JSON.parse(seed.text) as Json;
    let key = seed.key;
    if (train !== null && typeof train === 'object' && !Array.isArray(train) && shiftMs !== 0) {
      shiftTrain(train, shiftMs);
      const dated = DATED_KEY.exec(key);
      if (dated && typeof train.instance === 'string' && train.instance.length === 10) key = `${dated[1]} (${train.instance.slice(5, 10)})`;
    }
    parts.push(JSON.stringify(key) + ':' + JSON.stringify(train));
  }
  const body = viaEscape('{' + parts.join(',') + '}');
  memo = { minute, body };
  return body;
}

/** The instant the seed snapshot was recorded (for tests and demos). */
export const VIA_SEED_CAPTURED_MS = SEED_VIA_CAPTURED_MS;
