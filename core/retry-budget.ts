import type { Clock } from './clock.js';
import { failureKinds } from './report.js';
import type { RunStats } from './run-stats.js';

export interface RetryBudgetOptions {
  /** Retries (transient and throttled) always allowed before the share applies. @default 100 */
  floor: number;
  /** Past the floor, the run stops when retries exceed this share of all requests. @default 0.5 */
  maxShare: number;
  /** An absolute cap on retries in the run, if set (`--max-retries`). */
  max?: number;
  /**
   * The run stops when no answer has settled an item for this long while work waits:
   * a server that only throttles or fails ends the run within it, however long its
   * Retry-After. @default 600000 (10 min)
   */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { floor: 100, maxShare: 0.5, giveUpAfterMs: 600_000 };

/**
 * A run-level cap on retries, in count and in time, so a dead or hostile server ends
 * the run with a clear report instead of an endless retry loop. A healthy run retries
 * a few per cent of its requests; a dead server makes nearly every request a retry;
 * a server that answers only 429 makes few requests, slowly, and is caught by time.
 * Retries count once made (a retry scheduled when the run stops is not one).
 */
export class RetryBudget {
  #progressAt: number | undefined;

  constructor(readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {}

  /** Why the run must stop, or undefined while the budget holds. */
  exhausted(stats: RunStats): string | undefined {
    const retries = stats.retries + stats.throttled;
    // Asked before each retry: at the cap, the next one would pass it.
    if (this.options.max !== undefined && retries >= this.options.max)
      return `retry budget spent: ${retries} retries, the cap is ${this.options.max}${failing(stats)}`;
    if (retries > this.options.floor && retries > this.options.maxShare * stats.requests) {
      return `retry budget spent: ${retries} of ${stats.requests} requests were retries (over ${Math.round(this.options.maxShare * 100)}%); is the server down?${failing(stats)}`;
    }
    return undefined;
  }

  /** An answer settled an item, or work starts after a lull: the time without progress starts again. */
  progressed(now: number): void {
    this.#progressAt = now;
  }

  /**
   * Resolves with why the run must stop once `giveUpAfterMs` pass without progress,
   * or with undefined when `signal` aborts first (the run ended). Its one timer goes with the abort.
   */
  async watch(clock: Clock, stats: RunStats, signal: AbortSignal): Promise<string | undefined> {
    this.#progressAt ??= clock.now();
    for (;;) {
      const wait = this.#progressAt + this.options.giveUpAfterMs - clock.now();
      if (wait <= 0)
        return `gave up: no item settled for ${seconds(this.options.giveUpAfterMs)} while the server only throttled or failed${failing(stats)}`;
      try {
        await clock.sleep(wait, signal);
      } catch {
        return undefined;
      }
    }
  }
}

/**
 * The commonest failures so far that are retried, for the report: ` (connection_refused × 202,
 * 429/503 × 3)`; a 404 or another 4xx (408 aside) is an outcome, never retried.
 */
function failing(stats: RunStats): string {
  const counts = failureKinds(stats.failureReasons).filter(([reason]) => !/^http_4(?!08)\d\d$/.test(reason));
  if (stats.throttled > 0) counts.push(['429/503', stats.throttled]);
  if (counts.length === 0) return '';
  counts.sort((a, b) => b[1] - a[1]);
  return ` (${counts
    .slice(0, 3)
    .map(([reason, n]) => `${reason} × ${n}`)
    .join(', ')})`;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}
