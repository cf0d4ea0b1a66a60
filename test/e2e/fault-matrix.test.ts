import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { FAULT_KINDS, startSimulator, type FaultRates } from '../../simulator/index.js';
import { tempDir } from '../helpers/data-dir.js';

const FIRST = 400000;
const COUNT = 30;

/** Auction ids stored under a prefix (raw/ or quarantine/). */
function idsUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.json.gz'))
      .map((f) => /auction=(\d+)/.exec(f)?.[1] ?? f);
  } catch {
    return [];
  }
}

const cases: Array<[string, FaultRates]> = [
  ...FAULT_KINDS.map((k): [string, FaultRates] => [`${k} at 20%`, { [k]: 0.2 }]),
  ['all kinds at 5% each', Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.05]))],
  ['all kinds at 12% each', Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.12]))],
];

describe.each([1, 10, 50])('fault matrix at concurrency %i', (concurrency) => {
  it.each(cases)('%s: every id ends exactly once, and the report matches the server', async (_name, faults) => {
    const sim = await startSimulator({ faults, faultSeed: concurrency, slowMs: 50, latencyMs: 2 });
    const { dir, cleanup } = tempDir('matrix-');
    try {
      const report = await scrape({
        command: 'matrix',
        plan: planAuctions([{ from: FIRST, to: FIRST + COUNT - 1 }], '2026-11-26'),
        out: dir,
        baseUrl: sim.url,
        concurrency,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: false,
        policy: { baseDelayMs: 2, maxDelayMs: 20 },
      });
      const s = sim.stats();
      const stored = idsUnder(join(dir, 'raw'));
      const quarantined = idsUnder(join(dir, 'quarantine'));
      const missing = report.missingIds.map((l) => l.replace('maxsold ', ''));
      const all = [...stored, ...quarantined, ...missing];
      // Exactly once: fetched, empty (stored), quarantined or missing; nothing lost, nothing twice.
      expect(all.sort()).toEqual(Array.from({ length: COUNT }, (_, i) => String(FIRST + i)));
      expect(report.complete).toBe(true);
      expect(report.outcomes.fetched + report.outcomes.empty).toBe(stored.length);
      expect(report.outcomes.quarantined).toBe(quarantined.length);
      expect(report.outcomes.missing).toBe(missing.length);
      // The client's counts are the server's.
      expect(report.requests).toBe(s.requests);
      expect(report.outcomes.missing).toBe(s.faults.notFound);
      expect(report.outcomes.empty).toBe(s.faults.empty);
      expect(report.peakRequestsInFlight).toBeLessThanOrEqual(concurrency);
      expect(s.peakInFlight).toBeLessThanOrEqual(concurrency);
      expect(s.retryAfterViolations).toBe(0);
      // The fault under test was served (a kind alone at 20% of 30 ids and their retries).
      const kinds = Object.keys(faults) as (keyof typeof s.faults)[];
      if (kinds.length === 1) expect(s.faults[kinds[0]!]).toBeGreaterThan(0);
    } finally {
      cleanup();
      await sim.close();
    }
  });
});
