import { FUNCTION_DEFAULTS } from '../../core/function-defaults.js';
import type { MessageVisibility, ObjectStore } from '../../core/ports.js';
import { UndiciHttpClient } from '../undici-http.js';
import type { EnvReader } from './env.js';
import { lambdaFetchContext } from './fetch-deps.js';
import { createFetchHandler } from './fetch-handler.js';
import type { Observability } from './observability.js';

/**
 * The fetcher as deployed, for functions/fetch.ts and `scraper invoke fetch`:
 * FETCH_CONCURRENCY (requests open, default 4), FETCH_RATE (requests started per second,
 * default 8), MAX_RECEIVE_COUNT (default 8), BASE_URL (default: the real APIs) and
 * USER_AGENT (default DEFAULT_USER_AGENT) from `env`, the store and the queue's visibility
 * given. Its HTTP pool and host limiters live as long as the container; `close` ends the pool.
 */
export function fetchHandlerFrom(env: EnvReader, io: { store: ObjectStore; visibility: MessageVisibility }, obs: Observability) {
  const concurrency = env.int('FETCH_CONCURRENCY', FUNCTION_DEFAULTS.fetchConcurrencyPerInvocation, 1, 100);
  const settings = {
    concurrency,
    ratePerSecond: env.positive('FETCH_RATE', FUNCTION_DEFAULTS.fetchRate),
    baseUrl: env.optional('BASE_URL'),
  };
  const maxReceiveCount = env.int('MAX_RECEIVE_COUNT', FUNCTION_DEFAULTS.maxReceiveCount, 1, 1000);
  const http = new UndiciHttpClient({ connections: concurrency, userAgent: env.optional('USER_AGENT') });
  const handler = createFetchHandler({ fetch: lambdaFetchContext(http, io.store, settings), ...io, maxReceiveCount, ...obs });
  return { handler, close: () => http.close() };
}
