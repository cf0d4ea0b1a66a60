import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../../core/report.js';
import { runCli } from '../helpers/cli.js';
import { startSimulatorProcess } from '../helpers/sim-process.js';
import { tempDir } from '../helpers/data-dir.js';
import { canRaisePriority } from '../helpers/priority.js';

// The server allows 20 requests/s (a burst of 20) and answers 429 with Retry-After: 1. Server and
// client each run in their own process, as a user runs them (the client with its defaults: a worker
// pool does the processing, the main thread only I/O). A request arriving within 25 ms of a 429 was
// on its way already: the client reads a 429 as soon as it arrives and holds every request behind
// it. A client that ignored Retry-After would keep sending through the whole second
// (test/simulator/server-limits.test.ts catches one). 250 ids keep the client at the limit for
// over 10 s after its first burst; the server makes their bodies before it listens, so that
// serving them costs the client no CPU. Where the tests may raise a process's priority, client
// and server run at high priority among the other test files (whose load would otherwise delay
// the client's reading of a 429); elsewhere the file runs alone, after them (vitest.config.ts).
const priority = { highPriority: canRaisePriority() };
describe.each(['auto', '10'] as const)('250 ids against a server limited to 20 req/s, concurrency %s', (concurrency) => {
  it('stores all 250, never breaks a Retry-After, and keeps 429s past the first burst under 5% of requests', async () => {
    const sim = await startSimulatorProcess(
      ['--rate', '20/s', '--latency', '50', '--jitter', '10', '--retry-after-grace', '25', '--pregenerate', '100000-100249'],
      priority,
    );
    const { dir, cleanup } = tempDir('polite-');
    try {
      const run = await runCli(
        ['run', 'maxsold', '--ids', '100000-100249', '--base-url', sim.url, '--concurrency', concurrency, '--out', dir, '--quiet'],
        priority,
      );
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
      const s = await sim.stats();
      expect(report.outcomes.fetched).toBe(250);
      expect(s.retryAfterViolations, `came ${s.retryAfterViolationDelaysMs.join(', ')} ms into a wait; ${JSON.stringify(s)}`).toBe(0);
      // The requests on their way when the first 429 arrives are answered 429 too (at most the
      // peak in flight, ~20 in auto mode's slow start); after that, probing for the rate may cost
      // a 429 now and then, under 5% of the requests.
      expect(s.throttled429 - s.peakInFlight, JSON.stringify(s)).toBeLessThan(0.05 * s.requests);
      expect(report.throttledHonoured).toBe(s.throttled429);
      expect(report.requests).toBe(s.requests);
    } finally {
      cleanup();
      await sim.close();
    }
  }, 120_000);
});
