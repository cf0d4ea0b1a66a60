import { describe, expect, it } from 'vitest';
import { HostLimiter } from '../../core/limiter.js';
import { PaceController, type PaceOptions } from '../../core/pace.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(options: PaceOptions) {
  const clock = new FakeClock();
  const limiter = new HostLimiter({ concurrency: options.maxConcurrency, ratePerSecond: options.maxRatePerSecond }, clock);
  const pace = new PaceController(limiter, options, clock);
  /** Requests waiting for a slot: the limit is what holds them back, so growing it helps. */
  const backlog = () => {
    for (let i = 0; i < 100; i++) void limiter.acquire();
  };
  /** `count` successes, one every `everyMs`, the clock moving between them. */
  const succeedEvery = async (everyMs: number, count: number, latencyMs = 100) => {
    for (let i = 0; i < count; i++) {
      await clock.advance(everyMs);
      pace.succeeded(latencyMs);
    }
  };
  /** Successes one every `everyMs`, then a 429 `gapMs` after the last: the rate is learned from them. */
  const throttledAfter = async (everyMs: number, count: number, gapMs: number) => {
    await succeedEvery(everyMs, count);
    await clock.advance(gapMs);
    pace.throttled(429);
  };
  return { clock, limiter, pace, backlog, succeedEvery, throttledAfter };
}

const succeed = (pace: PaceController, times: number, latencyMs = 100) => {
  for (let i = 0; i < times; i++) pace.succeeded(latencyMs);
};

describe('PaceController: concurrency (adaptive)', () => {
  it('starts at the initial concurrency, 2 unless told', () => {
    expect(setup({ adaptive: true, maxConcurrency: 64 }).limiter.concurrency).toBe(2);
    expect(setup({ adaptive: true, maxConcurrency: 64, initialConcurrency: 5 }).limiter.concurrency).toBe(5);
  });

  it('slow start: +1 per success, so the limit doubles each round trip', () => {
    const { limiter, pace, backlog } = setup({ adaptive: true, maxConcurrency: 64 });
    backlog();
    succeed(pace, 2);
    expect(limiter.concurrency).toBe(4);
    succeed(pace, 4);
    expect(limiter.concurrency).toBe(8);
    expect(pace.concurrency).toBe(8);
  });

  it('does not grow while the limit is not what holds requests back', () => {
    const { limiter, pace } = setup({ adaptive: true, maxConcurrency: 64 });
    succeed(pace, 10);
    expect(limiter.concurrency).toBe(2);
  });

  it('never grows past maxConcurrency', () => {
    const { limiter, pace, backlog } = setup({ adaptive: true, maxConcurrency: 5 });
    backlog();
    succeed(pace, 20);
    expect(limiter.concurrency).toBe(5);
  });

  it('leaves slow start when latency rises above twice the best seen, then grows by one per round trip', () => {
    const { limiter, pace, backlog } = setup({ adaptive: true, maxConcurrency: 64 });
    backlog();
    succeed(pace, 1, 100);
    // The smoothed latency goes 130, 157, 181, then 203 ms: above 2 × 100 ms, so the fourth does not grow.
    succeed(pace, 4, 400);
    expect(limiter.concurrency).toBe(6);
    // Back under the line, +1/limit per success: six successes at a limit of 6 leave it just under 7.
    succeed(pace, 6, 100);
    expect(limiter.concurrency).toBe(6);
    succeed(pace, 1, 100);
    expect(limiter.concurrency).toBe(7);
  });

  it('on a fast host, latency counts as risen only 50 ms above the best seen', () => {
    const { limiter, pace, backlog } = setup({ adaptive: true, maxConcurrency: 64 });
    backlog();
    succeed(pace, 1, 10);
    // Smoothed 29, 46, then 61 ms: all past 2 × 10 ms, but only the third is past 10 + 50 ms, the larger line.
    succeed(pace, 3, 200);
    expect(limiter.concurrency).toBe(5);
  });

  it.each([
    ['a 429', (p: PaceController) => p.throttled(429)],
    ['a 503', (p: PaceController) => p.throttled(503)],
    ['a timeout', (p: PaceController) => p.timedOut()],
  ])('halves the limit on %s, down to 1', async (_name, congestion) => {
    const { clock, limiter, pace } = setup({ adaptive: true, maxConcurrency: 64, initialConcurrency: 8 });
    const halvings: number[] = [];
    for (let i = 0; i < 4; i++) {
      congestion(pace);
      halvings.push(limiter.concurrency);
      await clock.advance(1000);
    }
    expect(halvings).toEqual([4, 2, 1, 1]);
  });

  it('counts congestion signals within a second of a decrease as the same event', async () => {
    const { clock, limiter, pace } = setup({ adaptive: true, maxConcurrency: 64, initialConcurrency: 8 });
    pace.throttled(429);
    await clock.advance(999);
    pace.throttled(503);
    pace.timedOut();
    expect(limiter.concurrency).toBe(4);
    await clock.advance(1);
    pace.timedOut();
    expect(limiter.concurrency).toBe(2);
  });

  it('after a decrease grows additively: +1/limit per success, no slow start', () => {
    const { limiter, pace, backlog } = setup({ adaptive: true, maxConcurrency: 64, initialConcurrency: 8 });
    pace.throttled(503);
    backlog();
    // 4 → 4.25 → 4.49 → 4.71 → 4.92 → 5.12
    succeed(pace, 4);
    expect(limiter.concurrency).toBe(4);
    succeed(pace, 1);
    expect(limiter.concurrency).toBe(5);
  });

  it('without adaptive, the concurrency stays at maxConcurrency whatever happens', async () => {
    const { clock, limiter, pace, backlog } = setup({ adaptive: false, maxConcurrency: 12 });
    backlog();
    succeed(pace, 10);
    pace.throttled(429);
    await clock.advance(1000);
    pace.timedOut();
    expect(limiter.concurrency).toBe(12);
  });
});

describe('PaceController: the learned rate', () => {
  it('has no rate until a 429 when none is configured', async () => {
    const { limiter, pace, succeedEvery } = setup({ adaptive: false, maxConcurrency: 8 });
    await succeedEvery(100, 20);
    pace.throttled(503);
    pace.timedOut();
    expect([pace.ratePerSecond, limiter.ratePerSecond]).toEqual([undefined, undefined]);
  });

  it('after a 429, paces at 90% of the rate the server accepted over the last 3 s', async () => {
    const { limiter, pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    // A burst the server allowed 4 s ago (100/s for 1 s), then 10/s: only the last 3 s count.
    await succeedEvery(10, 100);
    await throttledAfter(100, 40, 50);
    expect(pace.ratePerSecond).toBeCloseTo(9, 9);
    expect(limiter.ratePerSecond).toBeCloseTo(9, 9);
  });

  it('measures a young run over at least one second', async () => {
    const { pace, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    await throttledAfter(100, 5, 50);
    // 5 successes in the first 0.55 s: 5/s, not 9/s.
    expect(pace.ratePerSecond).toBeCloseTo(4.5, 9);
  });

  it('halves the rate on a 429 with no recent success, to no less than 0.1 requests/s', async () => {
    const { clock, pace } = setup({ adaptive: false, maxConcurrency: 8 });
    const rates: number[] = [];
    for (let i = 0; i < 6; i++) {
      pace.throttled(429);
      rates.push(pace.ratePerSecond!);
      await clock.advance(5000);
    }
    expect(rates).toEqual([1, 0.5, 0.25, 0.125, 0.1, 0.1]);
  });

  // Each: successes one every `every` ms (`count` of them), a 429 `gap` ms after the last, the rate
  // learned from them; then successes a second apart, the first of which starts the count.
  it.each([
    ['by 5% of itself a second', 20, 200, 10, 45, 47.25],
    ['by at least 0.5 requests/s a second (5% of 9 is 0.45)', 100, 50, 50, 9, 9.5],
    ['by at most 10% of itself a second: a server of 1 request/s is not asked for 1.5', 1000, 5, 500, 0.9, 0.99],
  ])('raises a learned rate %s of successes without a 429', async (_, every, count, gap, learned, raised) => {
    const { limiter, pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    await throttledAfter(every, count, gap);
    expect(pace.ratePerSecond).toBeCloseTo(learned, 9);
    await succeedEvery(1000, 2);
    expect(pace.ratePerSecond).toBeCloseTo(raised, 9);
    expect(limiter.ratePerSecond).toBeCloseTo(raised, 9);
  });

  it('the wait before the first success after a 429 (a Retry-After pause) earns no raise', async () => {
    const { pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    await throttledAfter(100, 50, 50);
    await succeedEvery(5000, 1);
    expect(pace.ratePerSecond).toBeCloseTo(9, 9);
  });

  it('waits a quarter second between raises and then credits the whole time since the last', async () => {
    const { pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    await throttledAfter(100, 50, 50);
    await succeedEvery(100, 1);
    await succeedEvery(200, 1);
    expect(pace.ratePerSecond).toBeCloseTo(9, 9);
    await succeedEvery(800, 1);
    expect(pace.ratePerSecond).toBeCloseTo(9.5, 9);
  });

  it('never sets or raises the rate above the configured --rate', async () => {
    const { limiter, pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8, maxRatePerSecond: 9.6 });
    expect(limiter.ratePerSecond).toBe(9.6);
    await throttledAfter(50, 100, 25);
    // 20/s accepted, 18/s learned: the ceiling wins.
    expect(pace.ratePerSecond).toBe(9.6);
    await succeedEvery(1000, 3);
    expect(pace.ratePerSecond).toBe(9.6);
    expect(limiter.ratePerSecond).toBe(9.6);
  });

  it('grows back up to the configured --rate and stops there', async () => {
    const { pace, succeedEvery, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8, maxRatePerSecond: 9.6 });
    await throttledAfter(100, 50, 50);
    expect(pace.ratePerSecond).toBeCloseTo(9, 9);
    await succeedEvery(1000, 3);
    expect(pace.ratePerSecond).toBe(9.6);
  });

  it('does not learn again from a 429 within a second of the last', async () => {
    const { clock, pace, throttledAfter } = setup({ adaptive: false, maxConcurrency: 8 });
    await throttledAfter(100, 50, 50);
    await clock.advance(500);
    pace.throttled(429);
    expect(pace.ratePerSecond).toBeCloseTo(9, 9);
  });
});
