import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VIA_SEED_CAPTURED_MS, viaSnapshotBody } from '../../simulator/index.js';
import { splitTopLevel } from '../../simulator/via-payloads.js';

const seedBytes = readFileSync(new URL('../../fixtures/via/alldata-20260716T0425.json', import.meta.url), 'latin1');
const LOCAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;
const MINUTE = 60_000;

interface Stop {
  tz: string;
  estimated: string;
  scheduled: string;
  arrival?: Record<string, string | null>;
  departure?: Record<string, string | null>;
}
interface Train {
  instance: string;
  poll?: string;
  times: Stop[];
}

function stopTimes(stop: Stop): string[] {
  const out = [stop.estimated, stop.scheduled];
  for (const pair of [stop.arrival, stop.departure])
    if (pair) out.push(...Object.values(pair).filter((v): v is string => typeof v === 'string'));
  return out.filter((t) => t !== '&mdash;');
}

function offsetOf(timeZone: string, ms: number): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(ms)
    .find((p) => p.type === 'timeZoneName')!.value;
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

describe('via snapshot', () => {
  it('is the recorded bytes at the capture minute', () => {
    expect(viaSnapshotBody(VIA_SEED_CAPTURED_MS)).toBe(seedBytes);
    expect(viaSnapshotBody(Math.floor(VIA_SEED_CAPTURED_MS / MINUTE) * MINUTE + 59_999)).toBe(seedBytes);
  });

  // A winter instant: every offset changes (-04:00 → -05:00), so re-rendering is really exercised.
  const now = Date.parse('2027-01-20T15:42:31Z');
  const body = viaSnapshotBody(now);
  const shift = (Math.floor(now / MINUTE) - Math.floor(VIA_SEED_CAPTURED_MS / MINUTE)) * MINUTE;
  const seed = splitTopLevel(seedBytes).map((e) => [e.key, JSON.parse(e.text) as Train] as const);
  const shifted = splitTopLevel(body).map((e) => [e.key, JSON.parse(e.text) as Train] as const);

  it('parses, keeps the train order, and is deterministic within a minute', () => {
    expect(() => JSON.parse(body) as unknown).not.toThrow();
    expect(shifted).toHaveLength(seed.length);
    expect(viaSnapshotBody(now + 20_000)).toBe(body);
    expect(viaSnapshotBody(now + MINUTE)).not.toBe(body);
  });

  it('writes ASCII only, with \\/ escapes, no trailing newline', () => {
    expect(/[\u0080-\uffff]/.test(body)).toBe(false);
    expect(body).toContain('"tz":"America\\/Toronto"');
    expect(body).not.toMatch(/[^\\]\//);
    expect(body.endsWith('}')).toBe(true);
  });

  it('shifts every stop time by whole minutes into the station offset, and poll in Z', () => {
    let checked = 0;
    shifted.forEach(([, train], t) => {
      const before = seed[t]![1];
      if (train.poll !== undefined) {
        expect(train.poll).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(Date.parse(train.poll) - Date.parse(before.poll!)).toBe(shift);
      }
      train.times.forEach((stop, s) => {
        const old = stopTimes(before.times[s]!);
        const times = stopTimes(stop);
        expect(times).toHaveLength(old.length);
        times.forEach((time, k) => {
          expect(time).toMatch(LOCAL);
          expect(Date.parse(time) - Date.parse(old[k]!)).toBe(shift);
          expect(time.slice(19)).toBe(offsetOf(stop.tz, Date.parse(time)));
          checked++;
        });
        if (before.times[s]!.estimated === '&mdash;') expect(stop.estimated).toBe('&mdash;');
      });
    });
    expect(checked).toBeGreaterThan(1500);
  });

  it('moves instance by whole days and keeps dated keys equal to it', () => {
    shifted.forEach(([key, train], t) => {
      const days = (Date.parse(train.instance) - Date.parse(seed[t]![1].instance)) / 86_400_000;
      expect(Number.isInteger(days)).toBe(true);
      const dated = /^(\d+) \((\d\d-\d\d)\)$/.exec(key);
      if (dated) expect(dated[2]).toBe(train.instance.slice(5, 10));
      else expect(key).toBe(seed[t]![0]);
    });
  });

  it('keeps everything that is not a time', () => {
    const strip = (s: string): string => s.replace(/"\d{4}-\d\d-\d\dT[^"]*"|"\d{4}-\d\d-\d\d"|"\d+ \(\d\d-\d\d\)"/g, '"T"');
    expect(strip(body)).toBe(strip(seedBytes));
  });
});
