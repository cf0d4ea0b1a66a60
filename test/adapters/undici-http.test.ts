import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { networkFailure, UndiciHttpClient, type HttpOptions } from '../../adapters/undici-http.js';
import { PermanentError, RedirectedError, ThrottledError, TooLargeError, TransientError } from '../../core/errors.js';
import { DEFAULT_USER_AGENT, type HttpResponse } from '../../core/ports.js';
import { head, respond, startHostileServer, streamFiller, trickle, type Behaviour, type HostileServer } from '../helpers/hostile-server.js';

/** One GET against a server on 127.0.0.1 that behaves as told: the response, or what was thrown. */
async function get(
  behave: Behaviour,
  options: Partial<HttpOptions> = {},
  path = '/x',
  signal?: AbortSignal,
): Promise<{ response?: HttpResponse; error?: unknown; server: HostileServer }> {
  const server = await startHostileServer(behave);
  const client = new UndiciHttpClient({ connections: 1, ...options });
  try {
    return { response: await client.get(server.url + path, { signal }), server };
  } catch (error) {
    return { error, server };
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
}

const failure = async (behave: Behaviour, options?: Partial<HttpOptions>) =>
  (await get(behave, options)).error as Error & { reason?: string };

describe('UndiciHttpClient: answers', () => {
  it('a 2xx returns its body as sent (gzip left to the processor) and its validators', async () => {
    const gz = gzipSync('{"ok":true}');
    const { response } = await get((s) =>
      respond(
        s,
        200,
        { 'content-type': 'application/json', 'content-encoding': 'gzip', etag: '"v1"', 'last-modified': 'Tue, 01 Sep 2026 00:00:00 GMT' },
        gz,
      ),
    );
    expect(response).toEqual({
      status: 200,
      headers: { contentType: 'application/json', contentEncoding: 'gzip', etag: '"v1"', lastModified: 'Tue, 01 Sep 2026 00:00:00 GMT' },
      body: new Uint8Array(gz),
      redirects: 0,
    });
  });

  it('sends the User-Agent, asks for JSON and accepts gzip', async () => {
    const { server } = await get((s) => respond(s, 200, {}, '{}'), { userAgent: 'test-agent (me@example.org)' });
    expect(server.requests[0]!.headers).toMatchObject({
      'user-agent': 'test-agent (me@example.org)',
      accept: 'application/json',
      'accept-encoding': 'gzip',
    });
  });

  it('sends the one default User-Agent when given none', async () => {
    const { server } = await get((s) => respond(s, 200, {}, '{}'));
    expect(server.requests[0]!.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
  });

  it('a 304 returns its validators and no body', async () => {
    const { response } = await get((s) => respond(s, 304, { etag: '"v1"' }));
    expect(response).toEqual({ status: 304, headers: { etag: '"v1"', lastModified: undefined }, body: new Uint8Array(0), redirects: 0 });
  });

  it.each([400, 403, 404, 410])('a %i is permanent: missing', async (status) => {
    const error = await failure((s) => respond(s, status, {}, 'no'));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ outcome: 'missing', reason: `http_${status}` });
  });

  it.each([408, 500, 502, 503, 504])('a %i without Retry-After is retried now', async (status) => {
    const error = await failure((s) => respond(s, status, {}, 'busy'));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.reason).toBe(`http_${status}`);
  });

  it.each([
    ['a 429 without Retry-After', 429, {}, undefined],
    ['a 429 with Retry-After in seconds', 429, { 'retry-after': '7' }, 7000],
    ['a 429 with Retry-After as a past HTTP date', 429, { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' }, 0],
    ['a 429 with an unreadable Retry-After', 429, { 'retry-after': 'soon' }, undefined],
    ['a 503 with Retry-After', 503, { 'retry-after': '2' }, 2000],
  ])('%s is retried later, after the wait it names', async (_name, status, headers, retryAfterMs) => {
    const error = await failure((s) => respond(s, status, headers));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error).toMatchObject({ status, retryAfterMs });
  });

  it('a 429 is reported from its status line, before its body arrives', async () => {
    let sendBody: () => void = () => {};
    const bodyHeld = new Promise<void>((resolve) => (sendBody = resolve));
    const server = await startHostileServer(async (s) => {
      s.write(head(429, { 'retry-after': '1', 'content-length': 4 }));
      await bodyHeld;
      s.end('busy');
    });
    const client = new UndiciHttpClient({ connections: 1 });
    try {
      // The body comes only once the answer is in: waiting for it would wait until bodyTimeout.
      const error = await client.get(server.url + '/x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottledError);
      expect(error).toMatchObject({ status: 429, retryAfterMs: 1000 });
    } finally {
      sendBody();
      await client.close();
      await server.close();
    }
  });

  it("a 429 whose body never comes holds its connection no longer than the request's deadline", async () => {
    const server = await startHostileServer((s) => void s.write(head(429, { 'retry-after': '1', 'content-length': 4 })));
    // Without a bound, the body read would hold the connection (and close()) until bodyTimeout.
    const client = new UndiciHttpClient({ connections: 1, deadlineMs: 300, bodyTimeoutMs: 600_000 });
    try {
      expect(await client.get(server.url + '/x').catch((e: unknown) => e)).toBeInstanceOf(ThrottledError);
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe('UndiciHttpClient: redirects', () => {
  it('follows one within the origin and counts it', async () => {
    const { response, server } = await get((s, r) => (r.path === '/x' ? respond(s, 301, { location: '/y' }) : respond(s, 200, {}, '{}')));
    expect(response).toMatchObject({ status: 200, redirects: 1 });
    expect(server.requests.map((r) => r.path)).toEqual(['/x', '/y']);
  });

  it.each([
    ['to another origin', { location: 'http://127.0.0.2:1/elsewhere' }, 'redirect_to_other_origin', 'http://127.0.0.2:1/elsewhere'],
    ['without a Location', {}, 'redirect_without_location', 'no Location'],
  ])('a redirect %s is not followed: redirected', async (_name, headers, reason, location) => {
    const { error, server } = await get((s) => respond(s, 302, headers));
    expect(error).toBeInstanceOf(RedirectedError);
    expect(error).toMatchObject({ outcome: 'redirected', reason, location, followed: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('stops after 5 redirects: too_many_redirects', async () => {
    const { error, server } = await get((s, r) => respond(s, 307, { location: `${r.path}x` }));
    expect(error).toMatchObject({ reason: 'too_many_redirects', followed: 5 });
    expect(server.requests).toHaveLength(6);
  });
});

describe('UndiciHttpClient: failures without an answer, retried now for the reason named', () => {
  it('nobody listening: connection_refused', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const client = new UndiciHttpClient({ connections: 1 });
    const error = await client.get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ reason: 'connection_refused' });
  });

  it.each<[string, string, Behaviour]>([
    ['closed without an answer', 'connection_reset', (s) => void s.end()],
    ['reset without an answer', 'connection_reset', (s) => void s.resetAndDestroy()],
    ['a body shorter than its Content-Length', 'truncated_body', (s) => void s.end(head(200, { 'content-length': 100 }) + '0123456789')],
    ['an answer that is not HTTP', 'network_error', (s) => void s.end('this is not http\r\n\r\n')],
    ['a header past the size undici accepts', 'network_error', (s) => void s.write(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(100_000)}\r\n\r\n`)],
  ])('%s: %s', async (_name, reason, behave) => {
    const error = await failure(behave);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.reason).toBe(reason);
  });

  it('no headers within headersTimeoutMs: headers_timeout', async () => {
    expect((await failure(() => {}, { headersTimeoutMs: 50 })).reason).toBe('headers_timeout');
  });

  it('a body silent for bodyTimeoutMs: body_timeout', async () => {
    expect((await failure((s) => void s.write(head(200, { 'content-length': 10 })), { bodyTimeoutMs: 50 })).reason).toBe('body_timeout');
  });

  it.each<[string, string, Behaviour]>([
    ['no answer at all', 'deadline_no_response', () => {}],
    [
      'a body trickling in',
      'deadline_slow_body',
      (s) => {
        s.write(head(200, { 'content-length': 1000 }));
        void trickle(s, Buffer.alloc(1000, 0x20), 10);
      },
    ],
    [
      '1xx answers and nothing else',
      'deadline_1xx_flood',
      (s) => {
        const hints = setInterval(
          () => (s.destroyed ? clearInterval(hints) : s.write('HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n')),
          5,
        );
      },
    ],
  ])('past the total deadline with %s: %s', async (_name, reason, behave) => {
    const error = await failure(behave, { deadlineMs: 150 });
    expect(error).toBeInstanceOf(TransientError);
    expect(error.reason).toBe(reason);
  });
});

describe('UndiciHttpClient: bodies past the size limit', () => {
  it('a Content-Length over the limit: too_large, with what was read (if anything) as gzip', async () => {
    const error = await failure(
      (s) => {
        s.write(head(200, { 'content-length': 500_000 }));
        void streamFiller(s, 500_000);
      },
      { maxBodyBytes: 100_000 },
    );
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error.message).toBe('too_large: Content-Length 500000, the limit is 100000 bytes');
    expect(Array.from((error as TooLargeError).head.subarray(0, 2))).toEqual([0x1f, 0x8b]);
  });

  it('a chunked body that grows past the limit: too_large', async () => {
    const chunk = Buffer.alloc(10_000, 0x20);
    const error = await failure(
      (s) => {
        s.write(head(200, { 'transfer-encoding': 'chunked' }));
        for (let i = 0; i < 20; i++) s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      },
      { maxBodyBytes: 100_000 },
    );
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error.message).toBe('too_large: the body went past it, the limit is 100000 bytes');
  });
});

describe('UndiciHttpClient: the caller’s abort', () => {
  it('rejects with the signal’s reason, not as a failure of the request', async () => {
    const ac = new AbortController();
    const stop = new Error('interrupted');
    const { error } = await get(() => void setTimeout(() => ac.abort(stop), 10), {}, '/x', ac.signal);
    expect(error).toBe(stop);
  });
});

describe('networkFailure: undici and Node error codes', () => {
  it.each<[string, string, Error]>([
    ['ConnectTimeoutError', 'connect_timeout', new errors.ConnectTimeoutError()],
    ['HeadersTimeoutError', 'headers_timeout', new errors.HeadersTimeoutError()],
    ['BodyTimeoutError', 'body_timeout', new errors.BodyTimeoutError()],
    ['SocketError', 'connection_reset', new errors.SocketError('other side closed')],
    ['ClientClosedError', 'connection_reset', new errors.ClientClosedError()],
    ['ResponseContentLengthMismatchError', 'truncated_body', new errors.ResponseContentLengthMismatchError()],
    ['RequestContentLengthMismatchError', 'truncated_body', new errors.RequestContentLengthMismatchError()],
    ['ECONNRESET', 'connection_reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['ECONNREFUSED', 'connection_refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['EPIPE', 'connection_reset', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
    ['HeadersOverflowError', 'network_error', new errors.HeadersOverflowError()],
    ['an error without a code', 'network_error', new Error('odd')],
  ])('%s → %s', (_name, reason, e) => {
    const mapped = networkFailure(e);
    expect(mapped).toBeInstanceOf(TransientError);
    expect([mapped.reason, mapped.message]).toEqual([reason, `${reason}: ${e.message}`]);
  });
});
