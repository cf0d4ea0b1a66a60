import { describe, expect, it } from 'vitest';
import { StatsRecorder } from '../../simulator/stats.js';

// A 429 finished at t=1000 asking for a wait until t=2000; the grace is 50 ms.
function recorder(): StatsRecorder {
  const stats = new StatsRecorder(50);
  stats.retryAfterSent(1000, 2000);
  return stats;
}

describe('Retry-After violations: only requests that surely came inside the wait', () => {
  it('counts one that came after the grace and before the wait ended', () => {
    const stats = recorder();
    expect(stats.arrived(1500, 1500, 'auctions', 1)).toBe(true);
    expect(stats.snapshot().retryAfterViolations).toBe(1);
  });

  it('not one that came within the grace (it was on its way) or after the wait', () => {
    const stats = recorder();
    expect(stats.arrived(1040, 1040, 'auctions', 1)).toBe(false);
    expect(stats.arrived(2000, 2000, 'auctions', 1)).toBe(false);
    expect(stats.snapshot().retryAfterViolations).toBe(0);
  });

  it('not one the loop saw late that may have come within the grace', () => {
    expect(recorder().arrived(1040, 1500, 'auctions', 1)).toBe(false);
  });

  it('not one the loop saw late, after the wait, that may have come after the wait', () => {
    expect(recorder().arrived(1990, 2010, 'auctions', 1)).toBe(false);
  });

  it('one the loop saw late that came inside the wait however early or late', () => {
    expect(recorder().arrived(1100, 1900, 'auctions', 1)).toBe(true);
  });

  it('says how long after the 429 that began the running wait each violation came, at the earliest', () => {
    const stats = recorder();
    stats.arrived(1100, 1900, 'auctions', 1);
    stats.retryAfterSent(1500, 2500); // extends the wait that began at 1000
    stats.arrived(1530, 1530, 'auctions', 2);
    stats.arrived(1600, 1600, 'auctions', 3);
    stats.arrived(2600, 2600, 'auctions', 4); // after both: none
    stats.retryAfterSent(3000, 4000); // a new wait
    stats.arrived(3100, 3100, 'auctions', 5);
    expect(stats.snapshot()).toMatchObject({ retryAfterViolations: 4, retryAfterViolationDelaysMs: [100, 530, 600, 100] });
  });
});
