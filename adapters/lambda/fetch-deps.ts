import { systemClock } from '../../core/clock.js';
import type { FetchContext } from '../../core/fetch-item.js';
import { hostRegistry } from '../../core/hosts.js';
import type { HttpClient, ObjectStore } from '../../core/ports.js';
import { QUEUE_RETRY_POLICY } from '../../core/retry-policy.js';
import { originsFrom } from '../../core/sources/index.js';
import { InlineProcessor } from '../response-processor.js';

export interface FetchSettings {
  /** Requests open at once inside one invocation. */
  concurrency: number;
  ratePerSecond?: number;
  baseUrl?: string;
}

/**
 * The fetch side of a Lambda (or of `scraper invoke fetch`): validation only (the
 * normaliser parses again in its own function), the raw object written to `store`,
 * one limiter per origin for the container.
 */
export function lambdaFetchContext(http: HttpClient, store: ObjectStore, s: FetchSettings): Omit<FetchContext, 'stats' | 'signal'> {
  const origins = originsFrom(s.baseUrl);
  const hosts = hostRegistry({ adaptive: false, maxConcurrency: s.concurrency, maxRatePerSecond: s.ratePerSecond }, systemClock);
  return {
    http,
    origins,
    processor: new InlineProcessor({ origins, normalise: false }, store),
    policy: QUEUE_RETRY_POLICY,
    clock: systemClock,
    random: Math.random,
    hostFor: hosts.hostFor,
  };
}
