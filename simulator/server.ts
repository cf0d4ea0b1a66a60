/**
 * The HTTP simulator: MaxSold and VIA on 127.0.0.1 (or `host`), with latency, a rate limit, a
 * concurrency limit, injected faults, gzip, ETags, and counters for tests and benchmarks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { ArrivalClock } from './arrival.js';
import { BodyCache } from './body-cache.js';
import { METHOD_HTML, TOO_MANY_JSON, UNAVAILABLE_JSON } from './fault-bodies.js';
import { FaultPlan } from './faults.js';
import { resolveOptions, type SimulatorOptions } from './options.js';
import { hash32, mulberry32 } from './prng.js';
import { TokenBucket } from './rate-limit.js';
import type { LiveAuctions } from './live-auctions.js';
import { classify, decide, type Reply, type RouteContext } from './routes.js';
import { StatsRecorder, type SimulatorStats } from './stats.js';

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT` (the host it listens on), no trailing slash. */
  url: string;
  port: number;
  stats(): SimulatorStats;
  /** Zeroes the counters and the fault plan's request counts (forced faults fire again). */
  resetStats(): void;
  /** MaxSold requests seen for one auction id. */
  requestsFor(auctionId: number): number;
  /** Stops listening and destroys open sockets, so tests end at once. */
  close(): Promise<void>;
  /** The live world, when started with `live` (what existed, when it closed). */
  live: LiveAuctions | null;
}

type Headers = Record<string, string | number>;

const JSON_TYPE = 'application/json; charset=utf-8';

/** Whether Accept-Encoding allows gzip (`gzip`, `gzip;q=0.5`, `*`; not `gzip;q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (name.trim() === 'gzip' || name.trim() === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Starts the simulator on 127.0.0.1 (or `host`). Routes: `GET /msapi/auctions/items?auctionid=N[&limit=L&offset=O][&itemid=M]`,
 * `GET /data/allData.json` (needs a User-Agent), `GET /__sim/stats`, `POST /__sim/reset`.
 * Throws a TypeError naming the option when an option is malformed.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const o = resolveOptions(options);
  const stats = new StatsRecorder(o.retryAfterGraceMs);
  const plan = new FaultPlan({ rates: o.faults, seed: o.faultSeed, forced: o.forced, forcedTimes: o.forcedTimes });
  const cache = new BodyCache(o.cacheEntries, o.cacheMaxBytes);
  const bucket = o.rateLimit ? new TokenBucket(o.rateLimit.perSecond, o.rateLimit.burst, Date.now()) : null;
  const jitter = mulberry32(hash32(o.faultSeed, 'jitter'));
  const ctx: RouteContext = {
    plan,
    viaFaults: o.viaFaults,
    slowMs: o.slowMs,
    missingIds: o.missingIds,
    clock: o.clock,
    startedAtMs: Math.floor(Date.now() / 1000) * 1000,
    live: o.live,
  };
  const timers = new Set<NodeJS.Timeout>();
  if (o.pregenerate) {
    // The bodies as a fault-free server makes them: the run's fault draws are left untouched.
    const clean: RouteContext = { ...ctx, plan: new FaultPlan({ rates: {}, seed: o.faultSeed, forced: {}, forcedTimes: 1 }) };
    for (let id = o.pregenerate.from; id <= o.pregenerate.to; id++) {
      const url = `/msapi/auctions/items?auctionid=${id}&limit=1000`;
      const r = decide(classify(url), url, undefined, clean).reply;
      if (r.kind === 'json') cache.get(r.key, true, r);
    }
  }

  /** Runs `fn` after `ms`; a simulator bug becomes a 500 for that request, not a crash. */
  function later(ms: number, req: IncomingMessage, res: ServerResponse, fn: () => void): void {
    const run = (): void => {
      try {
        fn();
      } catch (err) {
        if (!res.headersSent) send(req, res, 500, { 'Content-Type': 'text/plain' }, `simulator error: ${(err as Error).message}`);
      }
    };
    if (ms <= 0) return run();
    const t = setTimeout(() => {
      timers.delete(t);
      run();
    }, ms);
    timers.add(t);
  }

  function latency(): number {
    return Math.max(0, o.latencyMs + (o.jitterMs ? (jitter() * 2 - 1) * o.jitterMs : 0));
  }

  function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Headers, body: Buffer | string): void {
    if (res.destroyed) return;
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    res.writeHead(status, { ...headers, 'Content-Length': bytes });
    res.end(req.method === 'HEAD' ? undefined : body);
    stats.status(status, req.method === 'HEAD' ? 0 : bytes);
  }

  /**
   * 429/503 with Retry-After. The wait counts from when the response is sent (a client
   * can only receive it after that, so its own deadline is never earlier); requests
   * arriving within the grace after the response finished were on their way already.
   */
  function refuse(req: IncomingMessage, res: ServerResponse, status: 429 | 503, waitMs: number): void {
    let value: string;
    let expiresAt: number;
    if (status === 429 && o.rateLimit?.retryAfter === 'http-date') {
      expiresAt = Math.ceil((Date.now() + waitMs) / 1000) * 1000;
      value = new Date(expiresAt).toUTCString();
    } else {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      value = String(seconds);
      expiresAt = Date.now() + seconds * 1000;
    }
    res.once('finish', () => stats.retryAfterSent(Date.now(), expiresAt));
    send(req, res, status, { 'Content-Type': JSON_TYPE, 'Retry-After': value }, status === 429 ? TOO_MANY_JSON : UNAVAILABLE_JSON);
  }

  function reply(req: IncomingMessage, res: ServerResponse, r: Reply): void {
    if (r.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (r.kind === 'fixed') return send(req, res, r.status, { 'Content-Type': r.contentType }, r.text);
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    const { body, bytes } = cache.get(r.key, gzip, r);
    const headers: Headers = { 'Content-Type': JSON_TYPE, ETag: body.etag, 'Last-Modified': body.lastModified, Vary: 'Accept-Encoding' };
    if (etagMatches(req.headers['if-none-match'], body.etag)) return send(req, res, 304, headers, '');
    send(req, res, 200, gzip ? { ...headers, 'Content-Encoding': 'gzip' } : headers, bytes);
  }

  function control(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path === '/__sim/stats' && req.method === 'GET') {
      const text = JSON.stringify(stats.snapshot());
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) }).end(text);
    } else if (path === '/__sim/reset' && req.method === 'POST') {
      resetStats();
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 }).end('not found');
    }
  }

  function resetStats(): void {
    stats.reset();
    plan.reset();
  }

  const BEAT_MS = 5;
  const arrival = new ArrivalClock(BEAT_MS, Date.now(), performance.now());
  const heartbeat = setInterval(() => {
    if (arrival.beat(Date.now(), performance.now())) setImmediate(() => arrival.turnEnded());
  }, BEAT_MS);
  heartbeat.unref();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    if (rawUrl.startsWith('/__sim/')) return control(req, res, rawUrl.split('?')[0] ?? rawUrl);
    const now = Date.now();
    const info = classify(rawUrl);
    stats.arrived(arrival.earliest(now, performance.now()), now, info.route, info.auctionId);
    let open = true;
    res.once('close', () => {
      if (open) stats.left();
      open = false;
    });
    const wait = latency();
    if (stats.inFlight > o.maxInFlight) return later(wait, req, res, () => refuse(req, res, 503, 1000));
    const token = bucket?.take(now);
    if (token && !token.ok) return later(wait, req, res, () => refuse(req, res, 429, token.waitMs));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return later(wait, req, res, () =>
        send(req, res, 405, { 'Content-Type': 'text/html; charset=utf-8', Allow: 'GET, HEAD' }, METHOD_HTML),
      );
    }
    const decision = decide(info, rawUrl, req.headers['user-agent'], ctx);
    if (decision.fault) stats.fault(decision.fault);
    later(wait + decision.delayMs, req, res, () => reply(req, res, decision.reply));
  }

  const server = createServer((req, res) => later(0, req, res, () => handle(req, res)));
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const shutDown = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      clearInterval(heartbeat);
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections(); // idle and busy keep-alive sockets alike: tests end at once
    });

  return {
    url: `http://${isIP(o.host) === 6 ? `[${o.host}]` : o.host}:${port}`,
    port,
    stats: () => stats.snapshot(),
    resetStats,
    requestsFor: (auctionId) => stats.requestsFor(auctionId),
    close: () => (closing ??= shutDown()),
    live: o.live,
  };
}
