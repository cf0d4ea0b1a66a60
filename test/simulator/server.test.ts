import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstItemId,
  lotCount,
  maxsoldItemsBody,
  startSimulator,
  VIA_SEED_CAPTURED_MS,
  viaSnapshotBody,
  type RunningSimulator,
} from '../../simulator/index.js';
import { get, until } from './http.js';

const ITEMS = '/msapi/auctions/items';

describe('simulator server', () => {
  let sim: RunningSimulator;
  const clock = (): number => VIA_SEED_CAPTURED_MS;

  beforeAll(async () => {
    sim = await startSimulator({ clock });
  });
  afterAll(() => sim.close());

  it('listens on 127.0.0.1 and serves the generated MaxSold body', async () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    const res = await get(`${sim.url}${ITEMS}?auctionid=104375`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(new Date(res.headers['last-modified']!).getTime()).not.toBeNaN();
    expect(res.headers.connection).toBe('keep-alive');
    expect(res.text).toBe(maxsoldItemsBody(104375));
  });

  it('passes limit, offset and itemid through', async () => {
    const id = 100_003;
    const page = await get(`${sim.url}${ITEMS}?auctionid=${id}&limit=10&offset=5`);
    expect(page.text).toBe(maxsoldItemsBody(id, { limit: 10, offset: 5 }));
    const itemId = firstItemId(id) + 2;
    const bids = await get(`${sim.url}${ITEMS}?auctionid=${id}&itemid=${itemId}`);
    expect(bids.text).toBe(maxsoldItemsBody(id, { itemId }));
    const outside = await get(`${sim.url}${ITEMS}?auctionid=${id}&itemid=${firstItemId(id) + lotCount(id)}`);
    expect(outside.status).toBe(404);
  });

  it('answers 404 for ids below 1, non-numeric ids and unknown paths', async () => {
    for (const q of ['auctionid=0', 'auctionid=-5', 'auctionid=abc', 'auctionid=', '']) {
      expect((await get(`${sim.url}${ITEMS}?${q}`)).status, q).toBe(404);
    }
    const other = await get(`${sim.url}/nope`);
    expect(other.status).toBe(404);
    expect(other.headers['content-type']).toMatch(/^text\/html/);
  });

  it('refuses VIA without a User-Agent, and serves it with one', async () => {
    expect((await get(`${sim.url}/data/allData.json`, { headers: {} })).status).toBe(403);
    const res = await get(`${sim.url}/data/allData.json`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(viaSnapshotBody(clock()));
  });

  it('gzips when asked, and only then', async () => {
    const url = `${sim.url}${ITEMS}?auctionid=100004`;
    const zipped = await get(url, { headers: { 'user-agent': 't', 'accept-encoding': 'br, gzip;q=0.8' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(maxsoldItemsBody(100_004));
    expect(zipped.body.length).toBeLessThan(gunzipSync(zipped.body).length / 4);
    const refused = await get(url, { headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    // Node's fetch decompresses transparently.
    const viaFetch = await fetch(url);
    expect(await viaFetch.text()).toBe(maxsoldItemsBody(100_004));
  });

  it('answers If-None-Match with 304 when the ETag matches', async () => {
    const url = `${sim.url}${ITEMS}?auctionid=100005`;
    const first = await get(url);
    const etag = first.headers.etag!;
    const again = await get(url, { headers: { 'if-none-match': `W/"x", ${etag}` } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await get(url, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    const zipped = await get(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.etag).toBe(etag);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(`${sim.url}${ITEMS}?auctionid=100006`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect((await get(`${sim.url}${ITEMS}?auctionid=100006`, { method: 'POST' })).status).toBe(405);
  });

  it('counts requests, routes, statuses, bytes and ids; /__sim/stats and /__sim/reset work', async () => {
    sim.resetStats();
    await get(`${sim.url}${ITEMS}?auctionid=100007`);
    await get(`${sim.url}${ITEMS}?auctionid=100007&itemid=${firstItemId(100_007)}`);
    await get(`${sim.url}/data/allData.json`);
    await get(`${sim.url}/x`);
    const s = sim.stats();
    expect(s.requests).toBe(4);
    expect(s.byRoute).toEqual({ auctions: 1, bids: 1, via: 1, other: 1 });
    expect(s.statusCounts).toEqual({ '200': 3, '404': 1 });
    expect(s.requestsPerId).toEqual({ '100007': 2 });
    expect(sim.requestsFor(100_007)).toBe(2);
    expect(s.bytesSent).toBeGreaterThan(200_000);
    expect(s.inFlight).toBe(0);
    const remote = JSON.parse((await get(`${sim.url}/__sim/stats`)).text) as typeof s;
    expect(remote.requests).toBe(4); // control routes are not counted
    expect((await get(`${sim.url}/__sim/reset`, { method: 'POST' })).status).toBe(204);
    expect(sim.stats().requests).toBe(0);
  });
});

describe('simulator options', () => {
  it('listens on the host it is given and names it in its url; an address this machine lacks fails to listen', async () => {
    const other = await startSimulator({ host: '127.0.0.1' });
    try {
      expect(other.url).toBe(`http://127.0.0.1:${other.port}`);
      expect((await get(`${other.url}${ITEMS}?auctionid=104375`)).status).toBe(200);
    } finally {
      await other.close();
    }
    // TEST-NET-1 (RFC 5737) is never an address of this machine: nothing is sent anywhere.
    await expect(startSimulator({ host: '192.0.2.1' })).rejects.toThrow(/EADDRNOTAVAIL/);
  });

  it.each([
    [{ port: -1 }, /"port"/],
    [{ port: 70000 }, /"port"/],
    [{ host: 'localhost' }, /"host".*IP address/],
    [{ host: 127 }, /"host"/],
    [{ latencyMs: -5 }, /"latencyMs".*>= 0/],
    [{ jitterMs: 'x' }, /"jitterMs"/],
    [{ rateLimit: 5 }, /"rateLimit".*perSecond/],
    [{ rateLimit: { perSecond: 0 } }, /"rateLimit.perSecond"/],
    [{ rateLimit: { perSecond: 2, burst: 0.5 } }, /"rateLimit.burst"/],
    [{ rateLimit: { perSecond: 2, retryAfter: 'minutes' } }, /"rateLimit.retryAfter"/],
    [{ maxInFlight: 0 }, /"maxInFlight"/],
    [{ faults: { flaky: 0.1 } }, /"faults.flaky"/],
    [{ faults: { html: 2 } }, /"faults.html".*0..1/],
    [{ faults: { html: 0.6, reset: 0.6 } }, /"faults"/],
    [{ forced: { abc: 'html' } }, /"forced"/],
    [{ forced: { 5: 'boom' } }, /"forced.5"/],
    [{ missingIds: [1, 2] }, /"missingIds"/],
    [{ lantencyMs: 5 }, /"lantencyMs"/],
  ])('rejects %j with a TypeError naming the option', async (options, message) => {
    await expect(startSimulator(options as never)).rejects.toThrow(TypeError);
    await expect(startSimulator(options as never)).rejects.toThrow(message);
  });

  it('answers 404 for ids the caller marks missing', async () => {
    const sim = await startSimulator({ missingIds: (id) => id % 2 === 0 });
    try {
      expect((await get(`${sim.url}${ITEMS}?auctionid=100010`)).status).toBe(404);
      expect((await get(`${sim.url}${ITEMS}?auctionid=100011`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('holds each answer back by the latency: received, open, not yet answered', async () => {
    const sim = await startSimulator({ latencyMs: 600_000, jitterMs: 20 });
    const pending = get(`${sim.url}${ITEMS}?auctionid=100012`).catch((e: Error) => e);
    try {
      await until(() => sim.stats().requests === 1);
      expect(sim.stats()).toMatchObject({ inFlight: 1, statusCounts: {} });
    } finally {
      await sim.close();
    }
    expect(await pending).toBeInstanceOf(Error);
  });

  it('closes with requests waiting out their latency and keep-alive sockets open, without waiting for them', async () => {
    // Closing waited out a 10-minute latency would run into the test's timeout.
    const sim = await startSimulator({ latencyMs: 600_000 });
    const pending = get(`${sim.url}${ITEMS}?auctionid=100013`).catch((e: Error) => e);
    await until(() => sim.stats().inFlight === 1);
    await sim.close();
    await sim.close(); // a second close is harmless
    expect(await pending).toBeInstanceOf(Error);
  });
});
