import { describe, expect, it } from 'vitest';
import {
  FaultPlan,
  maxsoldEmptyBody,
  maxsoldItemsBody,
  startSimulator,
  type FaultKind,
  type RunningSimulator,
} from '../../simulator/index.js';
import { get, until, type RawResponse } from './http.js';

const ITEMS = '/msapi/auctions/items';

async function withSim<T>(options: Parameters<typeof startSimulator>[0], fn: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

function fetchOutcome(sim: RunningSimulator, path: string): Promise<RawResponse | 'reset'> {
  return get(`${sim.url}${path}`).catch(() => 'reset' as const);
}

describe('fault plan', () => {
  it('gives each id a permanent fault from (seed, id) alone', () => {
    const a = new FaultPlan({ rates: { notFound: 0.2, empty: 0.1, schema: 0.1 }, seed: 7 });
    const b = new FaultPlan({ rates: { notFound: 0.2, empty: 0.1, schema: 0.1 }, seed: 7 });
    const ids = Array.from({ length: 4000 }, (_, i) => i + 1);
    const kinds = ids.map((id) => a.permanentFor(id));
    expect(ids.map((id) => b.permanentFor(id))).toEqual(kinds);
    expect(ids.map((id) => a.permanentFor(id))).toEqual(kinds); // asking again changes nothing
    const share = (k: FaultKind | null): number => kinds.filter((x) => x === k).length / ids.length;
    expect(share('notFound')).toBeGreaterThan(0.17);
    expect(share('notFound')).toBeLessThan(0.23);
    expect(share('empty')).toBeGreaterThan(0.08);
    expect(share('schema')).toBeLessThan(0.12);
    const other = new FaultPlan({ rates: { notFound: 0.2, empty: 0.1, schema: 0.1 }, seed: 8 });
    expect(ids.map((id) => other.permanentFor(id))).not.toEqual(kinds);
  });

  it('draws transient faults per (url, n), so a retry sequence replays', () => {
    const draw = (): (string | null)[] => {
      const plan = new FaultPlan({ rates: { serverError: 0.3, reset: 0.1, html: 0.1 }, seed: 3 });
      return Array.from({ length: 200 }, (_, i) => plan.transientFor(`/u?${i % 20}`, null));
    };
    const first = draw();
    expect(draw()).toEqual(first);
    expect(first.filter((k) => k === 'serverError').length).toBeGreaterThan(35);
    expect(first.filter((k) => k === null).length).toBeGreaterThan(80);
  });

  it('rejects rates that add up to more than 1', () => {
    expect(() => new FaultPlan({ rates: { serverError: 0.7, slow: 0.4 } })).toThrow(RangeError);
  });
});

describe('fault responses', () => {
  const forced: Record<number, FaultKind> = {
    100001: 'notFound',
    100002: 'empty',
    100003: 'schema',
    100004: 'serverError',
    100005: 'reset',
    100006: 'truncated',
    100007: 'html',
    100008: 'slow',
  };

  it('produces each kind as defined', async () => {
    await withSim({ forced, slowMs: 20 }, async (sim) => {
      const notFound = (await fetchOutcome(sim, `${ITEMS}?auctionid=100001`)) as RawResponse;
      expect(notFound.status).toBe(404);
      expect(notFound.headers['content-type']).toMatch(/^text\/html/);

      const empty = (await fetchOutcome(sim, `${ITEMS}?auctionid=100002`)) as RawResponse;
      expect(empty.status).toBe(200);
      expect(empty.text).toBe(maxsoldEmptyBody(100_002));
      expect(JSON.parse(empty.text)).toMatchObject({
        status: 'success',
        message: 'Found 0 item(s).',
        auction: { id: 100_002, catalog_lots: 0, items: [] },
      });

      const schema = (await fetchOutcome(sim, `${ITEMS}?auctionid=100003`)) as RawResponse;
      expect(schema.status).toBe(200);
      expect(JSON.parse(schema.text)).toEqual({ status: 'success', message: 'Found 1 item(s).', auction: { id: 'oops', items: 'none' } });

      const serverError = (await fetchOutcome(sim, `${ITEMS}?auctionid=100004`)) as RawResponse;
      expect(serverError.status).toBe(500);

      expect(await fetchOutcome(sim, `${ITEMS}?auctionid=100005`)).toBe('reset');

      const truncated = (await fetchOutcome(sim, `${ITEMS}?auctionid=100006`)) as RawResponse;
      expect(truncated.status).toBe(200);
      expect(Number(truncated.headers['content-length'])).toBe(truncated.body.length);
      const full = maxsoldItemsBody(100_006)!;
      expect(full.startsWith(truncated.text)).toBe(true);
      expect(Math.abs(truncated.text.length - full.length / 2)).toBeLessThan(2);
      expect(() => JSON.parse(truncated.text) as unknown).toThrow(SyntaxError);

      const html = (await fetchOutcome(sim, `${ITEMS}?auctionid=100007`)) as RawResponse;
      expect(html.status).toBe(200);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      expect(html.text).toMatch(/^<!DOCTYPE html>/);

      const slow = (await fetchOutcome(sim, `${ITEMS}?auctionid=100008`)) as RawResponse;
      expect(slow.text).toBe(maxsoldItemsBody(100_008));

      const s = sim.stats();
      expect(s.faults).toEqual({ notFound: 1, empty: 1, schema: 1, serverError: 1, reset: 1, truncated: 1, html: 1, slow: 1 });
      expect(s.inFlight).toBe(0);
    });
  });

  it('slow holds its answer back by slowMs while other requests are answered', async () => {
    const sim = await startSimulator({ forced: { 100008: 'slow' }, slowMs: 600_000 });
    const slow = fetchOutcome(sim, `${ITEMS}?auctionid=100008`);
    try {
      await until(() => sim.stats().faults.slow === 1);
      expect((await get(`${sim.url}${ITEMS}?auctionid=100009`)).status).toBe(200);
      expect(sim.stats()).toMatchObject({ inFlight: 1, statusCounts: { '200': 1 } });
    } finally {
      await sim.close();
    }
    expect(await slow).toBe('reset');
  });

  it('keeps permanent faults and lets transient ones pass after forcedTimes', async () => {
    await withSim(
      { forced: { 100001: 'notFound', 100004: 'serverError', 100005: 'reset', 100006: 'truncated' }, forcedTimes: 2 },
      async (sim) => {
        const statuses = async (id: number): Promise<(number | string)[]> => {
          const out: (number | string)[] = [];
          for (let i = 0; i < 3; i++) {
            const r = await fetchOutcome(sim, `${ITEMS}?auctionid=${id}`);
            out.push(r === 'reset' ? r : r.text === maxsoldItemsBody(id) ? 'ok' : r.status);
          }
          return out;
        };
        expect(await statuses(100_001)).toEqual([404, 404, 404]);
        expect(await statuses(100_004)).toEqual([500, 500, 'ok']);
        expect(await statuses(100_005)).toEqual(['reset', 'reset', 'ok']);
        expect(await statuses(100_006)).toEqual([200, 200, 'ok']);
        expect(await statuses(100_009)).toEqual(['ok', 'ok', 'ok']);
        sim.resetStats(); // forced faults fire again after a reset
        expect(await statuses(100_004)).toEqual([500, 500, 'ok']);
      },
    );
  });

  it('replays the same transient faults for the same seed and retry sequence', async () => {
    const run = (): Promise<(number | string)[]> =>
      withSim({ faults: { serverError: 0.3, html: 0.1, reset: 0.1 }, faultSeed: 11 }, async (sim) => {
        const out: (number | string)[] = [];
        for (let i = 0; i < 40; i++) {
          const r = await fetchOutcome(sim, `${ITEMS}?auctionid=${100_100 + (i % 8)}&limit=5`);
          out.push(r === 'reset' ? r : `${r.status}:${r.headers['content-type']}`);
        }
        return out;
      });
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThanOrEqual(3);
  });

  it('applies transient faults to VIA only when asked', async () => {
    await withSim({ faults: { html: 1 } }, async (sim) => {
      expect((await get(`${sim.url}/data/allData.json`)).headers['content-type']).toMatch(/json/);
      expect((await get(`${sim.url}${ITEMS}?auctionid=100001`)).headers['content-type']).toMatch(/html/);
    });
    await withSim({ faults: { html: 1 }, viaFaults: true }, async (sim) => {
      expect((await get(`${sim.url}/data/allData.json`)).headers['content-type']).toMatch(/html/);
    });
  });
});
