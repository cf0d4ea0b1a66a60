import type { RunStats } from './run-stats.js';

export interface RetryBudgetOptions {
  /** Retries (transient and throttled) always allowed before the share applies. @default 100 */
  floor: number;
  /** Past the floor, the run stops when retries exceed this share of all requests. @default 0.5 */
  maxShare: number;
  /** An absolute cap on retries in the run, if set (`--max-retries`). */
  max?: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { floor: 100, maxShare: 0.5 };

/**
 * A run-level cap on retries, so a dead or hostile server ends the run with a clear
 * report instead of an endless retry loop. A healthy run retries a few per cent of
 * its requests; a dead server makes nearly every request a retry.
 */
export class RetryBudget {
  constructor(readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET) {}

  /** Why the run must stop, or undefined while the budget holds. */
  exhausted(stats: RunStats): string | undefined {
    const retries = stats.retries + stats.throttled;
    if (this.options.max !== undefined && retries > this.options.max) return `retry budget spent: ${retries} retries, the cap is ${this.options.max}`;
    if (retries > this.options.floor && retries > this.options.maxShare * stats.requests) {
      return `retry budget spent: ${retries} of ${stats.requests} requests were retries (over ${Math.round(this.options.maxShare * 100)}%); is the server down?`;
    }
    return undefined;
  }
}
