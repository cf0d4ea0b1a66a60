import { PoisonError } from '../errors.js';
import { parseDateDays } from '../timestamps.js';
import type { ViaWork } from '../work-item.js';
import type { Row, TableRows } from '../tables.js';
import { FieldReader, isObject } from './fields.js';
import type { RowContext } from './maxsold.js';

export const VIA_ORIGIN = 'https://tsimobile.viarail.ca';
export const VIA_PATH = '/data/allData.json';

export function viaUrl(origin: string): string {
  return origin + VIA_PATH;
}

export type ViaSnapshot = Record<string, unknown>;

/** The top level must be an object keyed by train; each train is checked as it is normalised. */
export function validateVia(json: unknown): ViaSnapshot {
  if (!isObject(json)) throw new PoisonError('via: body is not a JSON object keyed by train');
  let trains = 0;
  for (const key in json) if (isObject(json[key])) trains++;
  if (trains === 0 && Object.keys(json).length > 0) throw new PoisonError('via: no train records in the snapshot');
  return json;
}

const KEY = /^(\d+)(?: \((\d{2}-\d{2})\))?$/;

export function normaliseVia(snapshot: ViaSnapshot, item: ViaWork, ctx: RowContext, r: FieldReader): TableRows {
  const snapshotAt = Date.parse(item.at);
  const trains: Row[] = [];
  const stops: Row[] = [];
  const seen = new Set<string>();
  for (const key in snapshot) {
    const t = snapshot[key];
    const m = KEY.exec(key);
    // Key "0" (empty from/to/instance) is junk the API sent once; other odd keys likewise.
    if (!isObject(t) || !m || m[1] === '0' || typeof t.instance !== 'string' || parseDateDays(t.instance) === null || !Array.isArray(t.times)) {
      r.note('via_trains.record:skipped_invalid');
      continue;
    }
    const number = m[1];
    const instance = parseDateDays(t.instance);
    if (m[2] && m[2] !== t.instance.slice(5, 10)) r.note('via_trains.key:date_differs_from_instance');
    const identity = `${number}|${t.instance}`;
    if (seen.has(identity)) {
      r.note('via_trains.record:duplicate_identity');
      continue;
    }
    seen.add(identity);
    const direction = optionalNumber(t, 'direction', r);
    const alerts = Array.isArray(t.alerts) && t.alerts.length > 0 ? t.alerts : null;
    trains.push({
      snapshot_at: snapshotAt,
      train_number: number,
      instance,
      train_key: key,
      departed: r.boolean(t, 'departed', 'via_trains'),
      arrived: r.boolean(t, 'arrived', 'via_trains'),
      from_station: r.string(t, 'from', 'via_trains'),
      to_station: r.string(t, 'to', 'via_trains'),
      lat: optionalNumber(t, 'lat', r),
      lng: optionalNumber(t, 'lng', r),
      speed: optionalInteger(t, 'speed', r),
      direction: direction === -1 ? null : direction,
      poll_at: r.timestamp(t, 'poll', 'via_trains'),
      poll_min: optionalInteger(t, 'pollMin', r),
      poll_radius: optionalInteger(t, 'pollRadius', r),
      stop_count: t.times.length,
      alert_count: alerts ? alerts.length : 0,
      alerts: alerts ? JSON.stringify(alerts) : null,
      source_key: ctx.sourceKey,
      fetched_at: ctx.fetchedAt,
    });
    for (let i = 0; i < t.times.length; i++) {
      const s = t.times[i];
      if (!isObject(s)) {
        r.note('via_train_stops.stop:not_object');
        continue;
      }
      stops.push(stopRow(s, i, number, instance, snapshotAt, ctx, r));
    }
  }
  return { via_trains: trains, via_train_stops: stops };
}

function stopRow(s: Record<string, unknown>, index: number, number: string, instance: number | null, snapshotAt: number, ctx: RowContext, r: FieldReader): Row {
  const S = 'via_train_stops';
  const arrival = isObject(s.arrival) ? s.arrival : undefined;
  const departure = isObject(s.departure) ? s.departure : undefined;
  const arrivalEstimated = r.timestamp(arrival, 'estimated', S);
  const departureEstimated = r.timestamp(departure, 'estimated', S);
  // On the 2026-07-03 switchover the top-level estimate was a sentinel while a sub-object held the time.
  const estimated = r.timestamp(s, 'estimated', S) ?? arrivalEstimated ?? departureEstimated;
  const eta = typeof s.eta === 'string' && s.eta !== '&mdash;' && s.eta !== '' ? s.eta : null;
  const replaced = isObject(s.replaced) ? s.replaced : undefined;
  return {
    snapshot_at: snapshotAt,
    train_number: number,
    instance,
    stop_index: index,
    station: r.string(s, 'station', S),
    station_code: r.optionalString(s, 'code', S),
    tz: typeof s.tz === 'string' ? s.tz : null,
    scheduled_at: r.timestamp(s, 'scheduled', S),
    estimated_at: estimated,
    arrival_scheduled_at: r.timestamp(arrival, 'scheduled', S),
    arrival_estimated_at: arrivalEstimated,
    departure_scheduled_at: r.timestamp(departure, 'scheduled', S),
    departure_estimated_at: departureEstimated,
    eta,
    diff: typeof s.diff === 'string' ? s.diff : null,
    diff_min: typeof s.diffMin === 'number' ? Math.round(s.diffMin) : null,
    cancelled: s.cancelled === true,
    replaced_mode: replaced && typeof replaced.mode === 'string' ? replaced.mode : null,
    replaced_services: replaced && Array.isArray(replaced.services) ? replaced.services.map(String) : [],
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
}

/** Position fields exist only while a train runs: absence is normal, not an anomaly. */
function optionalNumber(t: Record<string, unknown>, key: string, r: FieldReader): number | null {
  return t[key] === undefined ? null : r.number(t, key, 'via_trains');
}

function optionalInteger(t: Record<string, unknown>, key: string, r: FieldReader): number | null {
  return t[key] === undefined ? null : r.integer(t, key, 'via_trains');
}
