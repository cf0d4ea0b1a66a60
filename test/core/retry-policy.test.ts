import { describe, expect, it } from 'vitest';
import { FUNCTION_DEFAULTS } from '../../core/function-defaults.js';
import { backoffMs, DEFAULT_RETRY_POLICY, parseRetryAfter, QUEUE_RETRY_POLICY } from '../../core/retry-policy.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads delta-seconds', () => expect(parseRetryAfter('3', now)).toBe(3000));
  it('reads an HTTP date', () => expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:05 GMT', now)).toBe(5000));
  it('a date in the past means now', () => expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0));
  it('ignores garbage and absence', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('backoffMs (full jitter)', () => {
  it('stays within [0, min(max, base·2^(n−1))]', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(backoffMs(p, 1, () => 0.999)).toBeLessThan(p.baseDelayMs);
    expect(backoffMs(p, 3, () => 0.999)).toBeLessThan(p.baseDelayMs * 4);
    expect(backoffMs(p, 30, () => 0.999)).toBeLessThan(p.maxDelayMs);
    expect(backoffMs(p, 3, () => 0)).toBe(0);
  });

  it('with equal jitter, stays within [ceiling/2, ceiling]', () => {
    const p = { ...DEFAULT_RETRY_POLICY, jitter: 'equal' as const };
    expect(backoffMs(p, 3, () => 0)).toBe(p.baseDelayMs * 2);
    expect(backoffMs(p, 3, () => 0.999)).toBeLessThan(p.baseDelayMs * 4);
  });
});

describe('QUEUE_RETRY_POLICY (retries through the queue: every delivery counts toward the dead-letter queue)', () => {
  it("spreads the default deliveries' waits over a quarter of an hour or more whatever the draws, so a short API outage dead-letters nothing", () => {
    const total = (draw: number) =>
      Array.from({ length: FUNCTION_DEFAULTS.maxReceiveCount - 1 }, (_, i) => backoffMs(QUEUE_RETRY_POLICY, i + 1, () => draw)).reduce(
        (a, b) => a + b,
        0,
      );
    expect(total(0)).toBeGreaterThanOrEqual(15 * 60_000);
    expect(total(0.999)).toBeLessThan(46 * 60_000);
  });
});
