import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, openRequestCeiling, parseSettings, resolveSettings } from '../../cdk/config.js';
import { testApp } from './cdk-app.js';

describe('settings', () => {
  it('are the documented defaults when nothing is set', () => {
    expect(parseSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      maxsoldSchedule: 'rate(1 hour)',
      viaSchedule: 'rate(1 minute)',
      compactionSchedule: 'cron(30 2 * * ? *)',
      maxsoldStartId: 104000,
      maxsoldWindow: 200,
      fetchMaxConcurrency: 5,
      fetchConcurrencyPerInvocation: 4,
      fetchRate: 8,
      fetchBatchSize: 10,
      fetchTimeoutSeconds: 60,
      maxReceiveCount: 8,
      rawRetentionDays: 90,
    });
    expect(DEFAULT_SETTINGS.userAgent).toMatch(/contact/);
    expect(DEFAULT_SETTINGS).not.toHaveProperty('maxsoldIds');
    expect(DEFAULT_SETTINGS).not.toHaveProperty('baseUrl');
  });

  it('state the open-request ceiling as maxConcurrency x per-invocation concurrency', () => {
    expect(openRequestCeiling(DEFAULT_SETTINGS)).toBe(20);
    expect(openRequestCeiling(parseSettings({ fetchMaxConcurrency: 10, fetchConcurrencyPerInvocation: 8 }))).toBe(80);
  });

  it('accept numbers given as strings, as `cdk -c` passes them', () => {
    expect(parseSettings({ fetchMaxConcurrency: '12', fetchRate: '0.5', maxReceiveCount: '10' })).toMatchObject({
      fetchMaxConcurrency: 12,
      fetchRate: 0.5,
      maxReceiveCount: 10,
    });
  });

  it('keep an explicit id range in core planner form and a base URL as its origin', () => {
    expect(parseSettings({ maxsoldIds: '100000-100500', baseUrl: 'http://127.0.0.1:8080/' })).toMatchObject({
      maxsoldIds: '100000-100500',
      baseUrl: 'http://127.0.0.1:8080',
    });
  });

  it('take schedules in both EventBridge forms', () => {
    expect(parseSettings({ viaSchedule: 'rate(5 minutes)', compactionSchedule: 'cron(0 4 ? * MON *)' })).toMatchObject({
      viaSchedule: 'rate(5 minutes)',
      compactionSchedule: 'cron(0 4 ? * MON *)',
    });
  });

  it.each([
    [{ fetchMaxConcurrency: 'x' }, 'scraper.fetchMaxConcurrency: expected a whole number from 4 to 1000, got "x"'],
    [{ fetchMaxConcurrency: 1 }, 'scraper.fetchMaxConcurrency: expected a whole number from 4 to 1000, got 1'],
    [{ fetchMaxConcurrency: 1001 }, 'scraper.fetchMaxConcurrency: expected a whole number from 4 to 1000, got 1001'],
    [{ fetchMaxConcurrency: 4.5 }, 'scraper.fetchMaxConcurrency: expected a whole number from 4 to 1000, got 4.5'],
    [{ maxReceiveCount: 4 }, 'scraper.maxReceiveCount: expected a whole number from 5 to 1000, got 4'],
    [{ fetchBatchSize: 11 }, 'scraper.fetchBatchSize: expected a whole number from 1 to 10, got 11'],
    [{ fetchTimeoutSeconds: 901 }, 'scraper.fetchTimeoutSeconds: expected a whole number from 5 to 900, got 901'],
    [{ fetchRate: 0 }, 'scraper.fetchRate: expected a number of requests per second above 0 and at most 1000, got 0'],
    [
      { maxsoldSchedule: 'rate(1 hours)' },
      'scraper.maxsoldSchedule: expected rate(<n> minute[s]|hour[s]|day[s]) or cron(<6 fields>), got "rate(1 hours)"',
    ],
    [
      { viaSchedule: 'every minute' },
      'scraper.viaSchedule: expected rate(<n> minute[s]|hour[s]|day[s]) or cron(<6 fields>), got "every minute"',
    ],
    [
      { compactionSchedule: 'cron(30 2 * * *)' },
      'scraper.compactionSchedule: expected rate(<n> minute[s]|hour[s]|day[s]) or cron(<6 fields>), got "cron(30 2 * * *)"',
    ],
    [
      { baseUrl: 'http://127.0.0.1:8080/msapi' },
      'scraper.baseUrl: expected an http(s) origin like https://example.com or http://127.0.0.1:8080, with no path, got "http://127.0.0.1:8080/msapi"',
    ],
    [
      { userAgent: '' },
      'scraper.userAgent: expected printable ASCII text up to 512 characters, without leading or trailing spaces, got ""',
    ],
  ])('reject %j, naming the key and the expected form', (input, message) => {
    expect(() => parseSettings(input)).toThrow(message);
  });

  it("reject an id range that ends before it starts, with core's reason", () => {
    expect(() => parseSettings({ maxsoldIds: '100500-100000' })).toThrow(
      /^scraper\.maxsoldIds: expected auction ids like 100000-100500 or 103417,103420 \(range "100500-100000" ends before it starts\), got "100500-100000"$/,
    );
  });

  it('reject an unknown key, listing the known ones', () => {
    expect(() => parseSettings({ fetchMaxConcurency: 5 })).toThrow(
      /^scraper\.fetchMaxConcurency: unknown setting; expected one of maxsoldSchedule, .*fetchMaxConcurrency/,
    );
  });

  it('come from the `scraper` context object, then `scraper.<key>` flags, then props', () => {
    const app = testApp({
      scraper: { fetchMaxConcurrency: 6, fetchBatchSize: 3, maxReceiveCount: 9 },
      'scraper.fetchBatchSize': '4',
      'scraper.maxReceiveCount': '7',
    });
    expect(resolveSettings(app, { maxReceiveCount: 12 })).toMatchObject({ fetchMaxConcurrency: 6, fetchBatchSize: 4, maxReceiveCount: 12 });
  });

  it("accept the context object as a JSON string (`cdk synth -c scraper='{…}'`)", () => {
    expect(resolveSettings(testApp({ scraper: '{"fetchMaxConcurrency":9}' }))).toMatchObject({ fetchMaxConcurrency: 9 });
  });

  it('reject a context object that is not one', () => {
    expect(() => resolveSettings(testApp({ scraper: '{oops' }))).toThrow('scraper: expected a JSON object of settings, got "{oops"');
    expect(() => resolveSettings(testApp({ scraper: [1] }))).toThrow('scraper: expected an object of settings, got [1]');
  });

  it('reject an unknown `scraper.<key>` flag', () => {
    expect(() => resolveSettings(testApp({ 'scraper.maxRecieveCount': '9' }))).toThrow(/^scraper\.maxRecieveCount: unknown setting/);
  });
});

// The CDK CLI otherwise looks up its notices and sends usage telemetry on every command, so the
// synth the docs call offline (and `scraper cloud`'s) would try the network.
it('cdk.json keeps the CLI off the network: no notices, no telemetry', () => {
  const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { notices?: unknown; context?: Record<string, unknown> };
  expect(cdk.notices).toBe(false);
  expect(cdk.context?.['cli-telemetry']).toBe(false);
});
