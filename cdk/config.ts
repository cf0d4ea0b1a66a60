import type { Construct } from 'constructs';
import { parseIdRanges } from '../core/planner.js';
import { FUNCTION_DEFAULTS } from '../core/function-defaults.js';
import { DEFAULT_USER_AGENT } from '../core/ports.js';

/**
 * Deployment settings, parsed once at synth from the CDK context and stack props.
 *
 * Set them in cdk.json (`"context": { "scraper": { "fetchMaxConcurrency": 10 } }`),
 * on the command line (`cdk synth -c scraper.fetchMaxConcurrency=10`, or
 * `-c scraper='{"fetchMaxConcurrency":10}'`), or in `ScraperStackProps.settings`.
 * Later sources win: context object, then `scraper.<key>` flags, then props.
 * An unknown key or a bad value fails the synth, naming the key and the expected form.
 */
export interface ScraperSettings {
  /** When the dispatcher plans MaxSold auctions. @default 'rate(1 hour)' */
  readonly maxsoldSchedule: string;
  /** When the dispatcher plans a VIA snapshot (EventBridge's finest rate is one minute). @default 'rate(1 minute)' */
  readonly viaSchedule: string;
  /** When compaction merges each partition's small Parquet files. @default 'cron(30 2 * * ? *)' (02:30 UTC daily) */
  readonly compactionSchedule: string;
  /** First auction id the dispatcher's cursor starts from. @default 104000 */
  readonly maxsoldStartId: number;
  /** New auction ids planned per MaxSold dispatch. @default 200 */
  readonly maxsoldWindow: number;
  /** An explicit id range (`100000-100500`, or core's comma mix); when set, every dispatch plans exactly it. @default - unset: the cursor moves by `maxsoldWindow` */
  readonly maxsoldIds?: string;
  /**
   * Fetch the bid histories of items with bids on every re-poll of an open auction too
   * (about one request per item with bids, each poll). Closed auctions' are always fetched
   * once, from the snapshot taken after the last lot closed. @default false
   */
  readonly maxsoldWithBids: boolean;
  /**
   * Concurrent fetch Lambdas in all: fetch's reserved concurrency, the semaphore. The two
   * work queues' event sources share it: `bidHistoryConcurrency` for bid histories, the
   * rest for polls (AWS allows each event source 2-1000, so at least 4). @default 5
   */
  readonly fetchMaxConcurrency: number;
  /**
   * Of fetchMaxConcurrency, the fetches that serve the bid-history queue (its event
   * source's maxConcurrency). Polls have the rest to themselves, so the ~100 bid histories
   * of each closed auction (100,000 when a first deploy meets a backlog) never delay a
   * re-poll. @default 2
   */
  readonly bidHistoryConcurrency: number;
  /** Requests one fetch invocation keeps open (core limiter). @default 4 */
  readonly fetchConcurrencyPerInvocation: number;
  /**
   * Requests started per second by one invocation. Keep fetchRate x fetchMaxConcurrency
   * under what the APIs accept: fetch containers do not share a Retry-After, so the
   * deployment's total must stay below the limit rather than find it. @default 8 (40/s in all)
   */
  readonly fetchRate: number;
  /** Messages per fetch invocation (above 10 SQS needs a batching window). @default 10 */
  readonly fetchBatchSize: number;
  /** Fetch function timeout; the queue's visibility timeout is 6 times it. @default 60 */
  readonly fetchTimeoutSeconds: number;
  /** Receives before a work item goes to the dead-letter queue (at least 5, so throttles and Retry-After waits don't dead-letter). @default 8 */
  readonly maxReceiveCount: number;
  /** Days raw responses are kept under `raw/`. @default 90 */
  readonly rawRetentionDays: number;
  /** Replaces both APIs' origin (paths stay the real ones), e.g. a simulator. @default - the real APIs */
  readonly baseUrl?: string;
  /** User-Agent sent with every request; put a real contact in it. @default DEFAULT_USER_AGENT */
  readonly userAgent: string;
  /** An email address subscribed to the alarm topic (it confirms the subscription by mail). @default - none */
  readonly alarmEmail?: string;
  /**
   * The account's Lambda concurrency quota ("Concurrent executions" in Service Quotas;
   * `aws lambda get-account-settings`). Fetch's reserved concurrency needs it to be at
   * least fetchMaxConcurrency + 100; the synth checks it when given. @default - unknown: the synth warns
   */
  readonly accountConcurrency?: number;
}

/** What a caller may pass: the same keys, numbers also as strings (CDK `-c` values are strings). */
export type ScraperSettingsInput = { readonly [K in keyof ScraperSettings]?: ScraperSettings[K] | string };

export const DEFAULT_SETTINGS: ScraperSettings = {
  maxsoldSchedule: 'rate(1 hour)',
  viaSchedule: 'rate(1 minute)',
  compactionSchedule: 'cron(30 2 * * ? *)',
  maxsoldStartId: FUNCTION_DEFAULTS.maxsoldStartId,
  maxsoldWindow: FUNCTION_DEFAULTS.maxsoldWindow,
  maxsoldWithBids: false,
  fetchMaxConcurrency: 5,
  bidHistoryConcurrency: 2,
  fetchConcurrencyPerInvocation: FUNCTION_DEFAULTS.fetchConcurrencyPerInvocation,
  fetchRate: FUNCTION_DEFAULTS.fetchRate,
  fetchBatchSize: 10,
  fetchTimeoutSeconds: 60,
  maxReceiveCount: FUNCTION_DEFAULTS.maxReceiveCount,
  rawRetentionDays: 90,
  userAgent: DEFAULT_USER_AGENT,
};

/** The CDK context key holding the settings object. */
export const CONTEXT_KEY = 'scraper';

/** A value that does not have the expected form; `parseSettings` adds the key. */
class Expected extends Error {}

type Parser<T> = (value: unknown) => T;

function wholeNumber(min: number, max: number): Parser<number> {
  return (value) => {
    const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new Expected(`a whole number from ${min} to ${max}`);
    return n;
  };
}

function positiveNumber(max: number): Parser<number> {
  return (value) => {
    const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > max)
      throw new Expected(`a number of requests per second above 0 and at most ${max}`);
    return n;
  };
}

const RATE = /^rate\((\d+) (minute|hour|day)(s?)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;

/** EventBridge's forms: `rate(1 hour)` (singular unit for 1, plural otherwise) or a six-field `cron(...)`. */
const schedule: Parser<string> = (value) => {
  const form = 'rate(<n> minute[s]|hour[s]|day[s]) or cron(<6 fields>)';
  if (typeof value !== 'string') throw new Expected(form);
  const rate = RATE.exec(value);
  if (rate) {
    const n = Number(rate[1]);
    if (n >= 1 && (n === 1) === (rate[3] === '')) return value;
  } else if (CRON.test(value)) {
    return value;
  }
  throw new Expected(form);
};

/** Ids exactly as the dispatcher will read them: core's planner parses the same string. */
const auctionIds: Parser<string> = (value) => {
  const form = 'auction ids like 100000-100500 or 103417,103420';
  if (typeof value !== 'string') throw new Expected(form);
  try {
    parseIdRanges(value);
  } catch (e) {
    throw new Expected(`${form} (${(e as Error).message})`);
  }
  return value.trim();
};

const flag: Parser<boolean> = (value) => {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Expected('true or false');
};

const origin: Parser<string> = (value) => {
  const form = 'an http(s) origin like https://example.com or http://127.0.0.1:8080, with no path';
  if (typeof value !== 'string' || !URL.canParse(value)) throw new Expected(form);
  const url = new URL(value);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) throw new Expected(form);
  return url.origin;
};

const headerValue: Parser<string> = (value) => {
  if (typeof value !== 'string' || value.length > 512 || !/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
    throw new Expected('printable ASCII text up to 512 characters, without leading or trailing spaces');
  }
  return value;
};

const email: Parser<string> = (value) => {
  if (typeof value !== 'string' || value.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
    throw new Expected('an email address like ops@example.org');
  return value;
};

const PARSERS: { readonly [K in keyof ScraperSettings]-?: Parser<NonNullable<ScraperSettings[K]>> } = {
  maxsoldSchedule: schedule,
  viaSchedule: schedule,
  compactionSchedule: schedule,
  maxsoldStartId: wholeNumber(1, 99_999_999),
  maxsoldWindow: wholeNumber(1, 10_000),
  maxsoldIds: auctionIds,
  maxsoldWithBids: flag,
  fetchMaxConcurrency: wholeNumber(4, 1000),
  bidHistoryConcurrency: wholeNumber(2, 998),
  fetchConcurrencyPerInvocation: wholeNumber(1, 100),
  fetchRate: positiveNumber(1000),
  fetchBatchSize: wholeNumber(1, 10),
  // Lambda's own limit is 900 s; 6 x 900 s stays under SQS's 12 h visibility ceiling.
  fetchTimeoutSeconds: wholeNumber(5, 900),
  maxReceiveCount: wholeNumber(5, 1000),
  rawRetentionDays: wholeNumber(1, 3650),
  baseUrl: origin,
  userAgent: headerValue,
  alarmEmail: email,
  accountConcurrency: wholeNumber(1, 1_000_000),
};

const KEYS = Object.keys(PARSERS) as (keyof ScraperSettings)[];

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Settings from raw input: unknown keys and bad values throw
 * `scraper.<key>: expected <form>, got <value>`; absent keys take DEFAULT_SETTINGS.
 * `null` leaves an optional key unset.
 */
export function parseSettings(input: Readonly<Record<string, unknown>>): ScraperSettings {
  const unknown = Object.keys(input).filter((k) => !(KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`${CONTEXT_KEY}.${unknown[0]}: unknown setting; expected one of ${KEYS.join(', ')}`);
  }
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of KEYS) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    try {
      settings[key] = PARSERS[key](value);
    } catch (e) {
      if (!(e instanceof Expected)) throw e;
      throw new Error(`${CONTEXT_KEY}.${key}: expected ${e.message}, got ${show(value)}`);
    }
  }
  const parsed = settings as unknown as ScraperSettings;
  if (pollConcurrency(parsed) < 2) {
    throw new Error(
      `${CONTEXT_KEY}.bidHistoryConcurrency: expected a whole number from 2 to fetchMaxConcurrency - 2 (${parsed.fetchMaxConcurrency - 2}), ` +
        `got ${parsed.bidHistoryConcurrency}: polls need at least 2 of the ${parsed.fetchMaxConcurrency} concurrent fetches`,
    );
  }
  return parsed;
}

/** The polls' share of fetchMaxConcurrency: the work queue's event source maxConcurrency. */
export function pollConcurrency(settings: ScraperSettings): number {
  return settings.fetchMaxConcurrency - settings.bidHistoryConcurrency;
}

/** The raw `scraper` object and `scraper.<key>` entries from a construct's context, in that order. */
export function settingsFromContext(scope: Construct): Record<string, unknown> {
  return settingsFromContextValues(scope.node.getAllContext() as Record<string, unknown>);
}

/** The same from context values as the CDK merges them (cdk.json's `context`, then `-c` entries). */
export function settingsFromContextValues(all: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let object: unknown = all[CONTEXT_KEY] ?? {};
  if (typeof object === 'string') {
    try {
      object = JSON.parse(object);
    } catch {
      throw new Error(`${CONTEXT_KEY}: expected a JSON object of settings, got ${show(object)}`);
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new Error(`${CONTEXT_KEY}: expected an object of settings, got ${show(object)}`);
  }
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(`${CONTEXT_KEY}.`)) flat[key.slice(CONTEXT_KEY.length + 1)] = value;
  }
  return { ...(object as Record<string, unknown>), ...flat };
}

/** Settings for a stack: context first, then props; parsed and checked once. */
export function resolveSettings(scope: Construct, props: ScraperSettingsInput = {}): ScraperSettings {
  const given = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
  return parseSettings({ ...settingsFromContext(scope), ...given });
}

/** Lambda keeps this much of the account's concurrency unreserved. */
export const UNRESERVED_MINIMUM = 100;

/** The account quota the stack's reserved concurrency needs. */
export function requiredAccountConcurrency(settings: ScraperSettings): number {
  return settings.fetchMaxConcurrency + UNRESERVED_MINIMUM;
}

/**
 * What must hold before anything is deployed: a User-Agent with a real contact (the
 * default is a placeholder), and an account quota that fits the reserved concurrency
 * when the quota is stated. Throws naming the setting.
 */
export function checkDeployable(settings: ScraperSettings): void {
  if (settings.userAgent === DEFAULT_USER_AGENT || /you@example\.com/i.test(settings.userAgent)) {
    throw new Error(
      `${CONTEXT_KEY}.userAgent: still the placeholder "${settings.userAgent}". The APIs are asked for by name: set a User-Agent with your contact, e.g. ` +
        `cdk deploy -c ${CONTEXT_KEY}.userAgent="my-scraper/1.0 (+https://example.org; ops@example.org)", or in cdk.json under context.${CONTEXT_KEY}.userAgent`,
    );
  }
  const needed = requiredAccountConcurrency(settings);
  if (settings.accountConcurrency !== undefined && settings.accountConcurrency < needed) {
    throw new Error(
      `${CONTEXT_KEY}.accountConcurrency: ${settings.accountConcurrency} is below the ${needed} that fetch's reserved concurrency of ${settings.fetchMaxConcurrency} (fetchMaxConcurrency) needs, ` +
        `as Lambda keeps ${UNRESERVED_MINIMUM} unreserved. Ask for a higher "Concurrent executions" quota in Service Quotas (new accounts often have 10) before deploying.`,
    );
  }
}

/**
 * The most requests the deployment can have open at once: concurrent fetch
 * invocations (the event sources' maxConcurrency, fetchMaxConcurrency in all) times each one's limiter.
 */
export function openRequestCeiling(settings: ScraperSettings): number {
  return settings.fetchMaxConcurrency * settings.fetchConcurrencyPerInvocation;
}
