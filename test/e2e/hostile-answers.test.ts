import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dataStatus } from '../../cli/commands/status.js';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { tempDir } from '../helpers/data-dir.js';
import { auctionFor, auctionId, JSON_TYPE, respond, startHostileServer, type Behaviour } from '../helpers/hostile-server.js';

async function scrapeHostile(behave: Behaviour, from: number, to: number) {
  const server = await startHostileServer(behave);
  const { dir, cleanup } = tempDir('answers-');
  try {
    const report = await scrape({
      command: 'answers',
      plan: planAuctions([{ from, to }], '2026-11-26'),
      out: dir,
      baseUrl: server.url,
      concurrency: 2,
      workers: 0,
      skipExisting: true,
      withBids: false,
      quiet: true,
      writeReport: true,
      policy: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    return { report, requests: server.requests, status: await dataStatus(dir), url: server.url };
  } finally {
    cleanup();
    await server.close();
  }
}

describe('odd but honest answers', () => {
  it('valid JSON behind a UTF-8 byte order mark is fetched, plain or gzipped', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const { report } = await scrapeHostile(
      (socket, req) => {
        const body = Buffer.concat([bom, Buffer.from(auctionFor(req.path))]);
        if (auctionId(req.path) === 1) respond(socket, 200, JSON_TYPE, body);
        else respond(socket, 200, { ...JSON_TYPE, 'content-encoding': 'gzip' }, gzipSync(body));
      },
      1,
      2,
    );
    expect(report.outcomes).toMatchObject({ fetched: 2, quarantined: 0 });
  });
});

describe('redirects', () => {
  it('are followed within the API origin (at most 5); elsewhere, without a Location or past the limit they are an outcome of their own, counted and listed', async () => {
    const elsewhere = 'http://127.0.0.1:9/msapi/auctions/items?auctionid=2';
    let hops = 0;
    const { report, requests, status } = await scrapeHostile(
      (socket, req) => {
        const id = auctionId(req.path);
        if (id === 1)
          return req.path.includes('moved')
            ? respond(socket, 200, JSON_TYPE, auctionFor(req.path))
            : respond(socket, 302, { location: `${req.path}&moved=1` });
        if (id === 2) return respond(socket, 301, { location: elsewhere });
        if (id === 3) return respond(socket, 307, { location: `${req.path.replace(/&hop=\d+/, '')}&hop=${++hops}` });
        respond(socket, 302, {});
      },
      1,
      4,
    );
    expect(report.complete).toBe(true);
    expect(report.outcomes).toMatchObject({ fetched: 1, redirected: 3, missing: 0 });
    expect(report.failureReasons).toEqual({ redirect_to_other_origin: 1, too_many_redirects: 1, redirect_without_location: 1 });
    expect(report.redirectsFollowed).toBe(1 + 5);
    // Each redirect followed is a request, in the report as at the server.
    expect(report.requests).toBe(requests.length);
    expect(requests.filter((r) => auctionId(r.path) === 3)).toHaveLength(6);
    expect(report.redirectedIds).toContain(`maxsold 2 → ${elsewhere}`);
    expect(status.lastRun?.outcomes.redirected).toBe(3);
  });
});
