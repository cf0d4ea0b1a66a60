/** How often and how patiently a work item is retried. */
export interface RetryPolicy {
  /** Attempts per item for transient failures and poison bodies. @default 5 */
  maxAttempts: number;
  /** First backoff ceiling; doubles per failed attempt. @default 250 */
  baseDelayMs: number;
  /** Largest backoff ceiling. @default 20000 */
  maxDelayMs: number;
  /** Throttled answers (429/503) tolerated per item; they cost no attempt but are bounded. @default 20 */
  maxThrottled: number;
  /** Wait when a 429/503 gives no usable Retry-After. @default 1000 */
  defaultRetryAfterMs: number;
  /** Longest Retry-After honoured; a larger one is capped so a run cannot stall for hours. @default 300000 */
  maxRetryAfterMs: number;
  /**
   * `full`: a backoff is uniform in [0, ceiling]; `equal`: in [ceiling/2, ceiling], so the waits
   * of a number of attempts add up to a known least. @default 'full'
   */
  jitter?: 'full' | 'equal';
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxThrottled: 20,
  defaultRetryAfterMs: 1_000,
  maxRetryAfterMs: 300_000,
};

/** Exponential backoff with jitter: uniform in [0, ceiling] (full) or [ceiling/2, ceiling] (equal), ceiling = min(max, base·2^(failures−1)). */
export function backoffMs(policy: RetryPolicy, failures: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.floor(policy.jitter === 'equal' ? ceiling / 2 + (random() * ceiling) / 2 : random() * ceiling);
}

/**
 * `Retry-After` as milliseconds from now: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Retries through a queue (the fetch Lambda): the wait is a message's visibility timeout (whole
 * seconds, at most 15 min), and every delivery counts toward the dead-letter queue. So the
 * backoff starts at 30 s with equal jitter: the 7 waits of the default 8 deliveries add up to
 * 23–46 minutes, and an API outage of a quarter of an hour sends nothing to the dead-letter
 * queue (a final poll and a bid history are planned once). A 429 without a usable Retry-After
 * keeps its message away 30 s too: back at once, it would spend a delivery on each 429.
 */
export const QUEUE_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: 30_000,
  maxDelayMs: 900_000,
  defaultRetryAfterMs: 30_000,
  jitter: 'equal',
};
