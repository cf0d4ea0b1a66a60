import { PoisonError } from '../errors.js';
import type { ViaWork } from '../work-item.js';
import { TABLES, type Row, type TableRows } from '../tables.js';
import { dayOf, fieldReaders, type FieldReader, isObject } from './fields.js';
import type { RowContext } from './maxsold.js';

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
const T = fieldReaders(TABLES.via_trains, [
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
  'alerts',
]);
const S = fieldReaders(TABLES.via_train_stops, [
  'station',
  'station_code',
  'tz',
  'scheduled_at',
  'estimated_at',
  'arrival_scheduled_at',
  'arrival_estimated_at',
  'departure_scheduled_at',
  'departure_estimated_at',
  'eta',
  'diff',
  'diff_min',
  'cancelled',
  'replaced_mode',
  'replaced_services',
]);
/** What an absent sub-object reads as: every field in it absent. */
const NONE: Record<string, unknown> = Object.freeze({});

export function normaliseVia(snapshot: ViaSnapshot, item: ViaWork, ctx: RowContext, r: FieldReader): TableRows {
  const snapshotAt = Date.parse(item.at);
  const trains: Row[] = [];
  const stops: Row[] = [];
  const seen = new Set<string>();
  for (const key in snapshot) {
    const t = snapshot[key];
    const m = KEY.exec(key);
    const number = m?.[1];
    const instance = isObject(t) ? dayOf(t.instance) : null;
    // Key "0" (empty from/to/instance) is junk the API sent once; other odd keys likewise.
    if (!isObject(t) || number === undefined || number === '0' || instance === null || !Array.isArray(t.times)) {
      r.note('via_trains.record:skipped_invalid');
      continue;
    }
    const keyDate = m?.[2];
    if (keyDate && keyDate !== (t.instance as string).slice(5, 10)) r.note('via_trains.key:date_differs_from_instance');
    const identity = `${number}|${instance}`;
    if (seen.has(identity)) {
      r.note('via_trains.record:duplicate_identity');
      continue;
    }
    seen.add(identity);
    trains.push({
      snapshot_at: snapshotAt,
      train_number: number,
      instance,
      train_key: key,
      departed: T.departed(t, r),
      arrived: T.arrived(t, r),
      from_station: T.from_station(t, r),
      to_station: T.to_station(t, r),
      lat: T.lat(t, r),
      lng: T.lng(t, r),
      speed: T.speed(t, r),
      direction: T.direction(t, r),
      poll_at: T.poll_at(t, r),
      poll_min: T.poll_min(t, r),
      poll_radius: T.poll_radius(t, r),
      stop_count: t.times.length,
      alert_count: Array.isArray(t.alerts) ? t.alerts.length : 0,
      alerts: T.alerts(t, r),
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

function stopRow(
  s: Record<string, unknown>,
  index: number,
  number: string,
  instance: number,
  snapshotAt: number,
  ctx: RowContext,
  r: FieldReader,
): Row {
  const arrival = r.object(s, 'arrival', 'via_train_stops') ?? NONE;
  const departure = r.object(s, 'departure', 'via_train_stops') ?? NONE;
  const replaced = r.object(s, 'replaced', 'via_train_stops') ?? NONE;
  const arrivalEstimated = S.arrival_estimated_at(arrival, r);
  const departureEstimated = S.departure_estimated_at(departure, r);
  return {
    snapshot_at: snapshotAt,
    train_number: number,
    instance,
    stop_index: index,
    station: S.station(s, r),
    station_code: S.station_code(s, r),
    tz: S.tz(s, r),
    scheduled_at: S.scheduled_at(s, r),
    // On the 2026-07-03 switchover the top-level estimate was a sentinel while a sub-object held the time.
    estimated_at: S.estimated_at(s, r) ?? arrivalEstimated ?? departureEstimated,
    arrival_scheduled_at: S.arrival_scheduled_at(arrival, r),
    arrival_estimated_at: arrivalEstimated,
    departure_scheduled_at: S.departure_scheduled_at(departure, r),
    departure_estimated_at: departureEstimated,
    eta: S.eta(s, r),
    diff: S.diff(s, r),
    diff_min: S.diff_min(s, r),
    cancelled: S.cancelled(s, r),
    replaced_mode: S.replaced_mode(replaced, r),
    replaced_services: S.replaced_services(replaced, r),
    source_key: ctx.sourceKey,
    fetched_at: ctx.fetchedAt,
  };
}
