import { gzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
// The two parts of undici this adapter uses, rather than its index, which also loads fetch,
// WebSocket, EventSource, caches and mocks: measured here, 255 → 100 CPU-ms of start-up per
// process (the first request leaves that much sooner), and a smaller fetch Lambda bundle.
// `request` is `Dispatcher#request` (undici's index attaches it to every dispatcher).
import Agent from 'undici/lib/dispatcher/agent.js';
import dispatcherRequest from 'undici/lib/api/api-request.js';
import { PermanentError, RedirectedError, ThrottledError, TooLargeError, TransientError } from '../core/errors.js';
import { DEFAULT_USER_AGENT, type HttpClient, type HttpResponse } from '../core/ports.js';
import { DEFAULT_RESPONSE_LIMITS, KEPT_BYTES, MAX_REDIRECTS } from '../core/response-limits.js';
import { parseRetryAfter } from '../core/retry-policy.js';

export interface HttpOptions {
  /** Connections per origin; the limiter keeps requests at or under it. */
  connections: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Longest silence before the response headers. @default 30000 */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams. @default 30000 */
  bodyTimeoutMs?: number;
  /** Longest a request may take in all, redirects and 1xx answers included. @default DEFAULT_RESPONSE_LIMITS.deadlineMs (60000) */
  deadlineMs?: number;
  /** Most body bytes read from one response, as sent. @default DEFAULT_RESPONSE_LIMITS.maxBodyBytes (16 MiB) */
  maxBodyBytes?: number;
  /** @default DEFAULT_USER_AGENT */
  userAgent?: string;
}

/** undici error codes → why the request failed; anything else is a generic network error. */
const CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'headers_timeout',
  UND_ERR_BODY_TIMEOUT: 'body_timeout',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  ECONNRESET: 'connection_reset',
  ECONNREFUSED: 'connection_refused',
  EPIPE: 'connection_reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'truncated_body',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'truncated_body',
};

/** The reasons above (and the deadline's) for a request that got no answer at all: no status, no body. */
export const NO_ANSWER_REASONS: ReadonlySet<string> = new Set([
  'connection_refused',
  'connection_reset',
  'network_error',
  'connect_timeout',
  'headers_timeout',
  'deadline_no_response',
]);

const REDIRECTS = new Set([300, 301, 302, 303, 307, 308]);

/**
 * The only file that knows undici: one Agent (a pool per origin) with bounded
 * connections, explicit timeouts and a body size limit (`maxResponseSize`), gzip
 * accepted, every body consumed or dumped, statuses and error codes mapped to core's
 * error classes. Each request runs under a total deadline, and redirects are followed
 * only within the origin asked (undici's redirect interceptor would follow any).
 */
export class UndiciHttpClient implements HttpClient {
  readonly #agent: Dispatcher;
  readonly #headers: Record<string, string>;
  readonly #deadlineMs: number;
  readonly #maxBodyBytes: number;

  constructor(options: HttpOptions) {
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_RESPONSE_LIMITS.deadlineMs;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_RESPONSE_LIMITS.maxBodyBytes;
    this.#agent = new Agent({
      connections: options.connections,
      pipelining: 1,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      keepAliveTimeout: 10_000,
      maxResponseSize: this.#maxBodyBytes,
    });
    this.#headers = {
      'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
      accept: 'application/json',
      'accept-encoding': 'gzip',
    };
  }

  async get(url: string, options: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<HttpResponse> {
    const deadline = new Deadline(this.#deadlineMs, options.signal);
    try {
      return await this.#follow(url, options.headers ? { ...this.#headers, ...options.headers } : this.#headers, deadline);
    } catch (e) {
      throw classify(e, options.signal, deadline);
    } finally {
      deadline.clear();
    }
  }

  async #follow(url: string, headers: Record<string, string>, deadline: Deadline): Promise<HttpResponse> {
    for (let redirects = 0; ; redirects++) {
      deadline.phase = 'headers';
      const { origin, pathname, search } = new URL(url);
      const res = await dispatcherRequest.call(this.#agent, {
        origin,
        path: pathname + search,
        method: 'GET',
        headers,
        signal: deadline.signal,
        onInfo: () => deadline.informational++,
      });
      deadline.phase = 'body';
      const status = res.statusCode;
      const h = res.headers;
      if (status >= 200 && status < 300) {
        const contentEncoding = header(h['content-encoding']);
        const body = await readBody(res.body, Number(header(h['content-length'])), this.#maxBodyBytes, contentEncoding);
        return {
          status,
          headers: {
            contentType: header(h['content-type']),
            contentEncoding,
            etag: header(h.etag),
            lastModified: header(h['last-modified']),
          },
          body,
          redirects,
        };
      }
      const retryAfter = parseRetryAfter(header(h['retry-after']), Date.now());
      if (status === 429 || (status === 503 && retryAfter !== undefined)) {
        // The host pauses as soon as the status line is read: its body may take another
        // turn of the event loop, in which a freed slot would send the next request. The
        // body is read in the background within what is left of the deadline (or until the
        // caller aborts); after that it is given up with its connection.
        res.body.dump({ signal: deadline.rest(), limit: 128 * 1024 }).catch(() => undefined);
        throw new ThrottledError(status, retryAfter);
      }
      await res.body.dump();
      if (status === 304)
        return { status, headers: { etag: header(h.etag), lastModified: header(h['last-modified']) }, body: new Uint8Array(0), redirects };
      if (REDIRECTS.has(status)) {
        url = sameOriginTarget(url, header(h.location), redirects);
        continue;
      }
      if (status >= 500 || status === 408) throw new TransientError(`http_${status}`);
      throw new PermanentError('missing', `http_${status}`);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Where a redirect within the origin leads; a redirect elsewhere (or one too many) is an outcome of its own. */
function sameOriginTarget(from: string, location: string | undefined, followed: number): string {
  let target: URL | undefined;
  try {
    target = location === undefined ? undefined : new URL(location, from);
  } catch {
    target = undefined;
  }
  if (!target) throw new RedirectedError('redirect_without_location', location ?? 'no Location', followed);
  if (target.origin !== new URL(from).origin) throw new RedirectedError('redirect_to_other_origin', target.href, followed);
  if (followed >= MAX_REDIRECTS) throw new RedirectedError('too_many_redirects', target.href, followed);
  return target.href;
}

/**
 * The body whole, or a TooLargeError with its first bytes once it passes the limit
 * (undici's `maxResponseSize` ends the response there). A body whose Content-Length
 * already says it is too large is cut after its first bytes instead of being read up to the limit.
 */
function readBody(
  body: Dispatcher.ResponseData['body'],
  declared: number,
  max: number,
  contentEncoding: string | undefined,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopAt = declared > max ? KEPT_BYTES : Infinity;
    const tooLarge = (what: string) =>
      new TooLargeError(max, keptHead(chunks, contentEncoding), `too_large: ${what}, the limit is ${max} bytes`);
    body.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < stopAt) return;
      reject(tooLarge(`Content-Length ${declared}`));
      body.destroy();
    });
    // undici may end the response at its size limit before a chunk reaches 'data' (one read past it):
    // a Content-Length that said so is still the reason.
    body.on('error', (e: Error & { code?: string }) =>
      reject(
        e.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? tooLarge(declared > max ? `Content-Length ${declared}` : 'the body went past it') : e,
      ),
    );
    body.on('end', () => resolve(concat(chunks, size)));
  });
}

function concat(chunks: Buffer[], size: number): Uint8Array {
  // A buffer of its own (never a slice of a shared pool), so it can move to a worker thread.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The first bytes received, as gzip (as they came when the server sent gzip: a cut-short stream `zcat` still reads). */
function keptHead(chunks: Buffer[], contentEncoding: string | undefined): Uint8Array {
  const head = Buffer.concat(
    chunks,
    Math.min(
      KEPT_BYTES,
      chunks.reduce((n, c) => n + c.length, 0),
    ),
  );
  return /gzip/i.test(contentEncoding ?? '') && head[0] === 0x1f && head[1] === 0x8b ? head : gzipSync(head);
}

/** The total time a request may take, and what it was waiting for when the time ran out. */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #outer: AbortSignal | undefined;
  readonly #startedAt = Date.now();
  readonly #onOuterAbort = () => this.#controller.abort(this.#outer?.reason);
  expired = false;
  phase: 'headers' | 'body' = 'headers';
  /** 1xx answers received before the final one. */
  informational = 0;

  constructor(
    readonly ms: number,
    outer: AbortSignal | undefined,
  ) {
    this.#outer = outer;
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.#controller.abort(new Error('deadline'));
    }, ms);
    this.#timer.unref();
    if (outer?.aborted) this.#onOuterAbort();
    else outer?.addEventListener('abort', this.#onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A 1xx flood, a body trickling in, or no answer at all. */
  reason(): string {
    if (this.phase === 'body') return 'deadline_slow_body';
    return this.informational > 0 ? 'deadline_1xx_flood' : 'deadline_no_response';
  }

  /** A signal for work that outlives the request: it aborts when the deadline would have, or with the caller. */
  rest(): AbortSignal {
    const left = AbortSignal.timeout(Math.max(1, this.ms - (Date.now() - this.#startedAt)));
    return this.#outer ? AbortSignal.any([this.#outer, left]) : left;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener('abort', this.#onOuterAbort);
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function classify(e: unknown, signal: AbortSignal | undefined, deadline: Deadline): unknown {
  if (e instanceof ThrottledError || e instanceof TransientError || e instanceof PermanentError || e instanceof TooLargeError) return e;
  if (signal?.aborted) return signal.reason ?? e;
  if (deadline.expired) {
    const reason = deadline.reason();
    return new TransientError(
      reason,
      `${reason}: no complete answer within ${deadline.ms} ms${deadline.informational > 0 ? ` (${deadline.informational} 1xx answers)` : ''}`,
    );
  }
  return networkFailure(e);
}

/** A request that failed without an answer: retried, for the reason its error `code` names. */
export function networkFailure(e: unknown): TransientError {
  const code = (e as { code?: string }).code;
  const reason = (code && CODES[code]) ?? 'network_error';
  return new TransientError(reason, `${reason}: ${(e as Error).message}`);
}
