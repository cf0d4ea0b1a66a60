import { describe, expect, it } from 'vitest';
import { formatTimeLeft, TimeLeft } from '../../emulator/time-left.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('TimeLeft', () => {
  it('estimates from the recent pace, not the whole run: a slow start (the backlog) is forgotten once out of the window', () => {
    const t = new TimeLeft(3);
    const end = 24 * HOUR;
    expect(t.sample(0, 0, end)).toBeUndefined();
    // The first hour of virtual time took 10 real minutes; each later hour takes 1.
    expect(t.sample(10 * MIN, HOUR, end)).toBe(23 * 10 * MIN);
    expect(t.sample(11 * MIN, 2 * HOUR, end)).toBeCloseTo(22 * (11 / 2) * MIN);
    t.sample(12 * MIN, 3 * HOUR, end);
    expect(t.sample(13 * MIN, 4 * HOUR, end)).toBe(20 * MIN);
  });

  it('has no estimate while virtual time has not moved, and nothing left past the end', () => {
    const t = new TimeLeft();
    t.sample(0, HOUR, 2 * HOUR);
    expect(t.sample(MIN, HOUR, 2 * HOUR)).toBeUndefined();
    expect(t.sample(2 * MIN, 3 * HOUR, 2 * HOUR)).toBe(0);
  });

  it('reads as minutes, or hours and minutes', () => {
    expect(formatTimeLeft(20_000)).toBe('under a minute');
    expect(formatTimeLeft(12 * MIN)).toBe('~12 min');
    expect(formatTimeLeft(HOUR + 5 * MIN)).toBe('~1 h 05 min');
    expect(formatTimeLeft(7 * HOUR)).toBe('~7 h 00 min');
  });
});
