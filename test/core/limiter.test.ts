import { describe, expect, it } from 'vitest';
import { HostLimiter } from '../../core/limiter.js';
import { systemClock } from '../../core/clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HostLimiter', () => {
  it('never lets more than `concurrency` holders in at once', async () => {
    const limiter = new HostLimiter({ concurrency: 3 }, systemClock);
    let open = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await limiter.acquire();
        open++;
        peak = Math.max(peak, open);
        await sleep(2);
        open--;
        release();
      }),
    );
    expect(peak).toBe(3);
    expect(limiter.peakActiveCount).toBe(3);
    expect(limiter.activeCount).toBe(0);
  });

  it('serves waiters in order', async () => {
    const limiter = new HostLimiter({ concurrency: 1 }, systemClock);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map(async (i) => {
      const release = await limiter.acquire();
      order.push(i);
      await sleep(1);
      release();
    }));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('holds every new request while paused for Retry-After', async () => {
    const limiter = new HostLimiter({ concurrency: 5 }, systemClock);
    const until = Date.now() + 150;
    limiter.pauseUntil(until);
    const startedAt: number[] = [];
    await Promise.all([0, 1, 2].map(async () => {
      const release = await limiter.acquire();
      startedAt.push(Date.now());
      release();
    }));
    expect(Math.min(...startedAt)).toBeGreaterThanOrEqual(until);
  });

  it('hands out a slot only after the I/O of the same turn is read: a pause set just after an acquire holds it', async () => {
    // As when one socket's callback asks for a slot and the next socket in the same turn holds a 429.
    const limiter = new HostLimiter({ concurrency: 4 }, systemClock);
    let grantedAt = 0;
    const started = Date.now();
    const granted = limiter.acquire().then((release) => {
      grantedAt = Date.now();
      return release;
    });
    limiter.pauseUntil(started + 120);
    await sleep(40);
    expect(grantedAt).toBe(0);
    (await granted)();
    expect(grantedAt).toBeGreaterThanOrEqual(started + 119);
  });

  it('spaces starts by the token bucket rate', async () => {
    const limiter = new HostLimiter({ concurrency: 10, ratePerSecond: 50 }, systemClock);
    const startedAt: number[] = [];
    await Promise.all(Array.from({ length: 6 }, async () => {
      const release = await limiter.acquire();
      startedAt.push(Date.now());
      release();
    }));
    // 6 starts at 50/s with a burst of 1: the last starts at least 5 × 20 ms after the first.
    expect(startedAt[5] - startedAt[0]).toBeGreaterThanOrEqual(95);
  });

  it('a release called twice frees one slot only', async () => {
    const limiter = new HostLimiter({ concurrency: 1 }, systemClock);
    const release = await limiter.acquire();
    release();
    release();
    const a = await limiter.acquire();
    expect(limiter.activeCount).toBe(1);
    a();
  });

  it('an aborted waiter leaves the queue', async () => {
    const limiter = new HostLimiter({ concurrency: 1 }, systemClock);
    const held = await limiter.acquire();
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(limiter.pendingCount).toBe(0);
    held();
  });

  it('an abort that leaves nobody waiting clears the pause timer: a minute-long Retry-After keeps no process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const limiter = new HostLimiter({ concurrency: 2 }, systemClock);
    limiter.pauseUntil(Date.now() + 60_000);
    const ac = new AbortController();
    const waiting = [limiter.acquire(ac.signal), limiter.acquire(ac.signal)];
    await new Promise((r) => setImmediate(r));
    expect(timers()).toBe(before + 1);
    ac.abort(new Error('interrupted'));
    for (const w of waiting) await expect(w).rejects.toThrow('interrupted');
    expect(timers()).toBe(before);
  });

  it('no timer is left for a pause once every waiter has been handed back (acquireUnlessPaused)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const limiter = new HostLimiter({ concurrency: 1 }, systemClock);
    limiter.pauseUntil(Date.now() + 60_000);
    expect(await limiter.acquireUnlessPaused()).toBeUndefined();
    expect(timers()).toBe(before);
  });

  it('acquireUnlessPaused hands back at once when the host is paused, even when queued first', async () => {
    const limiter = new HostLimiter({ concurrency: 1 }, systemClock);
    const held = await limiter.acquire();
    const queued = limiter.acquireUnlessPaused();
    limiter.pauseUntil(Date.now() + 200);
    held();
    expect(await queued).toBeUndefined();
    expect(await limiter.acquireUnlessPaused()).toBeUndefined();
    expect(limiter.pendingCount).toBe(0);
    const later = await limiter.acquire();
    expect(Date.now()).toBeGreaterThanOrEqual(limiter.pausedUntil);
    later();
  });

  it('rejects bad options naming the setting', () => {
    expect(() => new HostLimiter({ concurrency: 0 }, systemClock)).toThrow(/concurrency: expected a whole number/);
    expect(() => new HostLimiter({ concurrency: 1, ratePerSecond: -1 }, systemClock)).toThrow(/rate: expected a positive number/);
  });
});
