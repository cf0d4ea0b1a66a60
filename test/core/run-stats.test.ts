import { describe, expect, it } from 'vitest';
import { RunStats } from '../../core/run-stats.js';

/** Fills the 20,000-latency reservoir with 1 ms, then offers as many 1,000 ms latencies. */
function sampled(random: () => number): RunStats {
  const stats = new RunStats(random);
  for (const latency of [1, 1000]) {
    for (let i = 0; i < 20_000; i++) {
      stats.requestStarted();
      stats.requestEnded(latency, 0);
    }
  }
  return stats;
}

describe('RunStats latency reservoir', () => {
  it('once full, replaces the slot the injected random draws', () => {
    const stats = sampled(() => 0);
    expect(stats.latencyPercentile(100)).toBe(1000);
    expect(stats.latencyPercentile(99)).toBe(1);
  });

  it('keeps the sample when the draw falls past the reservoir', () => {
    expect(sampled(() => 0.999_999).latencyPercentile(100)).toBe(1);
  });
});
