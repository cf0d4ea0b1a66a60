import { describe, expect, it } from 'vitest';
import { HostLimiter, type LimiterOptions, type Release } from '../../core/limiter.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** An acquire whose outcome the test can read without awaiting it; `at` is the clock's time when it was granted. */
function track(clock: FakeClock, pending: Promise<Release | undefined>) {
  const state: { granted: boolean; release?: Release; at?: number; error?: unknown; settled: boolean } = { granted: false, settled: false };
  pending.then(
    (release) => Object.assign(state, { granted: release !== undefined, release, at: clock.now(), settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

function setup(options: LimiterOptions) {
  const clock = new FakeClock();
  const limiter = new HostLimiter(options, clock);
  const acquire = (signal?: AbortSignal) => track(clock, limiter.acquire(signal));
  const acquireUnlessPaused = () => track(clock, limiter.acquireUnlessPaused());
  return { clock, limiter, acquire, acquireUnlessPaused, t0: clock.now() };
}

describe('HostLimiter: the semaphore', () => {
  it('never lets more than `concurrency` holders in at once', async () => {
    const { clock, limiter, acquire } = setup({ concurrency: 3 });
    const waiters = Array.from({ length: 20 }, () => acquire());
    await clock.settle();
    expect(waiters.filter((w) => w.granted)).toHaveLength(3);
    expect(limiter.pendingCount).toBe(17);
    for (const [i, w] of waiters.entries()) {
      expect(limiter.activeCount).toBe(Math.min(3, 20 - i));
      w.release!();
      await clock.settle();
    }
    expect(waiters.every((w) => w.granted)).toBe(true);
    expect(limiter.peakActiveCount).toBe(3);
    expect(limiter.pendingCount).toBe(0);
  });

  it('serves waiters in order', async () => {
    const { clock, acquire } = setup({ concurrency: 1 });
    const waiters = [0, 1, 2, 3].map(() => acquire());
    const order: number[] = [];
    for (let step = 0; step < 4; step++) {
      await clock.settle();
      const holder = waiters.findIndex((w, i) => w.granted && !order.includes(i));
      order.push(holder);
      waiters[holder]!.release!();
    }
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('a release called twice frees one slot only', async () => {
    const { clock, limiter, acquire } = setup({ concurrency: 1 });
    const first = acquire();
    await clock.settle();
    first.release!();
    first.release!();
    const second = acquire();
    const third = acquire();
    await clock.settle();
    expect([second.granted, third.granted]).toEqual([true, false]);
    expect(limiter.activeCount).toBe(1);
  });

  it('a raised concurrency lets waiters in; a lowered one admits none until enough slots are released', async () => {
    const { clock, limiter, acquire } = setup({ concurrency: 1 });
    const waiters = Array.from({ length: 6 }, () => acquire());
    await clock.settle();
    limiter.setConcurrency(4);
    await clock.settle();
    expect(limiter.activeCount).toBe(4);
    limiter.setConcurrency(2);
    waiters[0]!.release!();
    await clock.settle();
    expect(limiter.activeCount).toBe(3);
    waiters[1]!.release!();
    waiters[2]!.release!();
    await clock.settle();
    expect(limiter.activeCount).toBe(2);
    expect(waiters.filter((w) => w.granted)).toHaveLength(5);
  });

  it('an aborted waiter leaves the queue with the signal’s reason', async () => {
    const { clock, limiter, acquire } = setup({ concurrency: 1 });
    acquire();
    const ac = new AbortController();
    const waiting = acquire(ac.signal);
    await clock.settle();
    ac.abort(new Error('stop'));
    await clock.settle();
    expect((waiting.error as Error).message).toBe('stop');
    expect(limiter.pendingCount).toBe(0);
  });

  it('an already aborted signal is refused without queueing', async () => {
    const { clock, limiter, acquire } = setup({ concurrency: 1 });
    const waiting = acquire(AbortSignal.abort(new Error('gone')));
    await clock.settle();
    expect((waiting.error as Error).message).toBe('gone');
    expect(limiter.pendingCount).toBe(0);
  });
});

describe('HostLimiter: the token bucket', () => {
  it('spaces starts by the rate: 50/s with a burst of 1 starts one every 20 ms', async () => {
    const { clock, acquire, t0 } = setup({ concurrency: 10, ratePerSecond: 50 });
    const waiters = Array.from({ length: 6 }, () => acquire());
    await clock.advance(19);
    expect(waiters.filter((w) => w.granted)).toHaveLength(1);
    await clock.advance(200);
    expect(waiters.map((w) => w.at! - t0)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('lets `burst` requests start back to back, then applies the rate', async () => {
    const { clock, acquire, t0 } = setup({ concurrency: 10, ratePerSecond: 10, burst: 3 });
    const waiters = Array.from({ length: 5 }, () => acquire());
    await clock.advance(1000);
    expect(waiters.map((w) => w.at! - t0)).toEqual([0, 0, 0, 100, 200]);
  });

  it('a lowered rate applies to the next start; removing the rate starts every waiter at once', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 10, ratePerSecond: 50 });
    const waiters = Array.from({ length: 4 }, () => acquire());
    await clock.settle();
    limiter.setRate(5);
    await clock.advance(1000);
    expect(waiters.map((w) => (w.at === undefined ? undefined : w.at - t0))).toEqual([0, 200, 400, 600]);
    const more = Array.from({ length: 3 }, () => acquire());
    limiter.setRate(undefined);
    await clock.settle();
    expect(more.map((w) => w.at! - t0)).toEqual([1000, 1000, 1000]);
    expect(limiter.ratePerSecond).toBeUndefined();
  });
});

describe('HostLimiter: the Retry-After pause', () => {
  it('holds every new request until the pause ends, then lets them all in', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 5 });
    limiter.pauseUntil(t0 + 150);
    const waiters = [0, 1, 2].map(() => acquire());
    await clock.advance(149);
    expect(waiters.some((w) => w.granted)).toBe(false);
    await clock.advance(1);
    expect(waiters.map((w) => w.at! - t0)).toEqual([150, 150, 150]);
  });

  it('a pause only ever grows', () => {
    const { limiter, t0 } = setup({ concurrency: 1 });
    limiter.pauseUntil(t0 + 500);
    limiter.pauseUntil(t0 + 100);
    expect(limiter.pausedUntil).toBe(t0 + 500);
  });

  it('a longer pause set while waiting moves the start to its end', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 1 });
    limiter.pauseUntil(t0 + 100);
    const waiter = acquire();
    await clock.advance(50);
    limiter.pauseUntil(t0 + 300);
    await clock.advance(1000);
    expect(waiter.at! - t0).toBe(300);
  });

  it('an abort that leaves nobody waiting clears the pause timer: a minute-long Retry-After keeps no process alive', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 2 });
    limiter.pauseUntil(t0 + 60_000);
    const ac = new AbortController();
    const waiting = [acquire(ac.signal), acquire(ac.signal)];
    await clock.settle();
    expect(clock.pendingTimers).toBe(1);
    ac.abort(new Error('interrupted'));
    await clock.settle();
    expect(waiting.map((w) => (w.error as Error).message)).toEqual(['interrupted', 'interrupted']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an abort that leaves a waiter keeps the pause timer for it', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 2 });
    limiter.pauseUntil(t0 + 60_000);
    const ac = new AbortController();
    acquire(ac.signal);
    const staying = acquire();
    await clock.settle();
    ac.abort(new Error('interrupted'));
    await clock.advance(60_000);
    expect(staying.at! - t0).toBe(60_000);
  });

  it('acquireUnlessPaused hands back at once while paused, leaving no timer', async () => {
    const { clock, limiter, acquireUnlessPaused, t0 } = setup({ concurrency: 1 });
    limiter.pauseUntil(t0 + 60_000);
    const waiter = acquireUnlessPaused();
    await clock.settle();
    expect(waiter).toMatchObject({ settled: true, granted: false });
    expect(clock.pendingTimers).toBe(0);
  });

  it('acquireUnlessPaused queued before a pause is handed back too; a plain acquire waits the pause out', async () => {
    const { clock, limiter, acquire, acquireUnlessPaused, t0 } = setup({ concurrency: 1 });
    const held = acquire();
    await clock.settle();
    const queued = acquireUnlessPaused();
    const patient = acquire();
    limiter.pauseUntil(t0 + 200);
    held.release!();
    await clock.settle();
    expect(queued).toMatchObject({ settled: true, granted: false });
    expect(limiter.pendingCount).toBe(1);
    await clock.advance(200);
    expect(patient.at! - t0).toBe(200);
  });
});

describe('HostLimiter: a slot is handed out only after the I/O already waiting is read', () => {
  // As when one socket's callback asks for a slot and the next socket read in the same turn holds a 429.
  it('a pause set in the same turn as a new acquire holds it', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 4 });
    const waiter = acquire();
    limiter.pauseUntil(t0 + 120);
    await clock.advance(119);
    expect(waiter.granted).toBe(false);
    await clock.advance(1);
    expect(waiter.at! - t0).toBe(120);
  });

  it('a pause set in the same turn as a release holds the slot it frees', async () => {
    const { clock, limiter, acquire, t0 } = setup({ concurrency: 1 });
    const held = acquire();
    await clock.settle();
    const next = acquire();
    await clock.settle();
    held.release!();
    limiter.pauseUntil(t0 + 120);
    await clock.advance(119);
    expect(next.granted).toBe(false);
    await clock.advance(1);
    expect(next.at! - t0).toBe(120);
  });
});

describe('HostLimiter: options', () => {
  it('rejects bad options naming the setting', () => {
    const clock = new FakeClock();
    expect(() => new HostLimiter({ concurrency: 0 }, clock)).toThrow(/concurrency: expected a whole number/);
    expect(() => new HostLimiter({ concurrency: 1, ratePerSecond: -1 }, clock)).toThrow(/rate: expected a positive number/);
    expect(() => new HostLimiter({ concurrency: 1, burst: 0 }, clock)).toThrow(/burst: expected a whole number/);
  });
});
