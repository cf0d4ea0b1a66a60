import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../emulator/schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('EventBridge schedule expressions', () => {
  it('rate(1 minute) fires on the next whole minute', () => {
    expect(iso(parseSchedule('rate(1 minute)').next(at('2026-11-23T10:00:30Z')))).toBe('2026-11-23T10:01:00.000Z');
  });

  it('rate(1 hour) fires on the hour, strictly after the instant', () => {
    expect(iso(parseSchedule('rate(1 hour)').next(at('2026-11-23T10:00:00Z')))).toBe('2026-11-23T11:00:00.000Z');
  });

  it('cron(30 2 * * ? *) fires at 02:30 UTC every day', () => {
    const s = parseSchedule('cron(30 2 * * ? *)');
    expect(iso(s.next(at('2026-11-23T01:00:00Z')))).toBe('2026-11-23T02:30:00.000Z');
    expect(iso(s.next(at('2026-11-23T02:30:00Z')))).toBe('2026-11-24T02:30:00.000Z');
  });

  it('cron with a day-of-week list and a minute step', () => {
    expect(iso(parseSchedule('cron(0/15 9 ? * MON-FRI *)').next(at('2026-11-28T12:00:00Z')))).toBe('2026-11-30T09:00:00.000Z');
  });

  it('refuses what it cannot read', () => {
    expect(() => parseSchedule('every hour')).toThrow(/expected rate/);
  });

  it('refuses an empty list element rather than reading it as 0', () => {
    expect(() => parseSchedule('cron(0,,30 * * * ? *)')).toThrow(/"" is not in 0-59/);
  });
});
