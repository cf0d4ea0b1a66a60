import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../core/retry-budget.js';
import { RunStats } from '../../core/run-stats.js';
import { FakeClock } from '../helpers/fake-clock.js';

function watching(giveUpAfterMs: number) {
  const clock = new FakeClock();
  const budget = new RetryBudget({ floor: 100, maxShare: 0.5, giveUpAfterMs });
  const stats = new RunStats();
  const stop = new AbortController();
  const verdict: { why?: string; settled: boolean } = { settled: false };
  void budget.watch(clock, stats, stop.signal).then((why) => Object.assign(verdict, { why, settled: true }));
  return { clock, budget, stats, stop, verdict };
}

describe('RetryBudget in time', () => {
  it('gives up once giveUpAfterMs pass without progress, naming the commonest failures', async () => {
    const { clock, stats, verdict } = watching(600_000);
    stats.throttled = 3;
    stats.failure('connection_refused');
    await clock.advance(599_999);
    expect(verdict.settled).toBe(false);
    await clock.advance(1);
    expect(verdict.why).toBe(
      'gave up: no item settled for 10 min while the server only throttled or failed (429/503 × 3, connection_refused × 1)',
    );
  });

  it('progress starts the time afresh', async () => {
    const { clock, budget, verdict } = watching(60_000);
    await clock.advance(50_000);
    budget.progressed(clock.now());
    await clock.advance(59_999);
    expect(verdict.settled).toBe(false);
    await clock.advance(1);
    expect(verdict.why).toMatch(/^gave up: no item settled for 1 min/);
  });

  it('an abort (the run ended) resolves with no reason and leaves no timer', async () => {
    const { clock, stop, verdict } = watching(60_000);
    await clock.settle();
    expect(clock.pendingTimers).toBe(1);
    stop.abort();
    await clock.settle();
    expect(verdict).toEqual({ why: undefined, settled: true });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('RetryBudget in count', () => {
  it('holds up to the floor, then stops when retries pass the share of requests', () => {
    const budget = new RetryBudget({ floor: 100, maxShare: 0.5, giveUpAfterMs: 600_000 });
    const stats = new RunStats();
    stats.requests = 150;
    stats.retries = 100;
    expect(budget.exhausted(stats)).toBeUndefined();
    stats.retries = 76;
    stats.throttled = 25;
    expect(budget.exhausted(stats)).toBe(
      'retry budget spent: 101 of 150 requests were retries (over 50%); is the server down? (429/503 × 25)',
    );
  });

  it('at an absolute cap, when one is set, refuses the retry that would pass it, naming the failures that are retried', () => {
    const budget = new RetryBudget({ floor: 100, maxShare: 0.5, max: 3, giveUpAfterMs: 600_000 });
    const stats = new RunStats();
    stats.requests = 1000;
    stats.retries = 2;
    stats.failure('http_404');
    stats.failure('http_500');
    expect(budget.exhausted(stats)).toBeUndefined();
    stats.retries = 3;
    expect(budget.exhausted(stats)).toBe('retry budget spent: 3 retries, the cap is 3 (http_500 × 1)');
    // A cap of 0: not one retry.
    const none = new RetryBudget({ floor: 100, maxShare: 0.5, max: 0, giveUpAfterMs: 600_000 });
    expect(none.exhausted(new RunStats())).toBe('retry budget spent: 0 retries, the cap is 0');
  });
});
