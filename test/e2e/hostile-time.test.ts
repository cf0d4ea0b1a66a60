import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAuctions } from '../../core/planner.js';
import { scrape, type ScrapeOptions } from '../../cli/scrape.js';
import { startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import { auctionFor, auctionId, head, JSON_TYPE, respond, startHostileServer, trickle, type Behaviour } from '../helpers/hostile-server.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 5 };

/** A scrape of auctions `from`..`to` against a hostile server, in a fresh data directory. */
async function scrapeHostile(behave: Behaviour, from: number, to: number, options: Partial<ScrapeOptions> = {}) {
  const server = await startHostileServer(behave);
  const { dir, cleanup } = tempDir('hostile-');
  try {
    const report = await scrape({
      command: 'hostile',
      plan: planAuctions([{ from, to }], '2026-11-26'),
      out: dir,
      baseUrl: server.url,
      concurrency: 4,
      workers: 0,
      skipExisting: true,
      withBids: false,
      quiet: true,
      writeReport: false,
      policy: FAST,
      ...options,
    });
    return { report, requests: server.requests };
  } finally {
    cleanup();
    await server.close();
  }
}

describe('a server that never finishes an answer ends at the total deadline', () => {
  it('a body trickling in a byte at a time: deadline_slow_body, retried, then quarantined; the other ids are fetched and the run ends', async () => {
    const { report } = await scrapeHostile(
      async (socket, req) => {
        if (auctionId(req.path) !== 2) return respond(socket, 200, JSON_TYPE, auctionFor(req.path));
        // Each byte resets undici's idle body timeout; only the total deadline ends it.
        socket.write(head(200, { ...JSON_TYPE, 'content-length': 100_000 }));
        await trickle(socket, Buffer.alloc(100_000, 0x20), 100);
      },
      1,
      3,
      { limits: { deadlineMs: 600 }, policy: { ...FAST, maxAttempts: 2 } },
    );
    expect(report.complete).toBe(true);
    expect(report.outcomes).toMatchObject({ fetched: 2, quarantined: 1 });
    expect(report.failureReasons).toEqual({ deadline_slow_body: 2 });
    expect(report.quarantinedIds).toEqual(['maxsold 2: deadline_slow_body after 2 attempts']);
  });

  it('an endless stream of 103 Early Hints: deadline_1xx_flood', async () => {
    const { report } = await scrapeHostile(
      async (socket, req) => {
        if (auctionId(req.path) !== 1) return respond(socket, 200, JSON_TYPE, auctionFor(req.path));
        while (!socket.destroyed) {
          socket.write('HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n');
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      1,
      2,
      { limits: { deadlineMs: 600 }, policy: { ...FAST, maxAttempts: 2 } },
    );
    expect(report.complete).toBe(true);
    expect(report.outcomes).toMatchObject({ fetched: 1, quarantined: 1 });
    expect(report.failureReasons).toEqual({ deadline_1xx_flood: 2 });
  });
});

describe('a server that only throttles or fails', () => {
  it('Retry-After: 999999999 on every request: the run gives up after --give-up-after without progress, saying why', async () => {
    const { report, requests } = await scrapeHostile((socket) => respond(socket, 429, { 'retry-after': '999999999' }), 1, 50, {
      giveUpAfterMs: 1500,
    });
    expect(report.complete).toBe(false);
    expect(report.stopReason).toMatch(/^gave up: no item settled for 1\.5 s while the server only throttled or failed \(429\/503 × \d+\)$/);
    expect(report.throttledHonoured).toBe(requests.length);
    expect(report.outcomes.quarantined + report.outcomes.fetched).toBe(0);
  });

  it('time without progress counts only while work waits: successes keep a slow run going', async () => {
    // Every answer takes 400 ms; the run takes several times the 1 s give-up time in all.
    const { report } = await scrapeHostile(
      async (socket, req) => {
        await new Promise((r) => setTimeout(r, 400));
        respond(socket, 200, JSON_TYPE, auctionFor(req.path));
      },
      1,
      8,
      { giveUpAfterMs: 1000, concurrency: 1 },
    );
    expect(report.complete).toBe(true);
    expect(report.outcomes.fetched).toBe(8);
  });

  it('a server that resets every connection: the budget counts the retries made, not the ones scheduled', async () => {
    const { report, requests } = await scrapeHostile((socket) => void socket.destroy(), 1, 102);
    expect(report.stopReason).toMatch(
      /^retry budget spent: \d+ of \d+ requests were retries \(over 50%\); is the server down\? \(connection_reset × \d+\)$/,
    );
    const firstAttempts = new Set(requests.map((r) => auctionId(r.path))).size;
    const retriesSeen = requests.length - firstAttempts;
    // Requests abandoned when the run stopped (at most the concurrency) may not have reached the server.
    expect(report.retries).toBeGreaterThanOrEqual(retriesSeen);
    expect(report.retries).toBeLessThanOrEqual(retriesSeen + 4);
    expect(report.retries).toBeLessThanOrEqual(report.requests - firstAttempts);
  });
});

describe('Ctrl-C', () => {
  it('during a Retry-After pause of 60 s: the report is written and the process exits, no timer keeps it alive', async () => {
    const server = await startHostileServer((socket) => respond(socket, 429, { 'retry-after': '60' }));
    const { dir, cleanup } = tempDir('sigint-');
    try {
      const { child, done } = startCli([
        'run',
        'maxsold',
        '--ids',
        '1-4',
        '--base-url',
        server.url,
        '--out',
        dir,
        '--quiet',
        '--workers',
        '0',
      ]);
      // Both first requests were answered 429: the host is paused for a minute.
      while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      const exited = await Promise.race([done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
      if (!exited) child.kill('SIGKILL');
      expect(exited, 'still running 15 s after SIGINT').toBeDefined();
      expect(exited!.code).toBe(1);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(report.stopReason).toBe('interrupted by SIGINT');
      expect(server.requests).toHaveLength(2);
    } finally {
      cleanup();
      await server.close();
    }
  });
});
