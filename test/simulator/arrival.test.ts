import { describe, expect, it } from 'vitest';
import { ArrivalClock } from '../../simulator/arrival.js';
import { StatsRecorder } from '../../simulator/stats.js';

// Wall and monotonic clocks differ by an offset; a heartbeat every 5 ms, on time up to t=629.
const WALL = 1_796_605_455_000;
function onTime(): ArrivalClock {
  const clock = new ArrivalClock(5, WALL, 0);
  for (let t = 4; t <= 629; t += 5) expect(clock.beat(WALL + t, t)).toBe(false);
  return clock;
}

describe('ArrivalClock: the earliest a request may have arrived', () => {
  it('is now while the loop keeps time', () => {
    expect(onTime().earliest(WALL + 631, 631)).toBe(WALL + 631);
  });

  it('goes back to when a late beat was due, for the requests of that turn only', () => {
    const clock = onTime();
    expect(clock.beat(WALL + 732, 732)).toBe(true);
    expect(clock.earliest(WALL + 733, 733)).toBe(WALL + 634);
    clock.turnEnded();
    expect(clock.earliest(WALL + 734, 734)).toBe(WALL + 734);
  });

  it('goes back over a slow turn with no late beat before it', () => {
    const clock = onTime();
    expect(clock.earliest(WALL + 700, 700)).toBe(WALL + 634);
  });

  it('keeps the stall a late beat found when the rest of that turn is slow too', () => {
    // Recorded under load: the 429 finished at 628; the loop stalled from 634 to 732, its beat
    // ran at 732, and the turn's I/O reached the request at 775. It may have arrived at 634,
    // before the Retry-After window opened (628 + 50 ms of grace), so it broke nothing.
    const clock = onTime();
    expect(clock.beat(WALL + 732, 732)).toBe(true);
    const earliest = clock.earliest(WALL + 775, 775);
    expect(earliest).toBe(WALL + 634);
    const stats = new StatsRecorder(50);
    stats.retryAfterSent(WALL + 628, WALL + 1000);
    expect(stats.arrived(earliest, WALL + 775, 'auctions', 100012)).toBe(false);
  });
});
