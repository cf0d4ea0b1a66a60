import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { dispatchHandlerFrom } from '../../adapters/lambda/dispatch-wiring.js';
import { EnvReader } from '../../adapters/lambda/env.js';
import { fetchHandlerFrom } from '../../adapters/lambda/fetch-wiring.js';
import { localContext } from '../../adapters/lambda/local-invocation.js';
import { normaliseHandlerFrom } from '../../adapters/lambda/normalise-wiring.js';
import type { WorkQueue } from '../../core/ports.js';
import type { WorkItem } from '../../core/work-item.js';
import { tempDir } from '../helpers/data-dir.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const quiet = () => ({ logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }) });
const schedule = JSON.parse(readFileSync(new URL('../../events/schedule-maxsold.json', import.meta.url), 'utf8')) as ScheduledEvent;
const noVisibility = { delay: async () => {} };

/** A queue that keeps what it is sent. */
function memoryQueue(): WorkQueue & { items: WorkItem[] } {
  const items: WorkItem[] = [];
  return { items, send: async (batch) => void items.push(...batch) };
}

describe('a handler wired from its environment (functions/*.ts and scraper invoke)', () => {
  const { dir, cleanup } = tempDir('wiring-');
  afterAll(cleanup);

  it('dispatch plans MAXSOLD_WINDOW ids from MAXSOLD_START_ID', async () => {
    const queue = memoryQueue();
    const handler = dispatchHandlerFrom(
      new EnvReader({ MAXSOLD_START_ID: '105000', MAXSOLD_WINDOW: '5' }),
      { store: new FsObjectStore(`${dir}/window`), queue },
      quiet(),
    );
    expect(await handler(schedule, localContext('dispatch', 30_000))).toMatchObject({ newIds: { from: 105000, to: 105004 } });
    expect(queue.items.slice(0, 5).map((i) => i.source === 'maxsold' && i.id)).toEqual(['105000', '105001', '105002', '105003', '105004']);
  });

  it('dispatch plans exactly MAXSOLD_IDS when it is set', async () => {
    const queue = memoryQueue();
    const handler = dispatchHandlerFrom(
      new EnvReader({ MAXSOLD_IDS: '100000-100002,100010' }),
      { store: new FsObjectStore(`${dir}/explicit`), queue },
      quiet(),
    );
    await handler(schedule, localContext('dispatch', 30_000));
    expect(queue.items.map((i) => i.source === 'maxsold' && i.id)).toEqual(['100000', '100001', '100002', '100010']);
  });

  const store = new FsObjectStore(`${dir}/unused`);
  const queue = memoryQueue();
  it.each([
    [
      'MAXSOLD_START_ID',
      '0',
      () => dispatchHandlerFrom(new EnvReader({ MAXSOLD_START_ID: '0' }), { store, queue }, quiet()),
      /^environment variable MAXSOLD_START_ID: expected a whole number from 1 to 99999999, got "0"$/,
    ],
    [
      'MAXSOLD_IDS',
      'abc',
      () => dispatchHandlerFrom(new EnvReader({ MAXSOLD_IDS: 'abc' }), { store, queue }, quiet()),
      /^environment variable MAXSOLD_IDS: expected auction ids like 100000-100500/,
    ],
    [
      'FETCH_CONCURRENCY',
      '0',
      () => fetchHandlerFrom(new EnvReader({ FETCH_CONCURRENCY: '0' }), { store, visibility: noVisibility }, quiet()),
      /^environment variable FETCH_CONCURRENCY: expected a whole number from 1 to 100, got "0"$/,
    ],
    [
      'FETCH_RATE',
      '-1',
      () => fetchHandlerFrom(new EnvReader({ FETCH_RATE: '-1' }), { store, visibility: noVisibility }, quiet()),
      /^environment variable FETCH_RATE: expected a positive number, got "-1"$/,
    ],
    [
      'MAX_RECEIVE_COUNT',
      'x',
      () => fetchHandlerFrom(new EnvReader({ MAX_RECEIVE_COUNT: 'x' }), { store, visibility: noVisibility }, quiet()),
      /^environment variable MAX_RECEIVE_COUNT: expected a whole number from 1 to 1000, got "x"$/,
    ],
    [
      'BIDS_EVERY_POLL',
      'yes',
      () => normaliseHandlerFrom(new EnvReader({ BIDS_EVERY_POLL: 'yes' }), { store, queue }, quiet()),
      /^environment variable BIDS_EVERY_POLL: expected true or false, got "yes"$/,
    ],
  ])('%s=%s fails the start naming the variable and the expected form', (_name, _value, build, message) => {
    expect(build).toThrow(message);
  });
});
