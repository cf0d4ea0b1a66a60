/** The simulator's options, their defaults, and checks that name the bad option. */
import { isIP } from 'node:net';
import { FAULT_KINDS, isFaultKind, PERMANENT_FAULTS, TRANSIENT_FAULTS, type FaultKind, type FaultRates } from './faults.js';
import { LiveAuctions, type LiveAuctionOptions } from './live-auctions.js';

export interface RateLimitOptions {
  /** Tokens refilled per second; required, > 0. */
  perSecond: number;
  /** Bucket size, the requests allowed at once after a quiet spell. Default: one second's worth, `max(1, ceil(perSecond))`. */
  burst?: number;
  /** Form of `Retry-After` on a 429: whole seconds (default `'seconds'`) or an HTTP date (`'http-date'`). */
  retryAfter?: 'seconds' | 'http-date';
}

export interface SimulatorOptions {
  /** TCP port. Default 0 (any free port). */
  port?: number;
  /**
   * Address to listen on. Default 127.0.0.1 (loopback only); another address of this machine
   * when something outside it must reach the simulator (a container's, with `sam local` on Linux).
   */
  host?: string;
  /** Added before every API response, in ms. Default 0. */
  latencyMs?: number;
  /** Uniform ± spread around `latencyMs`, in ms (never below 0 in total). Default 0. */
  jitterMs?: number;
  /** Global token bucket; over it: 429 with Retry-After. Default: no limit. */
  rateLimit?: RateLimitOptions;
  /** Requests open at once above which a new one gets 503 with `Retry-After: 1`. Default: no limit. */
  maxInFlight?: number;
  /** Fault probabilities, 0..1 per kind (see faults.ts). Default {} (none). */
  faults?: FaultRates;
  /** Seed of the fault draws and of the latency jitter. Default 1. */
  faultSeed?: number;
  /** Auction id → fault it always gets, overriding `faults` for that id. Default {}. */
  forced?: Record<number, FaultKind>;
  /** How many requests of a forced id fail with a forced transient fault before it succeeds. Default 1. */
  forcedTimes?: number;
  /** Delay of the `slow` fault, in ms. Default 2000. */
  slowMs?: number;
  /** Whether the transient fault rates also apply to `/data/allData.json`. Default false. */
  viaFaults?: boolean;
  /** Auction ids that answer 404, besides ids < 1 and `notFound` faults. Default: none. */
  missingIds?: (id: number) => boolean;
  /** Grace after a 429/503 finished during which arriving requests are not Retry-After violations, ms. Default 50. */
  retryAfterGraceMs?: number;
  /** Bodies kept ready (plain + gzip). Default 2000 entries. */
  cacheEntries?: number;
  /** Upper bound of the body cache in bytes. Default 256 MiB. */
  cacheMaxBytes?: number;
  /** How long an idle keep-alive connection stays open, ms. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** The clock VIA snapshots (and a live world's auctions) are rendered for (epoch ms). Default `Date.now`. */
  clock?: () => number;
  /**
   * Auctions that live in time (see live-auctions.ts): ids appear at a rate, with gaps;
   * bids and soft-close extensions show as `clock` passes. Default: none (every id
   * exists, with its fixed auction).
   */
  live?: LiveAuctionOptions;
  /**
   * Auction ids whose gzipped bodies (as the scraper first asks: `limit=1000`) are made
   * before the server listens, so that serving them costs the server little CPU (a
   * benchmark measures the client). The cache grows to hold them. Default: none.
   */
  pregenerate?: { from: number; to: number };
}

export interface ResolvedOptions {
  port: number;
  host: string;
  latencyMs: number;
  jitterMs: number;
  rateLimit: Required<RateLimitOptions> | null;
  maxInFlight: number;
  faults: FaultRates;
  faultSeed: number;
  forced: Record<number, FaultKind>;
  forcedTimes: number;
  slowMs: number;
  viaFaults: boolean;
  missingIds: ((id: number) => boolean) | null;
  retryAfterGraceMs: number;
  cacheEntries: number;
  cacheMaxBytes: number;
  keepAliveTimeoutMs: number;
  clock: () => number;
  live: LiveAuctions | null;
  pregenerate: { from: number; to: number } | null;
}

const KNOWN = new Set([
  'port',
  'host',
  'latencyMs',
  'jitterMs',
  'rateLimit',
  'maxInFlight',
  'faults',
  'faultSeed',
  'forced',
  'forcedTimes',
  'slowMs',
  'viaFaults',
  'missingIds',
  'retryAfterGraceMs',
  'cacheEntries',
  'cacheMaxBytes',
  'keepAliveTimeoutMs',
  'clock',
  'live',
  'pregenerate',
]);

function fail(name: string, expected: string, value: unknown): never {
  const shown = typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value));
  throw new TypeError(`startSimulator: option "${name}" must be ${expected} (got ${shown})`);
}

function num(name: string, value: unknown, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  if (!ok) fail(name, `${integer ? 'an integer' : 'a finite number'} >= ${min}`, value);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rateLimit(value: unknown): Required<RateLimitOptions> | null {
  if (value === undefined) return null;
  const form = '{ perSecond: number > 0, burst?: integer >= 1, retryAfter?: "seconds" | "http-date" }';
  if (!isRecord(value)) fail('rateLimit', form, value);
  const { perSecond, burst, retryAfter } = value;
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0)
    fail('rateLimit.perSecond', 'a finite number > 0', perSecond);
  const b = num('rateLimit.burst', burst, Math.max(1, Math.ceil(perSecond)), 1, true);
  if (retryAfter !== undefined && retryAfter !== 'seconds' && retryAfter !== 'http-date')
    fail('rateLimit.retryAfter', '"seconds" or "http-date"', retryAfter);
  return { perSecond, burst: b, retryAfter: retryAfter ?? 'seconds' };
}

function faultRates(value: unknown): FaultRates {
  if (value === undefined) return {};
  if (!isRecord(value)) fail('faults', `an object of rates 0..1 keyed by ${FAULT_KINDS.join(' | ')}`, value);
  const out: FaultRates = {};
  for (const [kind, rate] of Object.entries(value)) {
    if (!isFaultKind(kind)) fail(`faults.${kind}`, `one of the kinds ${FAULT_KINDS.join(', ')}`, kind);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) fail(`faults.${kind}`, 'a probability 0..1', rate);
    out[kind] = rate;
  }
  for (const group of [PERMANENT_FAULTS, TRANSIENT_FAULTS]) {
    const sum = group.reduce((s, k) => s + (out[k] ?? 0), 0);
    if (sum > 1 + 1e-9) fail('faults', `rates whose ${group.join(' + ')} add up to at most 1`, value);
  }
  return out;
}

function forced(value: unknown): Record<number, FaultKind> {
  if (value === undefined) return {};
  if (!isRecord(value)) fail('forced', '{ [auctionId: number]: FaultKind }', value);
  const out: Record<number, FaultKind> = {};
  for (const [id, kind] of Object.entries(value)) {
    if (!/^[1-9]\d*$/.test(id)) fail('forced', 'keyed by positive integer auction ids', id);
    if (!isFaultKind(kind)) fail(`forced.${id}`, `one of ${FAULT_KINDS.join(', ')}`, kind);
    out[Number(id)] = kind;
  }
  return out;
}

export function resolveOptions(options: unknown = {}): ResolvedOptions {
  if (!isRecord(options)) fail('options', 'an object', options);
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) fail(key, `one of the known options (${[...KNOWN].join(', ')})`, options[key]);
  const o = options as SimulatorOptions;
  if (o.missingIds !== undefined && typeof o.missingIds !== 'function')
    fail('missingIds', 'a function (id: number) => boolean', o.missingIds);
  if (o.clock !== undefined && typeof o.clock !== 'function') fail('clock', 'a function () => epoch ms', o.clock);
  if (o.viaFaults !== undefined && typeof o.viaFaults !== 'boolean') fail('viaFaults', 'a boolean', o.viaFaults);
  const port = num('port', o.port, 0, 0, true);
  const pre = o.pregenerate;
  if (
    pre !== undefined &&
    !(
      isRecord(pre) &&
      Number.isInteger(pre.from) &&
      Number.isInteger(pre.to) &&
      pre.from >= 1 &&
      pre.to >= pre.from &&
      pre.to - pre.from < 1_000_000
    )
  ) {
    fail('pregenerate', '{ from, to }: auction ids from 1 up, at most 1,000,000 of them', pre);
  }
  if (port > 65535) fail('port', 'an integer 0..65535', port);
  if (o.host !== undefined && (typeof o.host !== 'string' || isIP(o.host) === 0))
    fail('host', 'an IP address of this machine, e.g. 127.0.0.1', o.host);
  return {
    port,
    host: o.host ?? '127.0.0.1',
    latencyMs: num('latencyMs', o.latencyMs, 0, 0),
    jitterMs: num('jitterMs', o.jitterMs, 0, 0),
    rateLimit: rateLimit(o.rateLimit),
    maxInFlight: o.maxInFlight === undefined ? Infinity : num('maxInFlight', o.maxInFlight, 0, 1, true),
    faults: faultRates(o.faults),
    faultSeed: num('faultSeed', o.faultSeed, 1, 0, true),
    forced: forced(o.forced),
    forcedTimes: num('forcedTimes', o.forcedTimes, 1, 1, true),
    slowMs: num('slowMs', o.slowMs, 2000, 0),
    viaFaults: o.viaFaults ?? false,
    missingIds: o.missingIds ?? null,
    retryAfterGraceMs: num('retryAfterGraceMs', o.retryAfterGraceMs, 50, 0),
    cacheEntries: Math.max(num('cacheEntries', o.cacheEntries, 2000, 0, true), pre ? pre.to - pre.from + 1 + 2000 : 0),
    cacheMaxBytes: Math.max(num('cacheMaxBytes', o.cacheMaxBytes, 256 * 1024 * 1024, 0), pre ? (pre.to - pre.from + 1) * 64 * 1024 : 0),
    keepAliveTimeoutMs: num('keepAliveTimeoutMs', o.keepAliveTimeoutMs, 5000, 0),
    clock: o.clock ?? (() => Date.now()),
    live: o.live === undefined ? null : new LiveAuctions(o.live),
    pregenerate: pre ?? null,
  };
}
