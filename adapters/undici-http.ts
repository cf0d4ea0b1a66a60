import { Agent, request } from 'undici';
import { PermanentError, ThrottledError, TransientError } from '../core/errors.js';
import type { HttpClient, HttpResponse } from '../core/ports.js';
import { parseRetryAfter } from '../core/retry-policy.js';

export const DEFAULT_USER_AGENT = 'api-scraper/0.1 (+polite bulk JSON fetcher; set --user-agent to add your contact)';

export interface HttpOptions {
  /** Connections per origin; the limiter keeps requests at or under it. */
  connections: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Time to the response headers. @default 30000 */
  headersTimeoutMs?: number;
  /** Longest silence while the body streams. @default 30000 */
  bodyTimeoutMs?: number;
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

/**
 * The only file that knows undici: one Agent (a pool per origin) with bounded
 * connections and explicit timeouts, gzip accepted, every body consumed or dumped,
 * statuses and error codes mapped to core's error classes.
 */
export class UndiciHttpClient implements HttpClient {
  readonly #agent: Agent;
  readonly #headers: Record<string, string>;

  constructor(options: HttpOptions) {
    this.#agent = new Agent({
      connections: options.connections,
      pipelining: 1,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      keepAliveTimeout: 10_000,
    });
    this.#headers = {
      'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
      accept: 'application/json',
      'accept-encoding': 'gzip',
    };
  }

  async get(url: string, options: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<HttpResponse> {
    const headers = options.headers ? { ...this.#headers, ...options.headers } : this.#headers;
    try {
      const res = await request(url, { dispatcher: this.#agent, method: 'GET', headers, signal: options.signal });
      const status = res.statusCode;
      const h = res.headers;
      if (status >= 200 && status < 300) {
        const body = new Uint8Array(await res.body.arrayBuffer());
        return {
          status,
          headers: {
            contentType: header(h['content-type']),
            contentEncoding: header(h['content-encoding']),
            etag: header(h.etag),
            lastModified: header(h['last-modified']),
          },
          body,
        };
      }
      await res.body.dump();
      if (status === 304) return { status, headers: { etag: header(h.etag), lastModified: header(h['last-modified']) }, body: new Uint8Array(0) };
      const retryAfter = parseRetryAfter(header(h['retry-after']), Date.now());
      if (status === 429 || (status === 503 && retryAfter !== undefined)) throw new ThrottledError(status, retryAfter);
      if (status >= 500 || status === 408) throw new TransientError(`http_${status}`);
      throw new PermanentError('missing', `http_${status}`);
    } catch (e) {
      throw classify(e, options.signal);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function classify(e: unknown, signal: AbortSignal | undefined): unknown {
  if (e instanceof ThrottledError || e instanceof TransientError || e instanceof PermanentError) return e;
  if (signal?.aborted) return signal.reason ?? e;
  const code = (e as { code?: string }).code;
  const reason = (code && CODES[code]) ?? 'network_error';
  return new TransientError(reason, `${reason}: ${(e as Error).message}`);
}
