import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import { get, sleep } from './http.js';

const ITEMS = '/msapi/auctions/items';

describe('rate limit', () => {
  it('answers 429 with Retry-After in whole seconds when the bucket is empty', async () => {
    // A token every 10 s: the five requests fit well inside one refill, however loaded the machine.
    const sim = await startSimulator({ rateLimit: { perSecond: 0.1, burst: 3 } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await get(`${sim.url}${ITEMS}?auctionid=${100_000 + i}`);
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers['retry-after'] as string;
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      expect(sim.stats().throttled429).toBe(2);
      expect(sim.stats().statusCounts['429']).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it('can send Retry-After as an HTTP date', async () => {
    const sim = await startSimulator({ rateLimit: { perSecond: 1, burst: 1, retryAfter: 'http-date' } });
    try {
      await get(`${sim.url}${ITEMS}?auctionid=100001`);
      const res = await get(`${sim.url}${ITEMS}?auctionid=100001`);
      expect(res.status).toBe(429);
      const at = Date.parse(res.headers['retry-after'] as string);
      expect(res.headers['retry-after']).toMatch(/GMT$/);
      expect(at).toBeGreaterThan(Date.now() - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 2000);
    } finally {
      await sim.close();
    }
  });

  it('counts violations for a client that ignores Retry-After', async () => {
    const sim = await startSimulator({ rateLimit: { perSecond: 4, burst: 1 } });
    try {
      // Retries every 60 ms whatever Retry-After says (the pause keeps it past the 50 ms grace).
      for (let i = 0; i < 8; i++) {
        await get(`${sim.url}${ITEMS}?auctionid=100002`);
        await sleep(60);
      }
      const s = sim.stats();
      expect(s.throttled429).toBeGreaterThanOrEqual(3);
      expect(s.retryAfterViolations).toBeGreaterThanOrEqual(4);
    } finally {
      await sim.close();
    }
  });

  it('counts none for a client that waits as told', async () => {
    const sim = await startSimulator({ rateLimit: { perSecond: 4, burst: 1 } });
    try {
      let ok = 0;
      while (ok < 3) {
        const res = await get(`${sim.url}${ITEMS}?auctionid=100003`);
        if (res.status === 429) {
          // By the wall clock: a timer counts from the start of the event loop's turn, so on a busy machine it can fire early.
          const until = Date.now() + Number(res.headers['retry-after']) * 1000;
          while (Date.now() < until) await sleep(until - Date.now());
        } else ok++;
      }
      const s = sim.stats();
      expect(s.throttled429).toBeGreaterThan(0);
      expect(s.retryAfterViolations).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('does not blame requests already in flight when the 429 was sent', async () => {
    const sim = await startSimulator({ rateLimit: { perSecond: 1, burst: 2 }, latencyMs: 200 });
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 6 });
      const all = await Promise.all(Array.from({ length: 6 }, () => get(`${sim.url}${ITEMS}?auctionid=100004`, { agent })));
      agent.destroy();
      expect(all.filter((r) => r.status === 429)).toHaveLength(4);
      expect(sim.stats().retryAfterViolations).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe('concurrency', () => {
  it('reports the peak number of requests open at once', async () => {
    const sim = await startSimulator({ latencyMs: 300 });
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 3 });
      await Promise.all(Array.from({ length: 9 }, (_, i) => get(`${sim.url}${ITEMS}?auctionid=${100_010 + i}`, { agent })));
      agent.destroy();
      expect(sim.stats().peakInFlight).toBe(3);
      expect(sim.stats().inFlight).toBe(0);
      sim.resetStats();
      const wide = new Agent({ keepAlive: true, maxSockets: 20 });
      await Promise.all(Array.from({ length: 8 }, (_, i) => get(`${sim.url}${ITEMS}?auctionid=${100_010 + i}`, { agent: wide })));
      wide.destroy();
      expect(sim.stats().peakInFlight).toBe(8);
    } finally {
      await sim.close();
    }
  });

  it('rejects requests over maxInFlight with 503 and Retry-After: 1', async () => {
    const sim = await startSimulator({ latencyMs: 300, maxInFlight: 2 });
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 10 });
      const all = await Promise.all(Array.from({ length: 5 }, () => get(`${sim.url}${ITEMS}?auctionid=100020`, { agent })));
      agent.destroy();
      const refused = all.filter((r) => r.status === 503);
      expect(refused).toHaveLength(3);
      expect(refused.every((r) => r.headers['retry-after'] === '1')).toBe(true);
      expect(sim.stats().rejected503).toBe(3);
    } finally {
      await sim.close();
    }
  });
});
