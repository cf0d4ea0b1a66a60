import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNormaliseHandler } from '../../adapters/lambda/normalise-handler.js';
import { InlineProcessor } from '../../adapters/inline-processor.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { SqsWorkQueue } from '../../adapters/sqs-queue.js';
import { loadTableEncoder } from '../../adapters/table-encoder.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import { fixtureBytes, fixtureText } from '../helpers/fixtures.js';
import { lambdaContext, startAws } from '../helpers/aws.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let aws: Awaited<ReturnType<typeof startAws>>;
let store: S3ObjectStore;

beforeAll(async () => {
  aws = await startAws();
  store = new S3ObjectStore(aws.s3, aws.bucket);
});
afterAll(async () => aws?.stop());

// The recorded auction's last lot closes 2026-01-03T01:18Z; its items with bids, from the fixture itself.
const KEY = 'raw/source=maxsold/dt=2026-01-02/auction=104375.json.gz';
const withBids = (
  JSON.parse(fixtureText('maxsold/auction-104375.json')) as { auction: { items: { id: number; bid_count: number }[] } }
).auction.items
  .filter((i) => i.bid_count > 0)
  .map((i) => String(i.id))
  .sort();
const s3Event = (key: string) =>
  ({
    Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: aws.bucket }, object: { key } } }],
  }) as unknown as S3Event;

async function normaliseFetchedAt(fetchedAt: string, everyPoll: boolean): Promise<string[]> {
  await store.put(KEY, gzipSync(fixtureBytes('maxsold/auction-104375.json')), {
    'fetched-at': fetchedAt,
    url: 'https://maxsold.maxsold.com/msapi/auctions/items?auctionid=104375&limit=1000',
  });
  const handler = createNormaliseHandler({
    store,
    processor: new InlineProcessor({ origins: REAL_ORIGINS }, store, loadTableEncoder),
    bids: { queue: new SqsWorkQueue(aws.sqs, aws.queueUrl), everyPoll },
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
  });
  expect(await handler(s3Event(KEY), lambdaContext())).toEqual({ [KEY]: 'fetched' });
  const planned: string[] = [];
  for (let m = await aws.receive(); m.length > 0; m = await aws.receive()) planned.push(...m.map((x) => x.Body!));
  return planned;
}

describe('the normaliser plans bid histories', () => {
  it('for every item with bids, from the snapshot taken after the auction closed', async () => {
    expect(withBids.length).toBeGreaterThan(10);
    const planned = (await normaliseFetchedAt('2026-01-03T02:00:00.000Z', false)).map(
      (b) => JSON.parse(b) as { id: string; itemId: string; dt: string },
    );
    expect(planned.map((p) => p.itemId).sort()).toEqual(withBids);
    expect(planned.every((p) => p.id === '104375' && p.dt === '2026-01-02')).toBe(true);
  });

  it('not while it is open, unless every poll asks for them', async () => {
    expect(await normaliseFetchedAt('2026-01-02T18:19:14.000Z', false)).toEqual([]);
    expect(await normaliseFetchedAt('2026-01-02T18:19:14.000Z', true)).toHaveLength(withBids.length);
  });
});
