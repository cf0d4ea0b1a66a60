import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaFetchContext } from '../../adapters/lambda/fetch-deps.js';
import { createFetchHandler } from '../../adapters/lambda/fetch-handler.js';
import { S3_METADATA_BYTES } from '../../adapters/s3-metadata.js';
import { S3ObjectStore } from '../../adapters/s3-store.js';
import { UndiciHttpClient } from '../../adapters/undici-http.js';
import { gunzipSync } from 'node:zlib';
import { auctionFor, auctionId, JSON_TYPE, respond, startHostileServer, type HostileServer } from '../helpers/hostile-server.js';
import { lambdaContext, sqsEvent, startAws } from '../helpers/aws.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const LIMIT = 1_000_000;
// Auction 1: a valid body with an ETag of 3,000 characters, not ASCII. Auction 2: a body past the size limit.
// Auction 3: an unchanging body with an ETag, answered 304 when asked with it.
const LONG_ETAG = `W/"${'\xe9'.repeat(3000)}"`;

let aws: Awaited<ReturnType<typeof startAws>>;
let server: HostileServer;
let store: S3ObjectStore;
const http = new UndiciHttpClient({ connections: 4, maxBodyBytes: LIMIT });
const visibility = { delay: vi.fn(async () => {}) };

beforeAll(async () => {
  aws = await startAws();
  store = new S3ObjectStore(aws.s3, aws.bucket);
  server = await startHostileServer((socket, req) => {
    const id = auctionId(req.path);
    if (id === 3) {
      if (req.headers['if-none-match'] === '"v1"') respond(socket, 304, { etag: '"v1"' });
      else respond(socket, 200, { ...JSON_TYPE, etag: '"v1"' }, auctionFor(req.path));
    } else if (id === 1)
      respond(socket, 200, { ...JSON_TYPE, etag: LONG_ETAG, 'last-modified': 'Thu, 26 Nov 2026 10:00:00 GMT' }, auctionFor(req.path));
    else respond(socket, 200, JSON_TYPE, `{"auction":{"id":${id},"title":"${'x'.repeat(LIMIT)}"},"items":[]}`);
  });
});
afterAll(async () => {
  await http.close();
  await server?.close();
  await aws?.stop();
});

const record = (id: number, receives: number, final?: true) => ({
  MessageId: `m-${id}`,
  ReceiptHandle: `r-${id}`,
  Body: JSON.stringify({ source: 'maxsold', id: String(id), dt: '2026-11-26', final }),
  Attributes: { ApproximateReceiveCount: String(receives) },
});
const handler = () =>
  createFetchHandler({
    fetch: lambdaFetchContext(http, store, { concurrency: 2, baseUrl: server.url }),
    store,
    visibility,
    maxReceiveCount: 5,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
  });

describe('fetch handler, responses S3 could not store as they came', () => {
  it('a validator S3 metadata cannot hold is left out and named; the body is stored on the first delivery', async () => {
    const res = await handler()(sqsEvent([record(1, 1)]), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    const head = await aws.s3.send(
      new HeadObjectCommand({ Bucket: aws.bucket, Key: 'raw/source=maxsold/dt=2026-11-26/auction=1.json.gz' }),
    );
    const metadata = head.Metadata ?? {};
    expect(metadata.dropped).toBe('etag');
    expect(metadata.etag).toBeUndefined();
    expect(metadata['last-modified']).toBe('Thu, 26 Nov 2026 10:00:00 GMT');
    const size = Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    expect(size).toBeLessThanOrEqual(S3_METADATA_BYTES);
    for (const v of Object.values(metadata)) expect(v).toMatch(/^[\x20-\x7e]*$/);
  });

  it('a body past the size limit is quarantined with its first bytes on the first delivery, not retried', async () => {
    visibility.delay.mockClear();
    const res = await handler()(sqsEvent([record(2, 1)]), lambdaContext());
    expect(res.batchItemFailures).toEqual([]);
    expect(visibility.delay).not.toHaveBeenCalled();
    expect(await aws.keys('raw/source=maxsold/dt=2026-11-26/auction=2')).toEqual([]);
    const kept = await store.get('quarantine/source=maxsold/dt=2026-11-26/auction=2.json.gz');
    expect(kept?.metadata).toMatchObject({ reason: 'too_large', 'size-limit': String(LIMIT), attempts: '1' });
    expect(new TextDecoder().decode(gunzipSync(kept!.body)).startsWith('{"auction":{"id":2,')).toBe(true);
  });

  it('a final poll is asked unconditionally and stored though unchanged: the closed auction gets a row fetched after its close', async () => {
    const key = 'raw/source=maxsold/dt=2026-11-26/auction=3.json.gz';
    const fetchedAt = async () => (await store.head(key))?.['fetched-at'];
    await handler()(sqsEvent([record(3, 1)]), lambdaContext());
    const first = await fetchedAt();
    await new Promise((r) => setTimeout(r, 5));
    await handler()(sqsEvent([record(3, 1)]), lambdaContext());
    expect(await fetchedAt()).toBe(first);
    expect(server.requests.at(-1)?.headers['if-none-match']).toBe('"v1"');
    await new Promise((r) => setTimeout(r, 5));
    await handler()(sqsEvent([record(3, 1, true)]), lambdaContext());
    expect(server.requests.at(-1)?.headers['if-none-match']).toBeUndefined();
    expect(Date.parse((await fetchedAt())!)).toBeGreaterThan(Date.parse(first!));
  });
});
