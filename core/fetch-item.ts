import type { Clock } from './clock.js';
import { PermanentError, ThrottledError, TransientError } from './errors.js';
import type { HostLimiter } from './limiter.js';
import type { HttpClient, HttpResponse, Processor, ProcessResult } from './ports.js';
import { rawKey } from './raw-key.js';
import { backoffMs, type RetryPolicy } from './retry-policy.js';
import type { RunStats } from './run-stats.js';
import { firstRequest, type Origins, type Request } from './sources/index.js';
import type { WorkItem } from './work-item.js';

export interface FetchContext {
  http: HttpClient;
  /** The limiter of the request's origin: one per host, shared by all work in the process. */
  limiterFor(url: string): HostLimiter;
  processor: Processor;
  policy: RetryPolicy;
  clock: Clock;
  random: () => number;
  origins: Origins;
  stats: RunStats;
  signal?: AbortSignal;
}

export type Accepted = Extract<ProcessResult, { kind: 'accepted' }>;

/** What became of one work item, with what must be stored for it. */
export type ItemResult =
  | { outcome: 'fetched'; accepted: Accepted; metadata: Record<string, string> }
  | { outcome: 'empty'; reason: string; rawGz?: Uint8Array; metadata: Record<string, string> }
  | { outcome: 'missing'; reason: string }
  | { outcome: 'quarantined'; reason: string; rawGz?: Uint8Array; metadata: Record<string, string> };

/**
 * Fetches one work item to an accepted body or a final outcome, following the
 * error classes: transient → backoff with full jitter, bounded attempts;
 * throttled → pause the host for Retry-After (no attempt spent, but bounded);
 * permanent → recorded; poison → retried, then quarantined with its bytes.
 */
export async function fetchItem(item: WorkItem, ctx: FetchContext): Promise<ItemResult> {
  const { clock, policy, stats } = ctx;
  const sourceKey = rawKey(item);
  let request: Request = firstRequest(item, ctx.origins);
  let requests = 0;
  let failures = 0;
  let throttled = 0;
  let lastBody: { rawGz?: Uint8Array; sha256?: string } = {};

  const metadata = (response: HttpResponse | undefined, fetchedAt: number, extra: Record<string, string>) =>
    rawMetadata(item, request.url, response, fetchedAt, requests, extra);

  for (;;) {
    const limiter = ctx.limiterFor(request.url);
    const release = await limiter.acquire(ctx.signal);
    const started = clock.now();
    requests++;
    stats.requestStarted();
    let response: HttpResponse;
    try {
      response = await ctx.http.get(request.url, { signal: ctx.signal });
    } catch (e) {
      stats.requestEnded(clock.now() - started, 0);
      if (e instanceof ThrottledError) {
        // Pause the host before giving the slot back, so no queued request slips through.
        const wait = Math.min(policy.maxRetryAfterMs, e.retryAfterMs ?? policy.defaultRetryAfterMs);
        limiter.pauseUntil(clock.now() + wait);
        release();
        stats.throttled++;
        if (++throttled > policy.maxThrottled) {
          return quarantine(`throttled_${throttled}_times`, lastBody, metadata(undefined, clock.now(), {}));
        }
        continue;
      }
      release();
      if (e instanceof PermanentError) {
        stats.failure(e.reason);
        return { outcome: 'missing', reason: e.reason };
      }
      if (!(e instanceof TransientError) || ctx.signal?.aborted) throw e;
      stats.failure(e.reason);
      if (++failures >= policy.maxAttempts) return quarantine(`${e.reason} after ${requests} attempts`, lastBody, metadata(undefined, clock.now(), {}));
      stats.retries++;
      await clock.sleep(backoffMs(policy, failures, ctx.random), ctx.signal);
      continue;
    }
    release();
    const fetchedAt = clock.now();
    stats.requestEnded(fetchedAt - started, response.body.byteLength);

    const result = await ctx.processor.process({
      item,
      request,
      body: response.body,
      contentEncoding: response.headers.contentEncoding,
      contentType: response.headers.contentType,
      sourceKey,
      fetchedAt,
    });
    if (result.kind === 'accepted') {
      return { outcome: 'fetched', accepted: result, metadata: metadata(response, fetchedAt, { sha256: result.sha256, size: String(result.size) }) };
    }
    if (result.kind === 'again') {
      stats.pageRegrows++;
      request = result.request;
      continue;
    }
    stats.failure(result.reason);
    if (result.error === 'permanent') {
      if (result.outcome === 'empty') {
        return { outcome: 'empty', reason: result.reason, rawGz: result.rawGz, metadata: metadata(response, fetchedAt, { sha256: result.sha256 ?? '', outcome: 'empty' }) };
      }
      return { outcome: 'missing', reason: result.reason };
    }
    lastBody = { rawGz: result.rawGz, sha256: result.sha256 };
    if (++failures >= policy.maxAttempts) {
      return quarantine(`${result.reason} after ${requests} attempts`, lastBody, metadata(response, fetchedAt, { sha256: result.sha256 ?? '' }));
    }
    stats.retries++;
    await clock.sleep(backoffMs(policy, failures, ctx.random), ctx.signal);
  }
}

function quarantine(reason: string, body: { rawGz?: Uint8Array }, metadata: Record<string, string>): ItemResult {
  return { outcome: 'quarantined', reason, rawGz: body.rawGz, metadata: { ...metadata, reason } };
}

/** Metadata stored beside a raw object (S3-style: lower-case keys, string values). */
function rawMetadata(item: WorkItem, url: string, response: HttpResponse | undefined, fetchedAt: number, attempts: number, extra: Record<string, string>): Record<string, string> {
  const m: Record<string, string> = {
    url,
    status: response ? String(response.status) : '',
    'fetched-at': new Date(fetchedAt).toISOString(),
    attempts: String(attempts),
    'work-item': JSON.stringify(item),
  };
  if (response?.headers.etag) m.etag = response.headers.etag;
  if (response?.headers.lastModified) m['last-modified'] = response.headers.lastModified;
  return Object.assign(m, extra);
}
