import { describe, expect, it } from 'vitest';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { startSimulatorProcess } from '../helpers/sim-process.js';
import { tempDir } from '../helpers/data-dir.js';

// The server allows 20 requests/s (a burst of 20) and answers 429 with Retry-After: 1. It runs in
// its own process, so its CPU never delays the client's reaction to a 429 (or the other way round).
describe.each(['auto', 10] as const)('500 ids against a server limited to 20 req/s, concurrency %s', (concurrency) => {
  it('stores all 500, never breaks a Retry-After, and keeps 429s under 5% of requests', async () => {
    const sim = await startSimulatorProcess(['--rate', '20/s', '--latency', '50', '--jitter', '10']);
    const { dir, cleanup } = tempDir('polite-');
    try {
      const report = await scrape({
        command: 'polite', plan: planAuctions([{ from: 100000, to: 100499 }], '2026-11-26'), out: dir, baseUrl: sim.url,
        concurrency, workers: 1, skipExisting: true, withBids: false, quiet: true, writeReport: false,
      });
      const s = await sim.stats();
      expect(report.outcomes.fetched).toBe(500);
      expect(s.retryAfterViolations).toBe(0);
      expect(s.throttled429 / s.requests).toBeLessThan(0.05);
      expect(report.throttledHonoured).toBe(s.throttled429);
      expect(report.requests).toBe(s.requests);
    } finally {
      cleanup();
      await sim.close();
    }
  }, 120_000);
});
