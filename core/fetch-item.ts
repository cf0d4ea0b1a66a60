import type { Clock } from './clock.js';
import {
  FatalError,
  PermanentError,
  RedirectedError,
  ThrottledError,
  TooLargeError,
  TransientError,
  type PermanentOutcome,
} from './errors.js';
import type { Host } from './hosts.js';
import type { HttpClient, HttpResponse, Processor, ProcessResult } from './ports.js';
import type { Random } from './random.js';
import { rawKey } from './raw-key.js';
import { isTimeoutReason } from './response-limits.js';
import { backoffMs, type RetryPolicy } from './retry-policy.js';
import type { RetryBudget } from './retry-budget.js';
import type { RunStats } from './run-stats.js';
import { firstRequest, type Origins, type Request } from './sources/requests.js';
import type { WorkItem } from './work-item.js';

export interface FetchContext {
  http: HttpClient;
  /** The limiter and pace of the request's origin: one per host, shared by all work in the process. */
  hostFor(url: string): Host;
  processor: Processor;
  policy: RetryPolicy;
  clock: Clock;
  random: Random;
  origins: Origins;
  stats: RunStats;
  signal?: AbortSignal;
  /** Run-level cap on retries; absent in a Lambda, where the queue bounds them. */
  budget?: RetryBudget;
}

export type Stored = Extract<ProcessResult, { kind: 'stored' }>;

/** One attempt at an item: a request (or a few, while a MaxSold page grows) and its verdict. */
export type Attempt =
  | { kind: 'accepted'; stored: Stored; metadata: Record<string, string> }
  | { kind: 'permanent'; outcome: PermanentOutcome; reason: string; detail?: string }
  | { kind: 'throttled'; waitMs: number }
  | { kind: 'unchanged'; reason: '304' | 'same_sha256' }
  | { kind: 'failed'; error: 'transient' | 'poison' | 'too_large'; reason: string; rawGz?: Uint8Array; metadata?: Record<string, string> };

export interface AttemptOptions {
  /** Requests made for this item before this attempt (stored as `attempts`). @default 0 */
  previousRequests?: number;
  /**
   * Wait while the host is paused for Retry-After (the CLI), or hand the wait back
   * at once as `throttled` (a Lambda does not sleep while billed). @default true
   */
  waitForPause?: boolean;
  /** Metadata of the previous fetch of this item: its ETag/Last-Modified make the request conditional. */
  previous?: Record<string, string>;
  /** The previous fetch is this item's committed version, which this one replaces (not so for VIA's last snapshot). */
  replaces?: boolean;
  /** This attempt repeats one that failed: counted in `stats.retries` once its request is made. @default false */
  retry?: boolean;
}

/**
 * Fetches an item once and judges the answer by the error classes; a body is handed
 * to the processor, which checks it and stores what it yields (raw object, table
 * files). A 429/503 pauses the host's limiter before the slot is given back, so no
 * queued request slips out.
 */
export async function attemptItem(
  item: WorkItem,
  ctx: FetchContext,
  options: AttemptOptions = {},
): Promise<Attempt & { requests: number }> {
  const { clock, stats } = ctx;
  const sourceKey = rawKey(item);
  let request: Request = firstRequest(item, ctx.origins);
  let requests = options.previousRequests ?? 0;
  // Each redirect followed was one more request.
  const countRedirects = (n: number) => {
    requests += n;
    stats.requests += n;
    stats.redirectsFollowed += n;
  };
  for (;;) {
    const { limiter, pace } = ctx.hostFor(request.url);
    const release = options.waitForPause === false ? await limiter.acquireUnlessPaused(ctx.signal) : await limiter.acquire(ctx.signal);
    if (!release) return { kind: 'throttled', waitMs: Math.max(1, limiter.pausedUntil - clock.now()), requests };
    const started = clock.now();
    if (options.retry && requests === (options.previousRequests ?? 0)) stats.retries++;
    requests++;
    stats.requestStarted();
    let response: HttpResponse;
    try {
      response = await ctx.http.get(request.url, {
        signal: ctx.signal,
        headers: request.round === 0 ? conditionalHeaders(options.previous) : undefined,
      });
    } catch (e) {
      stats.requestEnded(clock.now() - started, 0);
      if (e instanceof ThrottledError) {
        const waitMs = Math.min(ctx.policy.maxRetryAfterMs, e.retryAfterMs ?? ctx.policy.defaultRetryAfterMs);
        limiter.pauseUntil(clock.now() + waitMs);
        pace.throttled(e.status);
        release();
        stats.throttled++;
        return { kind: 'throttled', waitMs, requests };
      }
      release();
      if (e instanceof PermanentError) {
        ctx.budget?.progressed(clock.now());
        if (!(e instanceof RedirectedError)) return { kind: 'permanent', outcome: e.outcome, reason: e.reason, requests };
        countRedirects(e.followed);
        return { kind: 'permanent', outcome: e.outcome, reason: e.reason, detail: e.location, requests };
      }
      if (e instanceof TooLargeError) {
        const metadata = { url: request.url, 'work-item': JSON.stringify(item), 'size-limit': String(e.limit) };
        return { kind: 'failed', error: 'too_large', reason: e.reason, rawGz: e.head, metadata, requests };
      }
      if (e instanceof TransientError && !ctx.signal?.aborted) {
        if (isTimeoutReason(e.reason)) pace.timedOut();
        return { kind: 'failed', error: 'transient', reason: e.reason, requests };
      }
      throw e;
    }
    release();
    const fetchedAt = clock.now();
    pace.succeeded(fetchedAt - started);
    stats.requestEnded(fetchedAt - started, response.body.byteLength);
    countRedirects(response.redirects ?? 0);
    if (response.status === 304) {
      ctx.budget?.progressed(fetchedAt);
      return { kind: 'unchanged', reason: '304', requests };
    }
    const metadata = rawMetadata(item, request.url, response, fetchedAt, requests);
    const result = await ctx.processor.process({
      item,
      request,
      body: response.body,
      contentEncoding: response.headers.contentEncoding,
      contentType: response.headers.contentType,
      sourceKey,
      fetchedAt,
      metadata,
      previousSha256: options.previous?.sha256,
      replaces: options.replaces,
    });
    if (result.kind === 'again') {
      stats.pageRegrows++;
      request = result.request;
      continue;
    }
    // An answer that settles the item is progress; a body that fails is not.
    if (result.kind !== 'failed' || result.error === 'permanent') ctx.budget?.progressed(fetchedAt);
    if (result.kind === 'unchanged') return { kind: 'unchanged', reason: 'same_sha256', requests };
    if (result.kind === 'stored')
      return { kind: 'accepted', stored: result, metadata: { ...metadata, sha256: result.sha256, size: String(result.size) }, requests };
    if (result.error === 'permanent') return { kind: 'permanent', outcome: result.outcome ?? 'missing', reason: result.reason, requests };
    const failedMetadata = result.sha256 ? { ...metadata, sha256: result.sha256 } : metadata;
    if (result.error === 'too_large') failedMetadata['size-limit'] = String(result.limit);
    return { kind: 'failed', error: result.error, reason: result.reason, rawGz: result.rawGz, metadata: failedMetadata, requests };
  }
}

/** What became of one work item; a quarantined one carries what must be kept of it. */
export type ItemResult =
  | { outcome: 'fetched'; stored: Stored; metadata: Record<string, string> }
  | { outcome: 'unchanged'; reason: string }
  | { outcome: 'empty'; reason: string }
  | { outcome: 'missing' | 'redirected'; reason: string; detail?: string }
  | { outcome: 'quarantined'; reason: string; rawGz?: Uint8Array; metadata: Record<string, string> };

/**
 * Attempts an item until it reaches an outcome: transient failures and poison bodies
 * back off with full jitter for a bounded number of attempts, then are quarantined;
 * throttled answers wait out Retry-After (no attempt spent, but bounded); a body past
 * the size limit is quarantined at once (a second download would cost the same).
 * Before each retry the run's budget is asked, and a retry counts once it is made.
 */
export async function fetchItem(
  item: WorkItem,
  ctx: FetchContext,
  options: Pick<AttemptOptions, 'previous' | 'replaces'> = {},
): Promise<ItemResult> {
  const { policy, stats } = ctx;
  const spend = () => {
    const stop = ctx.budget?.exhausted(stats);
    if (stop) throw new FatalError(stop);
  };
  let requests = 0;
  let failures = 0;
  let throttled = 0;
  let retry = false;
  let last: { rawGz?: Uint8Array; metadata?: Record<string, string> } = {};
  for (;;) {
    const a = await attemptItem(item, ctx, { ...options, previousRequests: requests, retry });
    retry = false;
    requests = a.requests;
    switch (a.kind) {
      case 'accepted':
        return { outcome: 'fetched', stored: a.stored, metadata: a.metadata };
      case 'unchanged':
        return { outcome: 'unchanged', reason: a.reason };
      case 'permanent':
        stats.failure(a.reason);
        return a.outcome === 'empty' ? { outcome: 'empty', reason: a.reason } : { outcome: a.outcome, reason: a.reason, detail: a.detail };
      case 'throttled':
        if (++throttled > policy.maxThrottled) return quarantine(item, `throttled ${throttled} times`, last, requests);
        spend();
        continue;
      case 'failed':
        stats.failure(a.reason);
        if (a.rawGz) last = { rawGz: a.rawGz, metadata: a.metadata };
        if (a.error === 'too_large') return quarantine(item, a.reason, last, requests);
        if (++failures >= policy.maxAttempts) return quarantine(item, `${a.reason} after ${requests} attempts`, last, requests);
        await ctx.clock.sleep(backoffMs(policy, failures, ctx.random), ctx.signal);
        spend();
        retry = true;
    }
  }
}

function quarantine(
  item: WorkItem,
  reason: string,
  last: { rawGz?: Uint8Array; metadata?: Record<string, string> },
  requests: number,
): ItemResult {
  const metadata = last.metadata ?? { 'work-item': JSON.stringify(item) };
  return { outcome: 'quarantined', reason, rawGz: last.rawGz, metadata: { ...metadata, attempts: String(requests), reason } };
}

/** If-None-Match / If-Modified-Since from the previous fetch's metadata. */
function conditionalHeaders(previous: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!previous) return undefined;
  const h: Record<string, string> = {};
  if (previous.etag) h['if-none-match'] = previous.etag;
  if (previous['last-modified']) h['if-modified-since'] = previous['last-modified'];
  return Object.keys(h).length > 0 ? h : undefined;
}

/** Metadata stored beside a raw object (S3-style: lower-case keys, ASCII string values); the processor adds `sha256` and `size`. */
function rawMetadata(item: WorkItem, url: string, response: HttpResponse, fetchedAt: number, attempts: number): Record<string, string> {
  const m: Record<string, string> = {
    url,
    status: String(response.status),
    'fetched-at': new Date(fetchedAt).toISOString(),
    attempts: String(attempts),
    'work-item': JSON.stringify(item),
  };
  if (response.headers.etag) m.etag = response.headers.etag;
  if (response.headers.lastModified) m['last-modified'] = response.headers.lastModified;
  return m;
}
